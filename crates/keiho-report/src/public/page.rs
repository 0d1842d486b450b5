//! The public page's HTML: a summary, the areas told to shelter, a small map, the
//! FAQ and the messages, in one language. Every sentence about the event is filled
//! from [`PublicFacts`]; the fixed advice (debris, what to do next time) follows the
//! Japanese government's public guidance (Civil Protection Portal, kokuminhogo.go.jp)
//! and Korea's national emergency numbers.

use super::facts::{AreaFact, OutcomeFact, PublicFacts};
use super::lang::Lang;
use crate::html::escape;
use chrono::{DateTime, FixedOffset, Utc};
use std::fmt::Write as _;

/// Where the page links: the other languages and each CAP message.
pub struct Links<'a> {
    /// The URL of this event's page in a language.
    pub lang: &'a dyn Fn(Lang) -> String,
    /// The URL of a CAP message, by identifier.
    pub cap: &'a dyn Fn(&str) -> String,
}

/// Japan and Korea keep UTC+9 all year (no daylight saving).
fn utc9() -> FixedOffset {
    use chrono::Offset as _;
    FixedOffset::east_opt(9 * 3600).unwrap_or_else(|| Utc.fix())
}

/// A time as the page shows it: local (JST/KST) to the second; English adds UTC.
pub fn when(lang: Lang, t: DateTime<Utc>) -> String {
    let local = t.with_timezone(&utc9());
    match lang {
        Lang::Ja => local
            .format("%Y年%-m月%-d日 %H:%M:%S（日本時間）")
            .to_string(),
        Lang::Ko => local
            .format("%Y년 %-m월 %-d일 %H:%M:%S(한국 시간)")
            .to_string(),
        Lang::En => format!(
            "{} JST ({} UTC)",
            local.format("%-d %B %Y, %H:%M:%S"),
            t.format("%H:%M:%S")
        ),
    }
}

fn area_name(lang: Lang, a: &AreaFact) -> String {
    match lang {
        Lang::Ja => a.name_ja.clone(),
        Lang::Ko => a.name_ko.clone(),
        Lang::En => None,
    }
    .unwrap_or_else(|| a.name_en.clone())
}

fn list(lang: Lang, items: &[String]) -> String {
    match lang {
        Lang::Ja => items.join("、"),
        Lang::Ko | Lang::En => items.join(", "),
    }
}

fn point_text(lang: Lang, (lat, lon): (f64, f64)) -> String {
    let ns = if lat >= 0.0 {
        ["北緯", "N", "북위"]
    } else {
        ["南緯", "S", "남위"]
    };
    let ew = if lon >= 0.0 {
        ["東経", "E", "동경"]
    } else {
        ["西経", "W", "서경"]
    };
    let (la, lo) = (lat.abs(), lon.abs());
    match lang {
        Lang::Ja => format!("{}{la:.1}度、{}{lo:.1}度", ns[0], ew[0]),
        Lang::En => format!("{la:.1}°{} {lo:.1}°{}", ns[1], ew[1]),
        Lang::Ko => format!("{} {la:.1}도, {} {lo:.1}도", ns[2], ew[2]),
    }
}

fn km(v: f64) -> String {
    // Thousands separators for readability: 1,361 km.
    let n = v.round() as i64;
    let s = n.abs().to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// The 12-nautical-mile territorial sea (UNCLOS article 3), km.
pub const TERRITORIAL_SEA_KM: f64 = 22.224;

/// The page, complete.
pub fn render(facts: &PublicFacts, lang: Lang, map_svg: &str, links: &Links<'_>) -> String {
    let mut h = String::new();
    let title = match lang {
        Lang::Ja => "発射についてのお知らせ",
        Lang::En => "What happened: the launch and the warnings",
        Lang::Ko => "발사에 관한 안내",
    };
    let _ = write!(
        h,
        "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{} — {}</title><style>{CSS}</style></head><body>",
        lang.tag(),
        escape(title),
        escape(&facts.event_id)
    );
    let others: Vec<String> = Lang::ALL
        .iter()
        .filter(|l| **l != lang)
        .map(|l| {
            format!(
                "<a href=\"{}\" hreflang=\"{}\" lang=\"{}\">{}</a>",
                escape(&(links.lang)(*l)),
                l.tag(),
                l.tag(),
                l.own_name()
            )
        })
        .collect();
    let _ = write!(h, "<nav class=\"langs\">{}</nav>", others.join(" · "));
    if let Some(banner) = status_banner(lang, facts.status.as_deref()) {
        let _ = write!(
            h,
            "<p class=\"banner\" role=\"note\">{}</p>",
            escape(&banner)
        );
    }
    let _ = write!(h, "<h1>{}</h1>", escape(title));
    let _ = write!(h, "<section class=\"summary\">");
    for p in summary(facts, lang) {
        let _ = write!(h, "<p>{}</p>", escape(&p));
    }
    let _ = write!(h, "</section>");
    areas_table(&mut h, facts, lang);
    let caption = match lang {
        Lang::Ja => "地図：飛行経路、予測落下点とその範囲、警報の対象地域（地図の文字は英語）",
        Lang::En => {
            "Map: the flight path, the predicted impact points and their areas, the areas alerted"
        }
        Lang::Ko => "지도: 비행 경로, 예측 낙하 지점과 그 범위, 경보 대상 지역(지도 글자는 영어)",
    };
    let _ = write!(
        h,
        "<figure class=\"map\">{map_svg}<figcaption>{}</figcaption></figure>",
        escape(caption)
    );
    let faq_title = match lang {
        Lang::Ja => "よくある質問",
        Lang::En => "Questions people ask",
        Lang::Ko => "자주 묻는 질문",
    };
    let _ = write!(h, "<section class=\"faq\"><h2>{}</h2>", escape(faq_title));
    for (q, a) in faq(facts, lang) {
        let _ = write!(h, "<h3>{}</h3>", escape(&q));
        for para in a {
            let _ = write!(h, "<p>{}</p>", escape(&para));
        }
    }
    let _ = write!(h, "</section>");
    messages(&mut h, facts, lang, links);
    let footer = match lang {
        Lang::Ja => format!(
            "このページは、Keihoが記録した事象 {} から自動で作成されました。",
            facts.event_id
        ),
        Lang::En => format!(
            "This page was written by Keiho from the recorded event {}.",
            facts.event_id
        ),
        Lang::Ko => format!(
            "이 페이지는 Keiho가 기록한 사건 {}에서 자동으로 작성되었습니다.",
            facts.event_id
        ),
    };
    let _ = write!(h, "<footer>{}</footer></body></html>", escape(&footer));
    h
}

const CSS: &str = "body{font-family:system-ui,'Noto Sans CJK JP','Noto Sans CJK KR',sans-serif;\
margin:1em auto;max-width:900px;padding:0 1em;color:#1d2125;line-height:1.6}\
h1{font-size:1.5em}h2{border-bottom:1px solid #ccd;margin-top:1.6em}h3{font-size:1.05em;margin:1.2em 0 .2em}\
.langs{text-align:right;font-size:.95em}.banner{background:#1565c0;color:#fff;padding:.6em 1em;font-weight:700;border-radius:4px}\
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #dde;padding:.35em .5em;text-align:left;vertical-align:top}\
figure{margin:1em 0}figure svg{max-width:100%;height:auto;border:1px solid #dde}figcaption{font-size:.85em;color:#555}\
footer{margin-top:2em;font-size:.85em;color:#555}a{color:#0b57d0}";

fn status_banner(lang: Lang, status: Option<&str>) -> Option<String> {
    let s = match (status?, lang) {
        ("Exercise", Lang::Ja) => "訓練：これは訓練の記録です。実際の発射ではありません。",
        ("Exercise", Lang::En) => {
            "EXERCISE: this is the record of an exercise, not of a real launch."
        }
        ("Exercise", Lang::Ko) => "훈련: 이것은 훈련 기록입니다. 실제 발사가 아닙니다.",
        ("Test", Lang::Ja) => "試験：これは技術試験の記録です。実際の発射ではありません。",
        ("Test", Lang::En) => "TEST: this is the record of a technical test, not of a real launch.",
        ("Test", Lang::Ko) => "시험: 이것은 기술 시험 기록입니다. 실제 발사가 아닙니다.",
        _ => return None,
    };
    Some(s.to_owned())
}

fn origin(facts: &PublicFacts, lang: Lang) -> String {
    match lang {
        Lang::Ja => facts.origin_ja.clone(),
        Lang::Ko => facts.origin_ko.clone(),
        Lang::En => None,
    }
    .unwrap_or_else(|| facts.origin_en.clone())
}

fn summary(f: &PublicFacts, lang: Lang) -> Vec<String> {
    let mut out = Vec::new();
    let from = origin(f, lang);
    out.push(match (f.launch_at, lang) {
        (Some(t), Lang::Ja) => format!("{}、{from}から発射がありました。", when(lang, t)),
        (Some(t), Lang::En) => format!("At {} an object was launched from {from}.", when(lang, t)),
        (Some(t), Lang::Ko) => format!("{}, {from}에서 발사가 있었습니다.", when(lang, t)),
        (None, Lang::Ja) => {
            format!("{from}からの発射が探知されました（発射時刻は記録されていません）。")
        }
        (None, Lang::En) => {
            format!("A launch from {from} was detected (its time was not recorded).")
        }
        (None, Lang::Ko) => {
            format!("{from}에서의 발사가 탐지되었습니다(발사 시각은 기록되지 않았습니다).")
        }
    });
    if f.areas.is_empty() {
        out.push(
            match lang {
                Lang::Ja => "避難を呼びかけた地域はありませんでした。",
                Lang::En => "No area was told to take shelter.",
                Lang::Ko => "대피를 요청한 지역은 없었습니다.",
            }
            .to_owned(),
        );
    } else {
        for a in &f.areas {
            let name = area_name(lang, a);
            out.push(match lang {
                Lang::Ja => format!("{}、{name}に避難を呼びかけました。", when(lang, a.told_at)),
                Lang::En => format!(
                    "At {}, {name} was told to take shelter.",
                    when(lang, a.told_at)
                ),
                Lang::Ko => format!("{}, {name}에 대피를 요청했습니다.", when(lang, a.told_at)),
            });
        }
    }
    if let Some(o) = &f.outcome {
        out.push(outcome_sentence(o, lang));
    }
    out.push(match (f.all_clear_at, lang) {
        (Some(t), Lang::Ja) => format!("{}、呼びかけを解除しました。", when(lang, t)),
        (Some(t), Lang::En) => format!("At {} the call to take shelter was lifted.", when(lang, t)),
        (Some(t), Lang::Ko) => format!("{}, 대피 요청을 해제했습니다.", when(lang, t)),
        (None, Lang::Ja) => "呼びかけの解除は記録されていません。".to_owned(),
        (None, Lang::En) => "No lifting of the call has been recorded.".to_owned(),
        (None, Lang::Ko) => "대피 요청 해제는 기록되지 않았습니다.".to_owned(),
    });
    out
}

fn place_names(o: &OutcomeFact, lang: Lang) -> String {
    let names: Vec<String> = o
        .names
        .iter()
        .map(|(en, ja, ko)| {
            match lang {
                Lang::Ja => ja.clone(),
                Lang::Ko => ko.clone(),
                Lang::En => None,
            }
            .unwrap_or_else(|| en.clone())
        })
        .collect();
    list(lang, &names)
}

fn outcome_sentence(o: &OutcomeFact, lang: Lang) -> String {
    let at = o.at.map(|t| when(lang, t));
    let place = o.point.map(|p| point_text(lang, p));
    let est = o.point_is_last_prediction;
    if o.kind == "passed_over" {
        let over = place_names(o, lang);
        let mut s = match lang {
            Lang::Ja if over.is_empty() => "上空を通過したとみられます。".to_owned(),
            Lang::Ja => format!("{over}の上空を通過したとみられます。"),
            Lang::En if over.is_empty() => {
                "It appears to have passed overhead and away.".to_owned()
            }
            Lang::En => format!("It appears to have passed over {over} and away."),
            Lang::Ko if over.is_empty() => "상공을 통과한 것으로 보입니다.".to_owned(),
            Lang::Ko => format!("{over} 상공을 통과한 것으로 보입니다."),
        };
        if let Some(p) = &place {
            let t = at.clone().unwrap_or_default();
            s += &match lang {
                Lang::Ja => format!(
                    "最後の予測落下点は{p}付近でした{}。",
                    if t.is_empty() {
                        String::new()
                    } else {
                        format!("（{t}ごろ）")
                    }
                ),
                Lang::En => format!(
                    " Its last predicted impact point was near {p}{}.",
                    if t.is_empty() {
                        String::new()
                    } else {
                        format!(", at about {t}")
                    }
                ),
                Lang::Ko => format!(
                    " 마지막 예측 낙하 지점은 {p} 부근이었습니다{}.",
                    if t.is_empty() {
                        String::new()
                    } else {
                        format!("({t}경)")
                    }
                ),
            };
        }
        return s;
    }
    match lang {
        Lang::Ja => {
            let what = match o.kind.as_str() {
                "fell_into_sea" => "海上に落下したとみられます",
                "fell_on_land" => "陸上に落下したとみられます",
                "passed_over" => "上空を通過したとみられます",
                _ => "追跡が途絶えました",
            };
            let mut s = String::new();
            if let Some(at) = &at {
                s += &format!("{at}ごろ、");
            }
            if let Some(p) = &place {
                s += &format!(
                    "{p}付近{}で、",
                    if est {
                        "（最後の予測落下点）"
                    } else {
                        ""
                    }
                );
            }
            s + what + "。"
        }
        Lang::En => {
            let what = match o.kind.as_str() {
                "fell_into_sea" => "It appears to have come down in the sea",
                "fell_on_land" => "It appears to have come down on land",
                "passed_over" => "It appears to have passed over",
                _ => "Tracking was lost",
            };
            let mut s = what.to_owned();
            if let Some(p) = &place {
                s += &format!(
                    " near {p}{}",
                    if est {
                        " (the last predicted impact point)"
                    } else {
                        ""
                    }
                );
            }
            if let Some(at) = &at {
                s += &format!(", at about {at}");
            }
            s + "."
        }
        Lang::Ko => {
            let what = match o.kind.as_str() {
                "fell_into_sea" => "해상에 낙하한 것으로 보입니다",
                "fell_on_land" => "육상에 낙하한 것으로 보입니다",
                "passed_over" => "상공을 통과한 것으로 보입니다",
                _ => "추적이 끊겼습니다",
            };
            let mut s = String::new();
            if let Some(at) = &at {
                s += &format!("{at}경, ");
            }
            if let Some(p) = &place {
                s += &format!(
                    "{p} 부근{}에서 ",
                    if est {
                        "(마지막 예측 낙하 지점)"
                    } else {
                        ""
                    }
                );
            }
            s + what + "."
        }
    }
}

fn areas_table(h: &mut String, f: &PublicFacts, lang: Lang) {
    if f.areas.is_empty() {
        return;
    }
    let (title, c1, c2, c3, standing) = match lang {
        Lang::Ja => ("避難を呼びかけた地域", "地域", "呼びかけ", "解除", "継続中"),
        Lang::En => (
            "Areas told to take shelter",
            "Area",
            "Told",
            "Lifted",
            "still in force",
        ),
        Lang::Ko => ("대피를 요청한 지역", "지역", "요청", "해제", "계속 중"),
    };
    let _ = write!(
        h,
        "<h2>{title}</h2><table class=\"areas\"><thead><tr><th>{c1}</th><th>{c2}</th><th>{c3}</th></tr></thead><tbody>"
    );
    for a in &f.areas {
        let lifted = a
            .lifted_at
            .map_or_else(|| standing.to_owned(), |t| when(lang, t));
        let _ = write!(
            h,
            "<tr data-code=\"{}\"><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&a.code),
            escape(&area_name(lang, a)),
            escape(&when(lang, a.told_at)),
            escape(&lifted)
        );
    }
    let _ = write!(h, "</tbody></table>");
}

fn messages(h: &mut String, f: &PublicFacts, lang: Lang, links: &Links<'_>) {
    if f.messages.is_empty() {
        return;
    }
    let (title, note) = match lang {
        Lang::Ja => (
            "発出したメッセージ（CAP 1.2）",
            "各メッセージの原文（XML、電子署名付き）",
        ),
        Lang::En => (
            "The messages issued (CAP 1.2)",
            "Each message as sent (XML, signed)",
        ),
        Lang::Ko => (
            "발령한 메시지(CAP 1.2)",
            "각 메시지 원문(XML, 전자 서명 포함)",
        ),
    };
    let _ = write!(h, "<h2>{title}</h2><p>{note}</p><ol class=\"messages\">");
    for (id, sent, msg_type, stage) in &f.messages {
        let _ = write!(
            h,
            "<li><a href=\"{}\" type=\"application/cap+xml\">{}</a> — {} {} ({})</li>",
            escape(&(links.cap)(id)),
            escape(id),
            escape(msg_type),
            escape(stage),
            escape(sent)
        );
    }
    let _ = write!(h, "</ol>");
}

/// The questions and their answers, computed from the facts.
pub fn faq(f: &PublicFacts, lang: Lang) -> Vec<(String, Vec<String>)> {
    vec![
        why_alerted(f, lang),
        why_lifted(f, lang),
        where_fell(f, lang),
        territory(f, lang),
        debris(f, lang),
        next_time(lang),
    ]
}

fn names(f: &PublicFacts, lang: Lang) -> String {
    list(
        lang,
        &f.areas
            .iter()
            .map(|a| area_name(lang, a))
            .collect::<Vec<_>>(),
    )
}

fn why_alerted(f: &PublicFacts, lang: Lang) -> (String, Vec<String>) {
    let q = match lang {
        Lang::Ja => "なぜ私の地域に警報が出たのですか。",
        Lang::En => "Why was my area alerted?",
        Lang::Ko => "왜 우리 지역에 경보가 발령되었습니까?",
    };
    let mut a = Vec::new();
    if f.areas.is_empty() {
        a.push(match lang {
            Lang::Ja => "この事象では、どの地域にも避難を呼びかけていません。".to_owned(),
            Lang::En => "In this event no area was told to take shelter.".to_owned(),
            Lang::Ko => "이 사건에서는 어느 지역에도 대피를 요청하지 않았습니다.".to_owned(),
        });
    } else {
        a.push(match lang {
            Lang::Ja => format!("飛行経路の予測と、落下しうる範囲（不確かさを含む）が、{}にかかるか近づいたためです。警報は、予測がかかる地域だけに出します。", names(f, lang)),
            Lang::En => format!("Because the predicted flight path, or the area where it or its pieces could come down (with its uncertainty), crossed or came near {}. Keiho alerts only the areas the prediction touches.", names(f, lang)),
            Lang::Ko => format!("예측 비행 경로나 낙하 가능 범위(불확실성 포함)가 {}에 걸치거나 가까워졌기 때문입니다. 경보는 예측이 걸치는 지역에만 발령합니다.", names(f, lang)),
        });
        for x in &f.areas {
            let why = stage_reason(&x.stage, lang);
            a.push(format!("{}: {why}", area_name(lang, x)));
        }
    }
    (q.to_owned(), a)
}

fn stage_reason(stage: &str, lang: Lang) -> &'static str {
    match (stage, lang) {
        ("ImpactExpected", Lang::Ja) => "落下のおそれがある範囲に入っていました。",
        ("ImpactExpected", Lang::En) => "it was inside the area where the object could come down.",
        ("ImpactExpected", Lang::Ko) => "낙하 우려 범위 안에 있었습니다.",
        (_, Lang::Ja) => "上空を通過するおそれがありました。",
        (_, Lang::En) => "the object was predicted to fly over or near it.",
        (_, Lang::Ko) => "상공을 통과할 우려가 있었습니다.",
    }
}

fn why_lifted(f: &PublicFacts, lang: Lang) -> (String, Vec<String>) {
    let q = match lang {
        Lang::Ja => "なぜ解除されたのですか。",
        Lang::En => "Why was the call lifted?",
        Lang::Ko => "왜 해제되었습니까?",
    };
    let mut a = Vec::new();
    let reason = |kind: &str| match (kind, lang) {
        ("fell_into_sea", Lang::Ja) => "海上に落下したとみられ、地域への危険がなくなったためです。",
        ("fell_into_sea", Lang::En) => {
            "it appears to have come down in the sea, so the flight no longer threatened the area."
        }
        ("fell_into_sea", Lang::Ko) => {
            "해상에 낙하한 것으로 보여 지역에 대한 위험이 없어졌기 때문입니다."
        }
        ("passed_over", Lang::Ja) => "上空を通過したとみられ、地域への危険がなくなったためです。",
        ("passed_over", Lang::En) => {
            "it appears to have passed over and away, so the flight no longer threatened the area."
        }
        ("passed_over", Lang::Ko) => {
            "상공을 통과한 것으로 보여 지역에 대한 위험이 없어졌기 때문입니다."
        }
        ("fell_on_land", Lang::Ja) => {
            "落下したとみられ、飛行による新たな危険がなくなったためです。落下物には近づかないでください。"
        }
        ("fell_on_land", Lang::En) => {
            "it appears to have come down, so the flight itself no longer threatened anyone; keep away from any fallen pieces."
        }
        ("fell_on_land", Lang::Ko) => {
            "낙하한 것으로 보여 비행에 의한 새로운 위험이 없어졌기 때문입니다. 낙하물에 접근하지 마십시오."
        }
        (_, Lang::Ja) => "追跡が途絶え、それ以上の危険が予測されなかったためです。",
        (_, Lang::En) => "tracking was lost and no further danger was predicted.",
        (_, Lang::Ko) => "추적이 끊기고 더 이상의 위험이 예측되지 않았기 때문입니다.",
    };
    match (f.all_clear_at, &f.outcome) {
        (Some(t), Some(o)) => a.push(match lang {
            Lang::Ja => format!("{}に解除しました。{}", when(lang, t), reason(&o.kind)),
            Lang::En => format!(
                "It was lifted at {} because {}",
                when(lang, t),
                reason(&o.kind)
            ),
            Lang::Ko => format!("{}에 해제했습니다. {}", when(lang, t), reason(&o.kind)),
        }),
        (Some(t), None) => a.push(match lang {
            Lang::Ja => format!(
                "{}に解除しました（理由となった飛行の結末は記録されていません）。",
                when(lang, t)
            ),
            Lang::En => format!(
                "It was lifted at {} (how the flight ended was not recorded).",
                when(lang, t)
            ),
            Lang::Ko => format!(
                "{}에 해제했습니다(비행의 결말은 기록되지 않았습니다).",
                when(lang, t)
            ),
        }),
        (None, _) => a.push(match lang {
            Lang::Ja => "記録の上では、まだ解除されていません。".to_owned(),
            Lang::En => "As recorded, the call has not been lifted.".to_owned(),
            Lang::Ko => "기록상으로는 아직 해제되지 않았습니다.".to_owned(),
        }),
    }
    // Areas lifted before the end: the prediction moved away from them.
    for x in &f.areas {
        if let Some(t) = x.lifted_at
            && f.all_clear_at.is_some_and(|end| t < end)
        {
            a.push(match lang {
                Lang::Ja => format!(
                    "{}は、予測が離れたため{}に先に解除しました。",
                    area_name(lang, x),
                    when(lang, t)
                ),
                Lang::En => format!(
                    "{} was lifted earlier, at {}, because the prediction moved away from it.",
                    area_name(lang, x),
                    when(lang, t)
                ),
                Lang::Ko => format!(
                    "{}은(는) 예측이 멀어져 {}에 먼저 해제했습니다.",
                    area_name(lang, x),
                    when(lang, t)
                ),
            });
        }
    }
    (q.to_owned(), a)
}

fn where_fell(f: &PublicFacts, lang: Lang) -> (String, Vec<String>) {
    let q = match lang {
        Lang::Ja => "どこに落ちたのですか。",
        Lang::En => "Where did it come down?",
        Lang::Ko => "어디에 떨어졌습니까?",
    };
    let a = match &f.outcome {
        Some(o) => {
            let mut v = vec![outcome_sentence(o, lang)];
            if let Some(d) = o.nearest_japan_km {
                v.push(match lang {
                    Lang::Ja => format!(
                        "日本の陸地から最も近いところで約{}キロメートルです。",
                        km(d)
                    ),
                    Lang::En => {
                        format!("That is about {} km from the nearest land of Japan.", km(d))
                    }
                    Lang::Ko => format!(
                        "일본 육지에서 가장 가까운 곳까지 약 {}킬로미터입니다.",
                        km(d)
                    ),
                });
            }
            if lang == Lang::Ko
                && let Some(d) = o.nearest_korea_km
            {
                v.push(format!(
                    "대한민국 육지에서 가장 가까운 곳까지 약 {}킬로미터입니다.",
                    km(d)
                ));
            }
            if o.point_is_last_prediction && o.kind != "passed_over" {
                v.push(match lang {
                    Lang::Ja => "落下地点は観測されておらず、最後の予測値です。".to_owned(),
                    Lang::En => "The point was not observed: it is the last prediction before tracking ended.".to_owned(),
                    Lang::Ko => "낙하 지점은 관측되지 않았으며 마지막 예측값입니다.".to_owned(),
                });
            }
            v
        }
        None => vec![match lang {
            Lang::Ja => "飛行の結末は記録されていません。".to_owned(),
            Lang::En => "How the flight ended was not recorded.".to_owned(),
            Lang::Ko => "비행의 결말은 기록되지 않았습니다.".to_owned(),
        }],
    };
    (q.to_owned(), a)
}

fn territory(f: &PublicFacts, lang: Lang) -> (String, Vec<String>) {
    let q = match lang {
        Lang::Ja => "日本の領土や領海に落ちたのですか。",
        Lang::En => "Did it come down inside Japan's territory or territorial sea?",
        Lang::Ko => "한국이나 일본의 영토·영해에 떨어졌습니까?",
    };
    let eez = match lang {
        Lang::Ja => "排他的経済水域（基線から最大200海里、約370キロメートル）の境界はKeihoが持っていないため、その内側かどうかはここでは答えません。",
        Lang::En => "Keiho holds no exclusive economic zone boundaries (up to 200 nautical miles, about 370 km, from the baselines), so this page does not say whether it was inside one.",
        Lang::Ko => "배타적 경제수역(기선에서 최대 200해리, 약 370킬로미터)의 경계는 Keiho가 가지고 있지 않으므로, 그 안쪽인지는 여기서 답하지 않습니다.",
    }
    .to_owned();
    let Some(o) = &f.outcome else {
        return (
            q.to_owned(),
            vec![match lang {
                Lang::Ja => "飛行の結末が記録されていないため、答えられません。".to_owned(),
                Lang::En => {
                    "How the flight ended was not recorded, so this cannot be answered.".to_owned()
                }
                Lang::Ko => "비행의 결말이 기록되지 않아 답할 수 없습니다.".to_owned(),
            }],
        );
    };
    let mut a = Vec::new();
    match o.kind.as_str() {
        "fell_on_land" => a.push(match lang {
            Lang::Ja => format!("陸上に落下したとみられます（{}）。", o.codes.join("、")),
            Lang::En => format!("It appears to have come down on land ({}).", o.codes.join(", ")),
            Lang::Ko => format!("육상에 낙하한 것으로 보입니다({}).", o.codes.join(", ")),
        }),
        "passed_over" => a.push(match lang {
            Lang::Ja => "落下せず、上空（宇宙空間を含む）を通過したとみられます。".to_owned(),
            Lang::En => "It did not come down there: it appears to have passed overhead (through space) and away.".to_owned(),
            Lang::Ko => "낙하하지 않고 상공(우주 공간 포함)을 통과한 것으로 보입니다.".to_owned(),
        }),
        _ => {
            let nearest = match lang {
                Lang::Ko => o.nearest_korea_km.into_iter().chain(o.nearest_japan_km).reduce(f64::min),
                _ => o.nearest_japan_km,
            };
            match (o.inside_territorial_sea, nearest) {
                (Some(true), _) => a.push(match lang {
                    Lang::Ja => "領海（基線から12海里、22.2キロメートル）の内側に落下したとみられます。".to_owned(),
                    Lang::En => "It appears to have come down inside the territorial sea (12 nautical miles, 22.2 km, from the baselines).".to_owned(),
                    Lang::Ko => "영해(기선에서 12해리, 22.2킬로미터) 안쪽에 낙하한 것으로 보입니다.".to_owned(),
                }),
                (Some(false), _) => a.push(match lang {
                    Lang::Ja => "領海（基線から12海里、22.2キロメートル）の外に落下したとみられます。".to_owned(),
                    Lang::En => "It appears to have come down outside the territorial sea (12 nautical miles, 22.2 km, from the baselines).".to_owned(),
                    Lang::Ko => "영해(기선에서 12해리, 22.2킬로미터) 밖에 낙하한 것으로 보입니다.".to_owned(),
                }),
                // Baselines can cut across bays, so only a point well beyond 12
                // nautical miles of any land is certainly outside.
                (None, Some(d)) if d > 2.0 * TERRITORIAL_SEA_KM => a.push(match lang {
                    Lang::Ja => format!("領海の外です。最も近い陸地から約{}キロメートルで、領海の幅（12海里、22.2キロメートル）を大きく超えています。", km(d)),
                    Lang::En => format!("Outside the territorial sea: it was about {} km from the nearest land, far beyond the 12 nautical miles (22.2 km) of territorial sea.", km(d)),
                    Lang::Ko => format!("영해 밖입니다. 가장 가까운 육지에서 약 {}킬로미터로, 영해 폭(12해리, 22.2킬로미터)을 크게 넘습니다.", km(d)),
                }),
                _ => a.push(match lang {
                    Lang::Ja => "落下地点が陸地に近く、記録からは領海の内外を判断できません。".to_owned(),
                    Lang::En => "The point is close to land and the record does not say on which side of the territorial sea's limit it was.".to_owned(),
                    Lang::Ko => "낙하 지점이 육지에 가까워 기록으로는 영해 안팎을 판단할 수 없습니다.".to_owned(),
                }),
            }
        }
    }
    a.push(eez);
    (q.to_owned(), a)
}

fn debris(f: &PublicFacts, lang: Lang) -> (String, Vec<String>) {
    let q = match lang {
        Lang::Ja => "落下物を見つけたらどうすればよいですか。",
        Lang::En => "What do I do if I find debris?",
        Lang::Ko => "낙하물을 발견하면 어떻게 해야 합니까?",
    };
    let mut a = vec![match lang {
        Lang::Ja => "決して近寄らず、触らないでください。燃料などの有害な物質が残っているおそれがあります。直ちに警察（110番）か消防（119番）に通報してください。",
        Lang::En => "Do not go near it and do not touch it: fuel and other harmful substances may remain. Call the police at once (110 in Japan, 112 in Korea) or the fire service (119 in both).",
        Lang::Ko => "절대 가까이 가거나 만지지 마십시오. 연료 등 유해 물질이 남아 있을 수 있습니다. 즉시 경찰(112) 또는 소방(119)에 신고하십시오.",
    }
    .to_owned()];
    if let Some(o) = &f.outcome
        && o.kind != "passed_over"
        && let Some(p) = o.point
    {
        a.push(match lang {
            Lang::Ja => format!("この事象では、{}付近に落下したとみられます。漂着物にも注意してください。", point_text(lang, p)),
            Lang::En => format!("In this event pieces appear to have come down near {}; take care with anything washed ashore too.", point_text(lang, p)),
            Lang::Ko => format!("이 사건에서는 {} 부근에 낙하한 것으로 보입니다. 해안에 떠밀려 온 물체에도 주의하십시오.", point_text(lang, p)),
        });
    }
    (q.to_owned(), a)
}

fn next_time(lang: Lang) -> (String, Vec<String>) {
    let q = match lang {
        Lang::Ja => "次に警報が出たら、どうすればよいですか。",
        Lang::En => "What should I do next time?",
        Lang::Ko => "다음에 경보가 발령되면 어떻게 해야 합니까?",
    };
    let a = match lang {
        Lang::Ja => vec![
            "屋外にいる場合は、近くのできるだけ頑丈な建物や地下（地下街や地下駅など）に避難してください。近くに適当な建物がない場合は、物陰に身を隠すか、地面に伏せて頭部を守ってください。",
            "屋内にいる場合は、窓から離れるか、窓のない部屋に移動してください。",
            "テレビやラジオ、自治体からの情報に注意し、解除されるまで避難を続けてください。",
        ],
        Lang::En => vec![
            "If you are outdoors, go into the nearest sturdy building or underground (an underground mall or station). If there is none nearby, take cover behind something solid or lie flat on the ground and protect your head.",
            "If you are indoors, move away from windows or into a room without windows.",
            "Follow television, radio and your local government, and stay sheltered until the call is lifted.",
        ],
        Lang::Ko => vec![
            "실외에 있으면 가까운 튼튼한 건물이나 지하(지하상가, 지하철역 등)로 대피하십시오. 근처에 적당한 건물이 없으면 물체 뒤에 몸을 숨기거나 땅에 엎드려 머리를 보호하십시오.",
            "실내에 있으면 창문에서 떨어지거나 창문이 없는 방으로 이동하십시오.",
            "텔레비전, 라디오, 지자체의 정보에 주의하고 해제될 때까지 대피를 계속하십시오.",
        ],
    };
    (q.to_owned(), a.into_iter().map(str::to_owned).collect())
}
