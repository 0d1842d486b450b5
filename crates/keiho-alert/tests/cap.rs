//! CAP 1.2 in and out: the real samples in `../shared/data/cap/samples/` parse and
//! validate, the two known-invalid ones are rejected with a clear reason, and messages
//! we build round-trip and validate. Every message produced here is also written to
//! `target/cap-messages/` so CI can check it with `xmllint` against the official XSD.

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

#[path = "support/cap_out.rs"]
mod cap_out;
use cap_out::write_for_xmllint;

use chrono::{DateTime, FixedOffset};
use keiho_alert::cap::{
    self, Alert, Area, Category, Certainty, Info, MsgType, NamedValue, Scope, Severity, Status,
    Urgency,
};
use std::path::{Path, PathBuf};

fn samples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/cap/samples")
}

fn xml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "xml"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_valid_sample_parses_and_validates() {
    let files = xml_files(&samples_dir());
    assert_eq!(files.len(), 10, "the shared data has 10 valid samples");
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let problems = cap::validate(&text);
        assert!(problems.is_empty(), "{}: {problems:#?}", f.display());
        let alert = cap::from_xml(&text).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        assert!(!alert.identifier.is_empty());
    }
}

#[test]
fn a_sample_is_read_field_by_field() {
    let text =
        std::fs::read_to_string(samples_dir().join("tw-cdcc-airRaidAlert-2019-test.xml")).unwrap();
    let alert = cap::from_xml(&text).unwrap();
    assert_eq!(alert.status, Status::Test);
    assert_eq!(alert.scope, Scope::Public);
    let info = &alert.info[0];
    assert_eq!(info.category, vec![Category::Security]);
    assert_eq!(info.urgency, Urgency::Immediate);
    assert!(!info.area[0].circle.is_empty());
}

#[test]
fn the_invalid_samples_are_rejected_with_their_reason() {
    let dir = samples_dir().join("invalid");
    let scope =
        std::fs::read_to_string(dir.join("google-cap-library-invalid-missing-scope.xml")).unwrap();
    let problems = cap::validate(&scope);
    assert!(
        problems
            .iter()
            .any(|p| p.message.contains("required <scope> is missing")),
        "{problems:#?}"
    );
    let markup = std::fs::read_to_string(
        dir.join("tw-cwb-typhoon-warning-2019-INVALID-markup-in-description.xml"),
    )
    .unwrap();
    let problems = cap::validate(&markup);
    assert!(
        problems.iter().any(|p| p.path.ends_with("/description[1]")
            && p.message.starts_with("element content is not allowed")),
        "{problems:#?}"
    );
}

fn jst(text: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(text).unwrap()
}

fn sample_alert() -> Alert {
    Alert {
        xmlns: cap::CAP_NAMESPACE.into(),
        identifier: "keiho-test-0001".into(),
        sender: "keiho@example.invalid".into(),
        sent: jst("2023-08-24T03:54:10+09:00"),
        status: Status::Exercise,
        msg_type: MsgType::Alert,
        source: None,
        scope: Scope::Public,
        restriction: None,
        addresses: None,
        code: vec![],
        note: Some("Exercise: replay of 24 August 2023".into()),
        references: None,
        incidents: Some("keiho-event-1".into()),
        info: vec![Info {
            language: Some("en-US".into()),
            category: vec![Category::Security],
            event: "Missile launch".into(),
            response_type: vec![cap::ResponseType::Shelter],
            urgency: Urgency::Immediate,
            severity: Severity::Extreme,
            certainty: Certainty::Likely,
            audience: None,
            event_code: vec![],
            effective: None,
            onset: None,
            expires: Some(jst("2023-08-24T04:24:10+09:00")),
            sender_name: Some("Keiho & co <test>".into()),
            headline: Some("Missile launch".into()),
            description: None,
            instruction: Some("Take shelter inside a building or underground.".into()),
            web: None,
            contact: None,
            parameter: vec![NamedValue::new(
                "predictedImpactTime",
                "2023-08-24T04:05:00+09:00",
            )],
            resource: vec![],
            area: vec![
                Area {
                    area_desc: "沖縄県 / Okinawa Prefecture".into(),
                    polygon: vec![],
                    circle: vec![],
                    geocode: vec![
                        NamedValue::new("ISO3166-2", "JP-47"),
                        NamedValue::new("JIS-X-0401", "47"),
                    ],
                    altitude: None,
                    ceiling: None,
                },
                Area {
                    area_desc: "Predicted impact zone".into(),
                    polygon: vec!["15.0,130.0 15.0,131.0 16.0,131.0 15.0,130.0".into()],
                    circle: vec!["15.3,130.5 40".into()],
                    geocode: vec![],
                    altitude: None,
                    ceiling: None,
                },
            ],
        }],
    }
}

#[test]
fn built_messages_round_trip_and_validate() {
    let alert = sample_alert();
    let xml = cap::to_xml(&alert).unwrap();
    assert!(
        xml.contains("<sent>2023-08-24T03:54:10+09:00</sent>"),
        "{xml}"
    );
    assert!(xml.contains("Keiho &amp; co &lt;test&gt;"));
    assert_eq!(cap::validate(&xml), vec![]);
    assert_eq!(cap::from_xml(&xml).unwrap(), alert);
    write_for_xmllint("roundtrip-sample", &xml);
}

#[test]
fn text_rules_the_schema_cannot_express() {
    let mut alert = sample_alert();
    alert.identifier = "has space".into();
    alert.references = Some("keiho,abc,2023-08-24T03:54:10Z".into());
    alert.info[0].area[1].polygon = vec![
        "15.0,130.0 15.0,131.0 16.0,131.0 15.5,130.0".into(),
        "95,0 1,1 2,2 95,0".into(),
    ];
    alert.info[0].area[1].circle = vec!["15,130".into()];
    let problems = cap::validate(&cap::to_xml(&alert).unwrap());
    let messages: Vec<String> = problems
        .iter()
        .map(|p| format!("{}: {}", p.path, p.message))
        .collect();
    assert_eq!(
        messages,
        vec![
            "/alert/identifier[1]: \"has space\" must be non-empty with no spaces, commas, '<' or '&'",
            "/alert/references[1]: \"keiho,abc,2023-08-24T03:54:10Z\" is not a sender,identifier,sent triple",
            "/alert/info[1]/area[2]/polygon[1]: polygon is not closed (first point differs from last)",
            "/alert/info[1]/area[2]/polygon[2]: latitude 95 is outside [-90, 90]",
            "/alert/info[1]/area[2]/circle[1]: \"15,130\" is not \"lat,lon radius_km\"",
        ]
    );
}

#[test]
fn structure_errors_name_the_element() {
    let good = cap::to_xml(&sample_alert()).unwrap();
    let swapped = good
        .replace("<status>Exercise</status>", "<!--s-->")
        .replace("<msgType>Alert</msgType>", "<status>Exercise</status>")
        .replace("<!--s-->", "<msgType>Alert</msgType>");
    let p = cap::validate(&swapped);
    assert!(
        p.iter()
            .any(|p| p.message == "<status> is out of order (CAP fixes the element order)"),
        "{p:#?}"
    );
    let zulu = good.replace(
        "2023-08-24T03:54:10+09:00</sent>",
        "2023-08-24T03:54:10Z</sent>",
    );
    let p = cap::validate(&zulu);
    assert!(
        p.iter()
            .any(|p| p.path == "/alert/sent[1]" && p.message.contains("CAP forbids \"Z\"")),
        "{p:#?}"
    );
    let cap11 = good.replace(cap::CAP_NAMESPACE, "urn:oasis:names:tc:emergency:cap:1.1");
    assert!(
        cap::validate(&cap11)[0]
            .message
            .starts_with("root must be <alert> in namespace")
    );
    assert!(cap::from_xml(&cap11).is_err());
    let bad_enum = good.replace("<urgency>Immediate</urgency>", "<urgency>Now</urgency>");
    assert!(
        cap::validate(&bad_enum)
            .iter()
            .any(|p| p.message.starts_with("\"Now\" is not one of Immediate"))
    );
    assert!(
        cap::validate("<alert")
            .first()
            .unwrap()
            .message
            .starts_with("not well-formed XML")
    );
}

proptest::proptest! {
    /// The validator never panics, whatever it is given.
    #[test]
    fn validate_never_panics(s in ".{0,400}") {
        let _ = cap::validate(&s);
        let _ = cap::from_xml(&s);
    }
}
