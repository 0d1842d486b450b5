//! Real Keiho CAP messages (the J-Alert sequence of 24 August 2023, composed by
//! keiho-alert) signed and verified; any tampering refused. The signed messages, a
//! tampered copy and the public key are left in `target/cap-signed/` for CI's
//! independent check with `xmlsec1` and `xmllint` (see `.ci/run`).

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use chrono::{DateTime, Duration, Utc};
use keiho_alert::cap::{self, Status};
use keiho_alert::compose::{Deployment, ImpactZone, Issued, Language, MessageContext, compose};
use keiho_alert::policy::{AreaRisk, Assessment, EventPolicy, Outcome, PolicyConfig, RiskKind};
use keiho_geo::RegionSet;
use keiho_sign::{SignError, SigningKey, VerifyError, load_or_create_key, sign_cap, verify_cap};

/// The tests' key, kept in `target/cap-signed/` so that no private key lives in the
/// repository; signing is deterministic (RFC 6979) for a given key.
fn test_key() -> SigningKey {
    load_or_create_key(&out_dir().join("test-signing-key.pem")).unwrap()
}

fn out_dir() -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/cap-signed");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

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

/// The 24 August 2023 sequence (take shelter, passed over, all clear) as CAP XML in
/// Japanese, English and Korean.
fn august_messages() -> Vec<String> {
    let mut policy = EventPolicy::new(PolicyConfig::default());
    let okinawa = AreaRisk {
        code: "JP-47".into(),
        kind: RiskKind::Overflight,
        probability: 0.6,
        expected_at: Some(at(600)),
    };
    let mut decisions = policy.update(&assess(40, vec![okinawa], None));
    decisions.extend(policy.update(&assess(
        900,
        vec![],
        Some(Outcome::PassedOver {
            codes: vec!["JP-47".into()],
            at: at(600),
            toward: "the Pacific Ocean".into(),
        }),
    )));
    decisions.extend(policy.tick(at(935)));

    let regions = RegionSet::bundled().unwrap();
    let mut deployment = Deployment::japan("keiho.example.jp");
    deployment.languages = vec![Language::Ja, Language::En, Language::Ko];
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
    for (i, d) in decisions.iter().enumerate() {
        let ctx = MessageContext {
            deployment: &deployment,
            status: Status::Exercise,
            event_id: "E20230823T1850Z",
            sequence: i as u32 + 1,
            origin_country: Some("KP"),
            earlier: &earlier,
            impact: Some(&zone),
            regions,
        };
        let alert = compose(d, &ctx).unwrap();
        earlier.push(Issued {
            identifier: alert.identifier.clone(),
            sent: alert.sent,
            expires: alert.info[0].expires.unwrap(),
        });
        out.push(cap::to_xml(&alert).unwrap());
    }
    out
}

#[test]
fn the_august_sequence_signed_verifies_and_is_still_valid_cap() {
    let key = test_key();
    let public = key.public_key_pem().unwrap();
    let dir = out_dir();
    std::fs::write(dir.join("keiho-test-signing.pub"), &public).unwrap();
    // A control for CI: xmlsec1 must refuse the messages with any other key.
    let other = SigningKey::generate().unwrap().public_key_pem().unwrap();
    std::fs::write(dir.join("other-key.pub"), other).unwrap();
    let messages = august_messages();
    assert_eq!(messages.len(), 3);
    for (i, xml) in messages.iter().enumerate() {
        let signed = sign_cap(xml, &key).unwrap();
        verify_cap(&signed, &public).unwrap();
        // The Signature is the alert's last child; the message before it is unchanged.
        let at = signed.find("  <Signature xmlns=").unwrap();
        assert_eq!(&signed[..at], &xml[..at]);
        assert!(signed.ends_with("</Signature>\n</alert>\n"));
        // keiho-alert still reads and validates it (the Signature is ignored there).
        assert_eq!(cap::validate(&signed), vec![], "message {i}");
        assert_eq!(cap::from_xml(&signed).unwrap(), cap::from_xml(xml).unwrap());
        std::fs::write(dir.join(format!("august-{i}.xml")), &signed).unwrap();
    }
    // Deterministic: the same message and key give the same bytes.
    assert_eq!(
        sign_cap(&messages[0], &key).unwrap(),
        sign_cap(&messages[0], &key).unwrap()
    );
}

/// One signed message changed in many small ways; every change is refused.
#[test]
fn any_tampering_is_refused() {
    let key = test_key();
    let public = key.public_key_pem().unwrap();
    let signed = sign_cap(&august_messages()[0], &key).unwrap();

    let tamper = |from: &str, to: &str| {
        assert!(signed.contains(from), "{from}");
        signed.replacen(from, to, 1)
    };
    let content = [
        tamper("<status>Exercise</status>", "<status>Actual</status>"),
        tamper("JP-47", "JP-13"),
        tamper("Okinawa Prefecture", "Okinawa  Prefecture"),
        tamper("<scope>Public</scope>\n", "<scope>Public</scope>\n\n"),
        tamper("15.0000,130.0000 ", "15.0001,130.0000 "),
        tamper("</info>\n  <info>", "</info>\n  <info><!-- x -->"),
    ];
    for (i, t) in content.iter().enumerate() {
        let err = verify_cap(t, &public).unwrap_err();
        assert!(
            matches!(err, VerifyError::DigestMismatch | VerifyError::Xml(_)),
            "change {i}: {err}"
        );
    }
    // A changed digest no longer matches the content; a forged SignedInfo with a
    // fresh digest no longer matches the signature value.
    let digest_start = signed.find("<DigestValue>").unwrap() + "<DigestValue>".len();
    let mut forged = signed.clone();
    forged.replace_range(digest_start..digest_start + 1, "A");
    assert!(matches!(
        verify_cap(&forged, &public),
        Err(VerifyError::DigestMismatch)
    ));
    let other = SigningKey::generate().unwrap();
    let resigned = sign_cap(
        &tamper("<status>Exercise</status>", "<status>Actual</status>")
            .replace(&signature_of(&signed), ""),
        &other,
    )
    .unwrap();
    assert!(matches!(
        verify_cap(&resigned, &public),
        Err(VerifyError::OtherKey)
    ));
    // The same forgery, claiming the trusted key in KeyInfo.
    let claimed = resigned.replace(&public_key_in(&resigned), &public_key_in(&signed));
    assert!(matches!(
        verify_cap(&claimed, &public),
        Err(VerifyError::BadSignature)
    ));
    // Algorithms and layout of the Signature itself.
    for (from, to) in [
        ("xmldsig-more#ecdsa-sha256", "xmldsig-more#ecdsa-sha384"),
        ("<Reference URI=\"\">", "<Reference URI=\"#x\">"),
        ("<KeyInfo>", "<KeyInfo><KeyName>k</KeyName>"),
    ] {
        assert!(matches!(
            verify_cap(&tamper(from, to), &public),
            Err(VerifyError::Profile)
        ));
    }
    let value_start = signed.find("<SignatureValue>").unwrap() + "<SignatureValue>".len();
    let mut flipped = signed.clone();
    let c = if &signed[value_start..value_start + 1] == "A" {
        "B"
    } else {
        "A"
    };
    flipped.replace_range(value_start..value_start + 1, c);
    assert!(matches!(
        verify_cap(&flipped, &public),
        Err(VerifyError::BadSignature)
    ));
    assert!(matches!(
        verify_cap(&signature_of(&signed), &public),
        Err(VerifyError::NotCap)
    ));
    let unsigned = signed.replace(&signature_of(&signed), "");
    assert!(matches!(
        verify_cap(&unsigned, &public),
        Err(VerifyError::Unsigned)
    ));
    assert!(matches!(
        sign_cap(&signed, &key),
        Err(SignError::AlreadySigned)
    ));

    // For CI: xmlsec1 must refuse this one too.
    std::fs::write(out_dir().join("tampered-august-0.xml"), &content[0]).unwrap();
}

fn signature_of(signed: &str) -> String {
    let start = signed.find("<Signature ").unwrap();
    let end = signed.find("</Signature>").unwrap() + "</Signature>".len();
    signed[start..end].to_owned()
}

fn public_key_in(signed: &str) -> String {
    let start = signed.find("<dsig11:PublicKey>").unwrap();
    let end = signed.find("</dsig11:PublicKey>").unwrap();
    signed[start..end].to_owned()
}

#[test]
fn keys_round_trip_through_pem_and_the_key_file_is_private() {
    let key = SigningKey::generate().unwrap();
    let again = SigningKey::from_pem(&key.to_pem().unwrap()).unwrap();
    assert_eq!(
        key.public_key_pem().unwrap(),
        again.public_key_pem().unwrap()
    );
    assert!(
        key.public_key_pem()
            .unwrap()
            .starts_with("-----BEGIN PUBLIC KEY-----")
    );
    assert!(!format!("{key:?}").contains(key.to_pem().unwrap().as_str()));
    assert!(SigningKey::from_pem("not a key").is_err());

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data/keiho-signing.pem");
    let created = load_or_create_key(&path).unwrap();
    let loaded = load_or_create_key(&path).unwrap();
    assert_eq!(
        created.public_key_pem().unwrap(),
        loaded.public_key_pem().unwrap()
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(matches!(
            load_or_create_key(&path),
            Err(keiho_sign::KeyFileError::Permissions { mode: 0o644, .. })
        ));
    }
}

/// Other senders' real CAP 1.2 messages (prefixed `cap:alert`, other layouts and
/// scripts) sign and verify too; the one already signed by its sender is refused.
#[test]
fn real_samples_from_other_senders_sign_and_verify() {
    let key = test_key();
    let public = key.public_key_pem().unwrap();
    let samples =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/cap/samples");
    let mut signed_count = 0;
    for entry in std::fs::read_dir(samples).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "xml") {
            continue;
        }
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let xml = std::fs::read_to_string(&path).unwrap();
        match sign_cap(&xml, &key) {
            Ok(signed) => {
                verify_cap(&signed, &public).unwrap();
                std::fs::write(out_dir().join(format!("sample-{name}.xml")), signed).unwrap();
                signed_count += 1;
            }
            Err(SignError::AlreadySigned) => {
                assert!(name.contains("xmldsig-signed"), "{name}");
                assert!(verify_cap(&xml, &public).is_err(), "{name}");
            }
            Err(e) => panic!("{name}: {e}"),
        }
    }
    assert!(signed_count >= 8, "{signed_count}");
}
