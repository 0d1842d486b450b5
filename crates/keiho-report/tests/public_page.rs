//! The public event page against the database it is made from: the Sohae launch of
//! 24 August 2023 replayed into a store, its page written in ja, en and ko, and every
//! fact checked against the stored messages and journal, with independent references
//! for times (the CAP `sent` text itself) and distances (geographiclib on the bundled
//! outlines' vertices). Then pages built from hand-made facts: missing facts are said
//! to be unknown, hostile text is escaped.

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use chrono::{DateTime, Duration, Utc};
use geographiclib_rs::{Geodesic, InverseGeodesic};
use keiho_alert::cap::Status;
use keiho_pipeline::{LaunchNotice, Pipeline, PipelineConfig, replay};
use keiho_report::public::{Lang, Links, PublicFacts, page, public_page_html};
use keiho_report::{Analysis, EventRecord};
use keiho_sim::{Scenario, simulate};
use keiho_store::{AlertLog, SqliteStore};
use keiho_types::GeoPoint;

fn sohae() -> SqliteStore {
    let sim = simulate(&Scenario::by_name("sohae-2023-08-24").unwrap(), 1).unwrap();
    let mut config = PipelineConfig::japan("keiho.test", Status::Exercise);
    config.notices.push(LaunchNotice {
        site: GeoPoint::new(39.660, 124.705).unwrap(),
        radius_km: 50.0,
        from: sim.launch - Duration::hours(12),
        to: sim.launch + Duration::hours(12),
        max_burn_s: 720.0,
    });
    let regions = keiho_geo::RegionSet::bundled().unwrap();
    let mut p = Pipeline::new(config, regions, SqliteStore::in_memory().unwrap());
    let reports: Vec<_> = sim
        .reports
        .iter()
        .map(|r| (r.clone(), serde_json::to_string(r).unwrap()))
        .collect();
    replay(&mut p, &reports, |_| {}, |_| {}).unwrap();
    p.into_store()
}

fn page_of(l: Lang) -> String {
    format!("{}.html", l.tag())
}

fn cap(id: &str) -> String {
    format!("cap/{id}.xml")
}

fn links() -> Links<'static> {
    Links {
        lang: &page_of,
        cap: &cap,
    }
}

/// `2023-08-24T03:52:08+09:00` -> the page's local wording, built from the CAP text
/// itself (not from chrono), so the page's time conversion is checked independently.
fn local_from_sent(sent: &str, lang: Lang) -> String {
    assert!(sent.ends_with("+09:00"), "the deployment sends JST: {sent}");
    let (y, m, d) = (&sent[0..4], &sent[5..7], &sent[8..10]);
    let (m, d) = (m.trim_start_matches('0'), d.trim_start_matches('0'));
    let hms = &sent[11..19];
    match lang {
        Lang::Ja => format!("{y}年{m}月{d}日 {hms}（日本時間）"),
        Lang::Ko => format!("{y}년 {m}월 {d}일 {hms}(한국 시간)"),
        Lang::En => {
            let month = [
                "January",
                "February",
                "March",
                "April",
                "May",
                "June",
                "July",
                "August",
                "September",
                "October",
                "November",
                "December",
            ][m.parse::<usize>().unwrap() - 1];
            format!("{d} {month} {y}, {hms} JST")
        }
    }
}

#[test]
fn the_sohae_page_states_what_the_database_holds_in_three_languages() {
    let store = sohae();
    let alerts = store.alerts().unwrap();
    let event = &alerts[0].event_id;
    let first = alerts
        .iter()
        .find(|a| a.regions.iter().any(|c| c == "JP-47"))
        .unwrap();
    let lifted = alerts.iter().find(|a| a.stage == "AllClear").unwrap();
    let pages: Vec<(Lang, String)> = Lang::ALL
        .iter()
        .map(|&l| (l, public_page_html(&store, event, l, &links()).unwrap()))
        .collect();
    for (lang, html) in &pages {
        assert!(html.starts_with(&format!("<!doctype html><html lang=\"{}\">", lang.tag())));
        // Okinawa, in the page's language where the bundled data has the name.
        let okinawa = match lang {
            Lang::Ja => "沖縄県",
            Lang::En | Lang::Ko => "Okinawa Prefecture",
        };
        assert!(html.contains(okinawa), "{lang:?}: Okinawa named");
        // Told and lifted, as the CAP messages' `sent` say.
        for sent in [&first.sent, &lifted.sent] {
            let want = local_from_sent(sent, *lang);
            assert!(html.contains(&want), "{lang:?}: {want:?} on the page");
        }
        // The exercise is marked, in words.
        let mark = match lang {
            Lang::Ja => "訓練",
            Lang::En => "EXERCISE",
            Lang::Ko => "훈련",
        };
        assert!(
            html.contains(&format!("class=\"banner\" role=\"note\">{mark}")),
            "{lang:?}"
        );
        // Every message, linked to its CAP file; the other languages linked.
        for a in &alerts {
            assert!(
                html.contains(&format!("href=\"cap/{}.xml\"", a.identifier)),
                "{lang:?}"
            );
        }
        for other in Lang::ALL.iter().filter(|o| *o != lang) {
            assert!(html.contains(&format!("href=\"{}.html\"", other.tag())));
        }
        // The FAQ: six questions, each answered.
        assert_eq!(html.matches("<h3>").count(), 6, "{lang:?}: six questions");
        assert!(html.contains("<svg"), "{lang:?}: the map is inline");
        for fetch in ["src=\"http", "href=\"http", "<link", "<script", "url(http"] {
            assert!(!html.contains(fetch), "{lang:?}: nothing fetched ({fetch})");
        }
    }

    // Where it came down: the point the journal holds, and its distance to Japan.
    let record = EventRecord::load(&store, event).unwrap();
    let analysis = Analysis::of(&record, None).unwrap();
    let regions = keiho_geo::RegionSet::bundled().unwrap();
    let facts = PublicFacts::of(&record, &analysis, regions);
    let outcome = facts
        .outcome
        .as_ref()
        .expect("the replay records how it ended");
    let (lat, lon) = outcome.point.expect("a point, recorded or last predicted");
    let main = record.objects()[0];
    let last_iip = record
        .predictions
        .iter()
        .rev()
        .filter(|p| p.object == main)
        .find_map(|p| p.body.iip)
        .unwrap();
    if outcome.point_is_last_prediction {
        assert_eq!((lat, lon), (last_iip.lat_deg, last_iip.lon_deg));
    }
    // Independent distance: geodesic (geographiclib) to every vertex of Japan's
    // outlines. A vertex is never nearer than the outline, and NE 10m vertices are
    // a few km apart at most, so the page's figure lies within 5 km below it.
    let g = Geodesic::wgs84();
    let mut nearest_m = f64::INFINITY;
    for r in regions
        .regions()
        .iter()
        .filter(|r| r.country.as_str() == "JP")
    {
        for poly in &r.geometry.0 {
            for c in poly.exterior().coords() {
                let d: f64 = g.inverse(lat, lon, c.y, c.x);
                nearest_m = nearest_m.min(d);
            }
        }
    }
    let reference_km = nearest_m / 1000.0;
    let page_km = outcome.nearest_japan_km.unwrap();
    assert!(
        page_km <= reference_km + 0.5 && page_km >= reference_km - 5.0,
        "nearest Japanese land: page {page_km:.1} km, vertices {reference_km:.1} km"
    );
    let en = &pages[1].1;
    let shown = format!(
        "about {} km from the nearest land of Japan",
        thousands(page_km)
    );
    assert!(en.contains(&shown), "{shown:?} on the English page");
    // Far out at sea: outside the territorial sea, said in words.
    assert!(
        reference_km > 1000.0,
        "the Sohae debris fell far from Japan ({reference_km:.0} km)"
    );
    assert!(en.contains("Okinawa Prefecture was told to take shelter"));
}

fn thousands(km: f64) -> String {
    let s = (km.round() as i64).to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn bare_facts(event_id: &str) -> PublicFacts {
    PublicFacts {
        event_id: event_id.to_owned(),
        status: None,
        launch_at: None,
        origin_en: "unknown".to_owned(),
        origin_ja: None,
        origin_ko: None,
        areas: Vec::new(),
        all_clear_at: None,
        outcome: None,
        messages: Vec::new(),
    }
}

#[test]
fn missing_facts_are_said_to_be_unknown_never_invented() {
    let f = bare_facts("E9");
    let en = page::render(&f, Lang::En, "", &links());
    for said in [
        "its time was not recorded",
        "No area was told to take shelter.",
        "No lifting of the call has been recorded.",
        "How the flight ended was not recorded.",
        "so this cannot be answered",
    ] {
        assert!(en.contains(said), "{said:?}");
    }
    assert!(!en.contains("class=\"banner\""), "no status, no banner");
    let ja = page::render(&f, Lang::Ja, "", &links());
    assert!(ja.contains("飛行の結末は記録されていません。"));
}

#[test]
fn hostile_text_is_escaped() {
    let mut f = bare_facts("<script>alert(1)</script>");
    f.origin_en = "\"><img src=x onerror=alert(2)>".to_owned();
    f.launch_at = Some(DateTime::<Utc>::UNIX_EPOCH);
    f.messages.push((
        "id<&>".to_owned(),
        "2023-08-24T03:52:08+09:00".to_owned(),
        "Alert".to_owned(),
        "TakeShelter".to_owned(),
    ));
    for lang in Lang::ALL {
        let html = page::render(&f, lang, "", &links());
        assert!(!html.contains("<script>alert"), "{lang:?}");
        assert!(!html.contains("<img"), "{lang:?}");
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{lang:?}"
        );
        assert!(html.contains("id&lt;&amp;&gt;"), "{lang:?}");
    }
}

#[test]
fn an_unknown_event_is_an_error_naming_the_known_ones() {
    let store = sohae();
    let err = public_page_html(&store, "E404", Lang::En, &links()).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("E404") && msg.contains("E1"), "{msg}");
}
