//! From policy decisions to CAP 1.2 messages: one `info` block per language (ja-JP and
//! en-US always, ko-KR when the jurisdiction includes Korea), worded after the Cabinet
//! Secretariat's J-Alert templates and filled from the facts.

use crate::cap::{
    Alert, Area, CAP_NAMESPACE, Category, Certainty, Info, MsgType, NamedValue, Reference,
    ResponseType, Scope, Severity, Status, Urgency,
};
use crate::policy::{Decision, Outcome, RiskKind, Stage};
use chrono::{DateTime, Duration, FixedOffset, Timelike, Utc};
use keiho_geo::RegionSet;

/// The languages a message is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    /// Japanese (`ja-JP`).
    Ja,
    /// English (`en-US`).
    En,
    /// Korean (`ko-KR`).
    Ko,
}

impl Language {
    fn tag(self) -> &'static str {
        match self {
            Language::Ja => "ja-JP",
            Language::En => "en-US",
            Language::Ko => "ko-KR",
        }
    }
}

/// Deployment facts every message needs.
#[derive(Debug, Clone)]
pub struct Deployment {
    /// CAP `sender` (no spaces or commas).
    pub sender: String,
    /// Human-readable sender name.
    pub sender_name: String,
    /// Zone for `sent` and for times in the text (CAP forbids `Z`); Japan: +09:00.
    pub zone: FixedOffset,
    /// Languages, in order.
    pub languages: Vec<Language>,
    /// How long a message stays current.
    pub expires_after: Duration,
}

impl Deployment {
    /// Japan's defaults: Asia/Tokyo (+09:00), Japanese and English, 30-minute expiry.
    pub fn japan(sender: &str) -> Self {
        Self {
            sender: sender.to_owned(),
            sender_name: "Keiho".into(),
            zone: JST,
            languages: vec![Language::Ja, Language::En],
            expires_after: Duration::minutes(30),
        }
    }
}

/// Japan Standard Time, UTC+09:00.
pub const JST: FixedOffset = match FixedOffset::east_opt(9 * 3600) {
    Some(z) => z,
    None => panic!("UTC+9 is a valid offset"),
};

/// An earlier message of the same event, for `references`.
#[derive(Debug, Clone)]
pub struct Issued {
    /// Its identifier.
    pub identifier: String,
    /// Its `sent`.
    pub sent: DateTime<FixedOffset>,
    /// Its expiry.
    pub expires: DateTime<FixedOffset>,
}

/// The predicted impact zone, for the extra `area` of a message.
#[derive(Debug, Clone)]
pub struct ImpactZone {
    /// Predicted impact point, degrees.
    pub lat_deg: f64,
    /// Predicted impact point, degrees.
    pub lon_deg: f64,
    /// Predicted impact time.
    pub at: DateTime<Utc>,
    /// The 99% ellipse as a closed ring of (lat, lon), degrees.
    pub ellipse: Vec<(f64, f64)>,
    /// Radius of a circle around the impact point covering the ellipse, km.
    pub radius_km: f64,
}

/// Everything a message says besides the decision itself.
#[derive(Debug, Clone)]
pub struct MessageContext<'a> {
    /// The deployment.
    pub deployment: &'a Deployment,
    /// Actual, Exercise or Test.
    pub status: Status,
    /// The event's stable id (CAP `incidents`).
    pub event_id: &'a str,
    /// Sequence number of this message within the event (1 for the first).
    pub sequence: u32,
    /// ISO 3166-1 code of the launching country, when known.
    pub origin_country: Option<&'a str>,
    /// Earlier messages of the event.
    pub earlier: &'a [Issued],
    /// The predicted impact zone, when there is one.
    pub impact: Option<&'a ImpactZone>,
    /// Region names and codes.
    pub regions: &'a RegionSet,
}

/// Why a message could not be composed.
#[derive(Debug, thiserror::Error)]
pub enum ComposeError {
    /// A decision names a region the region set does not know.
    #[error("unknown region code {0}")]
    UnknownRegion(String),
}

/// Compose the CAP message for a decision.
pub fn compose(decision: &Decision, ctx: &MessageContext<'_>) -> Result<Alert, ComposeError> {
    let d = ctx.deployment;
    let sent = to_zone_secs(decision.at, d.zone);
    let expires = sent + d.expires_after;
    let identifier = format!(
        "{}-{}-{:03}",
        d.sender.replace(['@', '.'], "-"),
        ctx.event_id,
        ctx.sequence
    );
    let unexpired: Vec<Reference> = ctx
        .earlier
        .iter()
        .filter(|m| m.expires > sent)
        .map(|m| Reference {
            sender: d.sender.clone(),
            identifier: m.identifier.clone(),
            sent: crate::cap::format_cap_time(&m.sent),
        })
        .collect();
    // A correction that lifts every area withdraws the earlier messages outright: a
    // Cancel, so receivers (sirens, phones) drop them. Everything else after the first
    // message updates it.
    let withdraws_all = decision.stage == Stage::Correction && decision.areas.is_empty();
    let msg_type = if ctx.earlier.is_empty() {
        MsgType::Alert
    } else if withdraws_all {
        MsgType::Cancel
    } else {
        MsgType::Update
    };

    let sheltering: Vec<&str> = decision.areas.iter().map(|a| a.code.as_str()).collect();
    let lifted: Vec<&str> = decision.lifted.iter().map(String::as_str).collect();
    let mut info = Vec::new();
    for &lang in &d.languages {
        let words = Words::new(lang, ctx, decision)?;
        if !sheltering.is_empty() && decision.stage != Stage::AllClear {
            info.push(block(
                lang,
                &words.shelter_text,
                ctx,
                decision,
                &sheltering,
                false,
                expires,
            )?);
        }
        if !lifted.is_empty() {
            info.push(block(
                lang,
                &words.lift_text,
                ctx,
                decision,
                &lifted,
                true,
                expires,
            )?);
        }
    }
    Ok(Alert {
        xmlns: CAP_NAMESPACE.to_owned(),
        identifier,
        sender: d.sender.clone(),
        sent,
        status: ctx.status,
        msg_type,
        source: Some("keiho".into()),
        scope: Scope::Public,
        restriction: None,
        addresses: None,
        code: Vec::new(),
        note: Some(note(ctx.status, decision)),
        references: (!unexpired.is_empty()).then(|| Reference::join(&unexpired)),
        incidents: Some(ctx.event_id.to_owned()),
        info,
    })
}

fn to_zone_secs(t: DateTime<Utc>, zone: FixedOffset) -> DateTime<FixedOffset> {
    let t = t.with_timezone(&zone);
    t.with_nanosecond(0).unwrap_or(t)
}

fn note(status: Status, d: &Decision) -> String {
    let prefix = match status {
        Status::Exercise => "EXERCISE. ",
        Status::Test => "TEST. ",
        _ => "",
    };
    format!("{prefix}{:?}: {}", d.stage, d.cause)
}

/// The text of a message in one language.
struct Words {
    shelter_text: Text,
    lift_text: Text,
}

struct Text {
    event: String,
    headline: String,
    description: String,
    instruction: String,
}

fn origin_name(lang: Language, code: Option<&str>) -> String {
    match (code, lang) {
        (Some("KP"), Language::Ja) => "北朝鮮".into(),
        (Some("KP"), Language::En) => "North Korea".into(),
        (Some("KP"), Language::Ko) => "북한".into(),
        (Some(c), _) => c.to_owned(),
        (None, Language::Ja) => "不明な地点".into(),
        (None, Language::En) => "an unknown location".into(),
        (None, Language::Ko) => "알 수 없는 지점".into(),
    }
}

fn region_name(regions: &RegionSet, code: &str, lang: Language) -> Result<String, ComposeError> {
    let i = regions
        .by_code(code)
        .ok_or_else(|| ComposeError::UnknownRegion(code.to_owned()))?;
    let r = regions.region(i);
    Ok(match lang {
        Language::Ja => r.name_ja.clone().unwrap_or_else(|| r.name_en.clone()),
        Language::Ko => r.name_ko.clone().unwrap_or_else(|| r.name_en.clone()),
        Language::En => r.name_en.clone(),
    })
}

fn list(names: &[String], lang: Language) -> String {
    match lang {
        Language::Ja => names.join("、"),
        Language::En | Language::Ko => names.join(", "),
    }
}

fn clock(t: DateTime<Utc>, zone: FixedOffset) -> String {
    t.with_timezone(&zone).format("%H:%M").to_string()
}

fn exercise_prefix(status: Status, lang: Language) -> &'static str {
    match (status, lang) {
        (Status::Exercise, Language::Ja) => "【訓練】これは訓練です。",
        (Status::Exercise, Language::En) => "[EXERCISE] This is an exercise. ",
        (Status::Exercise, Language::Ko) => "[훈련] 이것은 훈련입니다. ",
        (Status::Test, Language::Ja) => "【試験】これは試験です。",
        (Status::Test, Language::En) => "[TEST] This is a test. ",
        (Status::Test, Language::Ko) => "[시험] 이것은 시험입니다. ",
        _ => "",
    }
}

impl Words {
    fn new(lang: Language, ctx: &MessageContext<'_>, d: &Decision) -> Result<Self, ComposeError> {
        use Language::{En, Ja, Ko};
        let zone = ctx.deployment.zone;
        let origin = origin_name(lang, ctx.origin_country);
        let names = |codes: &mut dyn Iterator<Item = &str>| -> Result<String, ComposeError> {
            let n = codes
                .map(|c| region_name(ctx.regions, c, lang))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(list(&n, lang))
        };
        let impact_areas = names(
            &mut d
                .areas
                .iter()
                .filter(|a| a.kind == RiskKind::Impact)
                .map(|a| a.code.as_str()),
        )?;
        let impact_time = ctx.impact.map(|z| clock(z.at, zone)).unwrap_or_default();
        let launch = match lang {
            Ja => format!(
                "ミサイル発射。ミサイル発射。{origin}からミサイルが発射されたものとみられます。"
            ),
            En => format!(
                "Missile launch. Missile launch. A missile appears to have been launched from {origin}."
            ),
            Ko => {
                format!("미사일 발사. 미사일 발사. {origin}에서 미사일이 발사된 것으로 보입니다.")
            }
        };
        let shelter = match lang {
            Ja => "建物の中、又は地下に避難してください。",
            En => "Take shelter inside a building or underground.",
            Ko => "건물 안 또는 지하로 대피하십시오.",
        };
        let (event, headline, description, instruction) = match d.stage {
            Stage::TakeShelter | Stage::Correction => {
                let h = match lang {
                    Ja => "ミサイル発射情報",
                    En => "Missile launch",
                    Ko => "미사일 발사 정보",
                };
                (h, h, launch.clone(), shelter.to_owned())
            }
            Stage::ImpactExpected => {
                let h = match lang {
                    Ja => "直ちに避難",
                    En => "Take shelter immediately",
                    Ko => "즉시 대피",
                };
                let text = match lang {
                    Ja => format!(
                        "直ちに避難。直ちに避難。ミサイルが{impact_areas}周辺に{impact_time}頃落下するものとみられます。"
                    ),
                    En => format!(
                        "Take shelter immediately. Take shelter immediately. The missile is expected to fall around {impact_areas} at about {impact_time}."
                    ),
                    Ko => format!(
                        "즉시 대피. 즉시 대피. 미사일이 {impact_time}경 {impact_areas} 주변에 낙하할 것으로 보입니다."
                    ),
                };
                (h, h, text, shelter.to_owned())
            }
            Stage::PassedOver | Stage::FellOnLand | Stage::FellIntoSea | Stage::AllClear => {
                let h = match (d.stage, lang) {
                    (Stage::PassedOver, Ja) => "ミサイル通過",
                    (Stage::PassedOver, En) => "Missile passed over",
                    (Stage::PassedOver, Ko) => "미사일 통과",
                    (Stage::AllClear, Ja) => "避難の呼びかけ解除",
                    (Stage::AllClear, En) => "Call to take shelter lifted",
                    (Stage::AllClear, Ko) => "대피 요청 해제",
                    (_, Ja) => "ミサイル落下",
                    (_, En) => "Missile fell",
                    (_, Ko) => "미사일 낙하",
                };
                let text = outcome_text(lang, d.outcome.as_ref(), ctx, zone)?;
                let instr = match (d.stage, lang) {
                    (Stage::FellOnLand, Ja) => "引き続き屋内に避難してください。",
                    (Stage::FellOnLand, En) => "Stay indoors and wait for further information.",
                    (Stage::FellOnLand, Ko) => "계속 실내에 머무르십시오.",
                    (_, Ja) => {
                        "不審な物を発見した場合には、決して近寄らず、直ちに警察や消防などに連絡してください。"
                    }
                    (_, En) => {
                        "If you find a suspicious object, do not approach it; call the police or fire service immediately."
                    }
                    (_, Ko) => {
                        "수상한 물체를 발견하면 절대 다가가지 말고 즉시 경찰이나 소방서에 연락하십시오."
                    }
                };
                (h, h, text, instr.to_owned())
            }
        };
        let lifted_names = names(&mut d.lifted.iter().map(String::as_str))?;
        let lift_description = match (d.stage, lang) {
            (Stage::AllClear, Ja) => format!(
                "{lifted_names}への避難の呼びかけを解除します。{}",
                outcome_text(lang, d.outcome.as_ref(), ctx, zone)?
            ),
            (Stage::AllClear, En) => format!(
                "The call to take shelter is lifted for {lifted_names}. {}",
                outcome_text(lang, d.outcome.as_ref(), ctx, zone)?
            ),
            (Stage::AllClear, Ko) => format!(
                "{lifted_names}에 대한 대피 요청을 해제합니다. {}",
                outcome_text(lang, d.outcome.as_ref(), ctx, zone)?
            ),
            (_, Ja) => format!(
                "訂正：{lifted_names}への避難の呼びかけを解除します。最新の予測では対象外となりました。"
            ),
            (_, En) => format!(
                "Correction: the call to take shelter is lifted for {lifted_names}. The latest prediction no longer covers it."
            ),
            (_, Ko) => format!(
                "정정: {lifted_names}에 대한 대피 요청을 해제합니다. 최신 예측에서 제외되었습니다."
            ),
        };
        let lift_headline = match lang {
            Ja => "避難の呼びかけ解除",
            En => "Call to take shelter lifted",
            Ko => "대피 요청 해제",
        };
        let p = exercise_prefix(ctx.status, lang);
        Ok(Words {
            shelter_text: Text {
                event: event.to_owned(),
                headline: format!("{p}{headline}"),
                description: format!("{p}{description}"),
                instruction: instruction.clone(),
            },
            lift_text: Text {
                event: event.to_owned(),
                headline: format!("{p}{lift_headline}"),
                description: format!("{p}{lift_description}"),
                instruction: match lang {
                    Ja => "通常の生活に戻ってください。",
                    En => "You may resume normal activities.",
                    Ko => "일상 생활로 돌아가십시오.",
                }
                .to_owned(),
            },
        })
    }
}

fn outcome_text(
    lang: Language,
    outcome: Option<&Outcome>,
    ctx: &MessageContext<'_>,
    zone: FixedOffset,
) -> Result<String, ComposeError> {
    use Language::{En, Ja, Ko};
    Ok(match outcome {
        None => String::new(),
        Some(Outcome::PassedOver { codes, at, toward }) => {
            let n = codes
                .iter()
                .map(|c| region_name(ctx.regions, c, lang))
                .collect::<Result<Vec<_>, _>>()?;
            let (n, t) = (list(&n, lang), clock(*at, zone));
            match lang {
                Ja => format!(
                    "ミサイルは{t}頃、{n}上空を通過し、{toward}へ通過したものとみられます。"
                ),
                En => format!(
                    "The missile appears to have passed over {n} toward {toward} at about {t}."
                ),
                Ko => format!(
                    "미사일은 {t}경 {n} 상공을 지나 {toward} 쪽으로 통과한 것으로 보입니다."
                ),
            }
        }
        Some(Outcome::FellOnLand { code, at, .. }) => {
            let (n, t) = (region_name(ctx.regions, code, lang)?, clock(*at, zone));
            match lang {
                Ja => format!("ミサイルは{t}頃、{n}周辺に落下した模様です。"),
                En => format!("The missile appears to have fallen around {n} at about {t}."),
                Ko => format!("미사일은 {t}경 {n} 주변에 낙하한 것으로 보입니다."),
            }
        }
        Some(Outcome::FellIntoSea {
            lat_deg,
            lon_deg,
            at,
            inside_territorial_sea,
            nearest_km,
        }) => {
            let t = clock(*at, zone);
            let place = format!("{lat_deg:.1},{lon_deg:.1}");
            match (lang, inside_territorial_sea) {
                (Ja, true) => {
                    format!("ミサイルは{t}頃、日本の領海内（{place}）に落下したものとみられます。")
                }
                (Ja, false) => format!(
                    "ミサイルは{t}頃、日本の領海外、最も近い陸地から約{nearest_km:.0}km（{place}）の海上に落下したものとみられます。"
                ),
                (En, true) => format!(
                    "The missile appears to have fallen into the sea inside Japan's territorial waters ({place}) at about {t}."
                ),
                (En, false) => format!(
                    "The missile appears to have fallen into the sea outside Japan's territorial waters, about {nearest_km:.0} km from the nearest land ({place}), at about {t}."
                ),
                (Ko, true) => {
                    format!("미사일은 {t}경 일본 영해 안({place})에 낙하한 것으로 보입니다.")
                }
                (Ko, false) => format!(
                    "미사일은 {t}경 일본 영해 밖, 가장 가까운 육지에서 약 {nearest_km:.0}km({place}) 떨어진 해상에 낙하한 것으로 보입니다."
                ),
            }
        }
        Some(Outcome::Lost { at }) => {
            let t = clock(*at, zone);
            match lang {
                Ja => {
                    format!("{t}頃以降、ミサイルが日本に飛来するおそれはなくなったとみられます。")
                }
                En => format!("Since about {t} the missile is no longer expected to reach Japan."),
                Ko => format!("{t}경 이후 미사일이 일본에 날아올 우려는 없어진 것으로 보입니다."),
            }
        }
    })
}

fn block(
    lang: Language,
    text: &Text,
    ctx: &MessageContext<'_>,
    d: &Decision,
    codes: &[&str],
    lifting: bool,
    expires: DateTime<FixedOffset>,
) -> Result<Info, ComposeError> {
    let outcome_stage = matches!(
        d.stage,
        Stage::PassedOver | Stage::FellOnLand | Stage::FellIntoSea
    );
    let (response, urgency, severity, certainty) = if lifting || d.stage == Stage::AllClear {
        (
            ResponseType::AllClear,
            Urgency::Past,
            Severity::Minor,
            Certainty::Observed,
        )
    } else if outcome_stage {
        (
            ResponseType::Shelter,
            Urgency::Immediate,
            Severity::Extreme,
            Certainty::Observed,
        )
    } else {
        let likely = d
            .areas
            .iter()
            .any(|a| a.kind == RiskKind::Impact || a.probability >= 0.5);
        (
            ResponseType::Shelter,
            Urgency::Immediate,
            Severity::Extreme,
            if likely {
                Certainty::Likely
            } else {
                Certainty::Possible
            },
        )
    };
    let mut area = Vec::new();
    for code in codes {
        let i = ctx
            .regions
            .by_code(code)
            .ok_or_else(|| ComposeError::UnknownRegion((*code).to_owned()))?;
        let r = ctx.regions.region(i);
        let desc = match lang {
            Language::En => r.name_en.clone(),
            _ => format!("{} / {}", region_name(ctx.regions, code, lang)?, r.name_en),
        };
        let mut geocode = vec![NamedValue::new("ISO3166-2", r.code.as_str())];
        if let Some(jis) = &r.jis_code {
            geocode.push(NamedValue::new("JIS-X-0401", jis.as_str()));
        }
        area.push(Area {
            area_desc: desc,
            polygon: vec![],
            circle: vec![],
            geocode,
            altitude: None,
            ceiling: None,
        });
    }
    let mut parameter = vec![
        NamedValue::new("keihoStage", format!("{:?}", d.stage)),
        NamedValue::new("keihoEventId", ctx.event_id),
    ];
    if let (Some(z), false) = (ctx.impact, lifting) {
        parameter.push(NamedValue::new(
            "predictedImpactTime",
            crate::cap::format_cap_time(&to_zone_secs(z.at, ctx.deployment.zone)),
        ));
        parameter.push(NamedValue::new(
            "predictedImpactPoint",
            format!("{:.4},{:.4}", z.lat_deg, z.lon_deg),
        ));
        let ring: Vec<String> = z
            .ellipse
            .iter()
            .map(|(la, lo)| format!("{la:.4},{lo:.4}"))
            .collect();
        let closed = ring.len() >= 4 && ring.first() == ring.last();
        area.push(Area {
            area_desc: match lang {
                Language::Ja => "落下予測区域 / Predicted impact zone".into(),
                Language::Ko => "낙하 예측 구역 / Predicted impact zone".into(),
                Language::En => "Predicted impact zone".into(),
            },
            polygon: if closed { vec![ring.join(" ")] } else { vec![] },
            circle: vec![format!(
                "{:.4},{:.4} {:.1}",
                z.lat_deg, z.lon_deg, z.radius_km
            )],
            geocode: vec![],
            altitude: None,
            ceiling: None,
        });
    }
    Ok(Info {
        language: Some(lang.tag().into()),
        category: vec![Category::Security],
        event: text.event.clone(),
        response_type: vec![response],
        urgency,
        severity,
        certainty,
        audience: None,
        event_code: vec![NamedValue::new("keiho", "missile")],
        effective: None,
        onset: None,
        expires: Some(expires),
        sender_name: Some(ctx.deployment.sender_name.clone()),
        headline: Some(text.headline.clone()),
        description: Some(text.description.clone()),
        instruction: Some(text.instruction.clone()),
        web: None,
        contact: None,
        parameter,
        resource: vec![],
        area,
    })
}
