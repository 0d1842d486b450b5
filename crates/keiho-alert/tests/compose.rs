//! Policy decisions composed into CAP: the J-Alert sequence of 24 August 2023 as
//! messages, each valid CAP 1.2, in Japanese, English (and Korean where configured),
//! with references, message types, exercise wording and area codes right.

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

#[path = "support/cap_out.rs"]
mod cap_out;
use cap_out::write_for_xmllint;

use chrono::{DateTime, Duration, Utc};
use keiho_alert::cap::{self, Alert, MsgType, ResponseType, Status};
use keiho_alert::compose::{Deployment, ImpactZone, Issued, Language, MessageContext, compose};
use keiho_alert::policy::{
    AreaRisk, Assessment, Decision, EventPolicy, Outcome, PolicyConfig, RiskKind,
};
use keiho_geo::RegionSet;

fn at(s: i64) -> DateTime<Utc> {
    "2023-08-23T18:50:00Z".parse::<DateTime<Utc>>().unwrap() + Duration::seconds(s)
}

fn assess(s: i64, areas: Vec<AreaRisk>, outcome: Option<Outcome>) -> Assessment {
    Assessment {
        at: at(s),
        launch_at: Some(at(0)),
        launched_from: "North Korea".into(),
        consistent_reports: 10,
        sensors: 2,
        areas,
        outcome,
    }
}

/// The 24 August 2023 shape: Okinawa told to shelter, the object passes between
/// Okinawa Island and Miyako, the call is lifted.
fn august_decisions() -> Vec<Decision> {
    let mut p = EventPolicy::new(PolicyConfig::default());
    let okinawa = AreaRisk {
        code: "JP-47".into(),
        kind: RiskKind::Overflight,
        probability: 0.6,
        expected_at: Some(at(600)),
    };
    let mut out = p.update(&assess(40, vec![okinawa], None));
    out.extend(p.update(&assess(
        900,
        vec![],
        Some(Outcome::PassedOver {
            codes: vec!["JP-47".into()],
            at: at(600),
            toward: "the Pacific Ocean".into(),
        }),
    )));
    out.extend(p.tick(at(935)));
    out
}

fn messages(status: Status, languages: Vec<Language>) -> Vec<(Alert, String)> {
    let regions = RegionSet::bundled().unwrap();
    let mut deployment = Deployment::japan("keiho.example.jp");
    deployment.languages = languages;
    let zone = ImpactZone {
        lat_deg: 15.5,
        lon_deg: 130.2,
        at: at(900),
        ellipse: vec![
            (15.0, 130.0),
            (15.0, 130.5),
            (16.0, 130.5),
            (16.0, 130.0),
            (15.0, 130.0),
        ],
        radius_km: 60.0,
    };
    let mut earlier: Vec<Issued> = Vec::new();
    let mut out = Vec::new();
    for (i, d) in august_decisions().iter().enumerate() {
        let ctx = MessageContext {
            deployment: &deployment,
            status,
            event_id: "E20230823T1850Z",
            sequence: i as u32 + 1,
            origin_country: Some("KP"),
            earlier: &earlier,
            impact: Some(&zone),
            regions,
        };
        let alert = compose(d, &ctx).unwrap();
        let xml = cap::to_xml(&alert).unwrap();
        earlier.push(Issued {
            identifier: alert.identifier.clone(),
            sent: alert.sent,
            expires: alert.info[0].expires.unwrap(),
        });
        out.push((alert, xml));
    }
    out
}

#[test]
fn the_august_sequence_is_three_valid_messages() {
    let msgs = messages(Status::Exercise, vec![Language::Ja, Language::En]);
    assert_eq!(msgs.len(), 3);
    for (i, (alert, xml)) in msgs.iter().enumerate() {
        assert_eq!(cap::validate(xml), vec![], "message {i}");
        assert_eq!(&cap::from_xml(xml).unwrap(), alert);
        write_for_xmllint(&format!("compose-august-{i}"), xml);
    }
    let types: Vec<MsgType> = msgs.iter().map(|(a, _)| a.msg_type).collect();
    assert_eq!(
        types,
        vec![MsgType::Alert, MsgType::Update, MsgType::Update]
    );
    // Every later message references every unexpired earlier one.
    assert_eq!(msgs[0].0.references, None);
    let refs = msgs[2].0.references.clone().unwrap();
    assert_eq!(refs.split(' ').count(), 2);
    assert!(refs.contains(&format!(
        "keiho.example.jp,{},2023-08-24T03:50:40+09:00",
        msgs[0].0.identifier
    )));
    // Sent carries the deployment's zone.
    assert!(msgs[0].1.contains("<sent>2023-08-24T03:50:40+09:00</sent>"));
}

#[test]
fn wording_follows_the_j_alert_templates_in_each_language() {
    let msgs = messages(
        Status::Actual,
        vec![Language::Ja, Language::En, Language::Ko],
    );
    let first = &msgs[0].0;
    let langs: Vec<_> = first
        .info
        .iter()
        .map(|i| i.language.clone().unwrap())
        .collect();
    assert_eq!(langs, vec!["ja-JP", "en-US", "ko-KR"]);
    assert_eq!(
        first.info[0].description.as_deref(),
        Some("ミサイル発射。ミサイル発射。北朝鮮からミサイルが発射されたものとみられます。")
    );
    assert_eq!(
        first.info[1].description.as_deref(),
        Some(
            "Missile launch. Missile launch. A missile appears to have been launched from North Korea."
        )
    );
    assert_eq!(
        first.info[1].instruction.as_deref(),
        Some("Take shelter inside a building or underground.")
    );
    assert_eq!(first.info[0].response_type, vec![ResponseType::Shelter]);
    let okinawa = &first.info[0].area[0];
    assert_eq!(okinawa.area_desc, "沖縄県 / Okinawa Prefecture");
    assert_eq!(
        okinawa
            .geocode
            .iter()
            .map(|g| (g.value_name.as_str(), g.value.as_str()))
            .collect::<Vec<_>>(),
        vec![("ISO3166-2", "JP-47"), ("JIS-X-0401", "47")]
    );
    // The predicted impact zone rides along as a polygon and a circle.
    let zone = &first.info[0].area[1];
    assert_eq!(zone.circle, vec!["15.5000,130.2000 60.0"]);
    assert!(
        zone.polygon[0].starts_with("15.0000,130.0000 ")
            && zone.polygon[0].ends_with(" 15.0000,130.0000")
    );
    let passed = &msgs[1].0.info[1];
    assert_eq!(
        passed.description.as_deref(),
        Some(
            "The missile appears to have passed over Okinawa Prefecture toward the Pacific Ocean at about 04:00."
        )
    );
    let lifted = &msgs[2].0.info[1];
    assert_eq!(lifted.response_type, vec![ResponseType::AllClear]);
    assert!(
        lifted
            .description
            .as_deref()
            .unwrap()
            .starts_with("The call to take shelter is lifted for Okinawa Prefecture.")
    );
    for (i, (_, xml)) in msgs.iter().enumerate() {
        assert_eq!(cap::validate(xml), vec![]);
        write_for_xmllint(&format!("compose-august-actual-{i}"), xml);
    }
}

#[test]
fn exercise_messages_say_so_in_every_language() {
    for (alert, _) in messages(
        Status::Exercise,
        vec![Language::Ja, Language::En, Language::Ko],
    ) {
        assert_eq!(alert.status, Status::Exercise);
        assert!(alert.note.as_deref().unwrap().starts_with("EXERCISE."));
        for info in &alert.info {
            let d = info.description.as_deref().unwrap();
            let h = info.headline.as_deref().unwrap();
            let marker = match info.language.as_deref().unwrap() {
                "ja-JP" => "【訓練】",
                "en-US" => "[EXERCISE]",
                _ => "[훈련]",
            };
            assert!(d.starts_with(marker) && h.starts_with(marker), "{d} / {h}");
        }
    }
}

#[test]
fn first_message_snapshot() {
    let msgs = messages(Status::Exercise, vec![Language::Ja, Language::En]);
    insta::assert_snapshot!(msgs[0].1);
}
