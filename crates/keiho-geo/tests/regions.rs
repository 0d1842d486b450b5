//! The region engine on the bundled data: real places, islands, borders, hazards,
//! distances, and the index checked against a brute-force scan.

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use keiho_geo::geodesy::{destination, distance_azimuth};
use keiho_geo::{Hazard, RegionSet};
use keiho_types::{CountryCode, GeoPoint};
use proptest::prelude::*;

fn set() -> &'static RegionSet {
    RegionSet::bundled().expect("bundled regions load")
}

fn pt(lat: f64, lon: f64) -> GeoPoint {
    GeoPoint::new(lat, lon).unwrap()
}

fn code_at(lat: f64, lon: f64) -> Option<String> {
    set()
        .locate(pt(lat, lon))
        .map(|i| set().region(i).code.to_string())
}

fn codes(indices: &[usize]) -> Vec<String> {
    indices
        .iter()
        .map(|&i| set().region(i).code.to_string())
        .collect()
}

#[test]
fn bundled_set_has_every_region_with_names() {
    let s = set();
    assert_eq!(s.regions().len(), 367);
    let jp: Vec<_> = s
        .regions()
        .iter()
        .filter(|r| r.country.as_str() == "JP")
        .collect();
    assert_eq!(jp.len(), 47);
    assert!(
        jp.iter()
            .all(|r| r.name_ja.is_some() && r.jis_code.is_some())
    );
    let okinawa = s.region(s.by_code("JP-47").unwrap());
    assert_eq!(okinawa.name_ja.as_deref(), Some("沖縄県"));
    assert_eq!(okinawa.jis_code.as_deref(), Some("47"));
    let seoul = s.region(s.by_code("KR-11").unwrap());
    assert_eq!(seoul.name_ko.as_deref(), Some("서울특별시"));
    // Codes are unique: they are the key every alert uses.
    let mut all: Vec<_> = s.regions().iter().map(|r| r.code.as_str()).collect();
    all.sort_unstable();
    all.dedup();
    assert_eq!(all.len(), 367);
}

/// City coordinates from their Wikipedia infoboxes (city halls), rounded to 4 decimals.
#[test]
fn cities_are_in_their_regions() {
    let cases = [
        ("Naha", 26.2124, 127.6809, "JP-47"),
        ("Sapporo", 43.0618, 141.3545, "JP-01"),
        ("Tokyo (Shinjuku)", 35.6895, 139.6917, "JP-13"),
        ("Aomori", 40.8246, 140.7406, "JP-02"),
        ("Seoul", 37.5665, 126.9780, "KR-11"),
        ("Busan", 35.1796, 129.0756, "KR-26"),
        ("Pyongyang", 39.0392, 125.7625, "KP-01"),
        ("Taipei", 25.0330, 121.5654, "TW-TPE"),
        ("Manila", 14.5995, 120.9842, "PH-00"),
        ("Hagatna", 13.4757, 144.7489, "GU-X01"),
    ];
    for (name, lat, lon, want) in cases {
        assert_eq!(code_at(lat, lon).as_deref(), Some(want), "{name}");
    }
}

#[test]
fn open_sea_is_in_no_region() {
    assert_eq!(code_at(40.0, 135.0), None, "Sea of Japan");
    assert_eq!(
        code_at(25.5, 126.3),
        None,
        "between Okinawa Island and Miyako"
    );
    assert_eq!(code_at(30.0, 145.0), None, "Pacific east of Japan");
}

/// Island centres (Wikipedia), all small islands far from their prefecture's capital.
#[test]
fn islands_belong_to_their_prefectures() {
    let cases = [
        ("Miyako-jima", 24.7900, 125.3100, "JP-47"),
        ("Ishigaki-jima", 24.4064, 124.1754, "JP-47"),
        ("Yonaguni-jima", 24.4600, 122.9900, "JP-47"),
        ("Sado", 38.0500, 138.3800, "JP-15"),
        // Natural Earth draws Chichi-jima coarsely; Omura, its village centre, is inside.
        ("Chichi-jima, Omura (Ogasawara)", 27.0917, 142.2000, "JP-13"),
        ("Iwo-to (Ogasawara)", 24.7839, 141.3208, "JP-13"),
        ("Minami-Torishima", 24.2872, 153.9806, "JP-13"),
        ("Haha-jima (Ogasawara)", 26.6500, 142.1600, "JP-13"),
        ("Tsushima", 34.4000, 129.3300, "JP-42"),
        ("Jeju", 33.3800, 126.5500, "KR-49"),
        // Regression: Natural Earth puts the Amami islands in Okinawa; they are
        // Kagoshima's (data/regions/japan_island_corrections.csv).
        ("Amami-Oshima", 28.3770, 129.4940, "JP-46"),
        ("Yoron-jima", 27.0440, 128.4250, "JP-46"),
        ("Naga-shima (Kagoshima)", 32.1700, 130.1500, "JP-46"),
    ];
    for (name, lat, lon, want) in cases {
        assert_eq!(code_at(lat, lon).as_deref(), Some(want), "{name}");
    }
}

/// Points 300 m either side of real prefecture borders. The border point is the
/// midpoint of an edge the two prefectures share in the data; the offsets are
/// geodesic, perpendicular to the edge.
#[test]
fn points_300_m_either_side_of_a_border() {
    for (a, b) in [
        ("JP-13", "JP-14"),
        ("JP-27", "JP-28"),
        ("JP-26", "JP-27"),
        ("JP-40", "JP-44"),
        ("KR-41", "KR-42"),
    ] {
        let (mid, az) = shared_edge(a, b).unwrap_or_else(|| panic!("{a} and {b} share no edge"));
        let (left, _) = destination(mid, az - 90.0, 300.0);
        let (right, _) = destination(mid, az + 90.0, 300.0);
        let got = [
            code_at(left.lat_deg(), left.lon_deg()),
            code_at(right.lat_deg(), right.lon_deg()),
        ];
        let mut got: Vec<_> = got.into_iter().map(|c| c.unwrap_or_default()).collect();
        got.sort();
        let mut want = vec![a.to_owned(), b.to_owned()];
        want.sort();
        assert_eq!(got, want, "border {a}/{b} at {mid}");
    }
}

/// Midpoint and azimuth of the longest edge (over 1 km) two regions share.
fn shared_edge(a: &str, b: &str) -> Option<(GeoPoint, f64)> {
    let s = set();
    let edges = |code: &str| {
        let r = s.region(s.by_code(code).unwrap());
        let mut e = Vec::new();
        for poly in &r.geometry {
            for w in poly.exterior().0.windows(2) {
                e.push(((w[0].x, w[0].y), (w[1].x, w[1].y)));
            }
        }
        e
    };
    let eb = edges(b);
    edges(a)
        .into_iter()
        .filter(|&(p, q)| {
            eb.iter()
                .any(|&(r, t)| (p, q) == (t, r) || (p, q) == (r, t))
        })
        .map(|(p, q)| {
            let (p, q) = (pt(p.1, p.0), pt(q.1, q.0));
            let (d, az) = distance_azimuth(p, q);
            let (mid, az_mid) = destination(p, az, d / 2.0);
            (d, mid, az_mid)
        })
        .filter(|(d, _, _)| *d > 1000.0)
        .max_by(|x, y| x.0.total_cmp(&y.0))
        .map(|(_, mid, az)| (mid, az))
}

#[test]
fn circles_hit_exactly_the_regions_within_their_radius() {
    // Independent check: `hit` builds a circumscribed geodesic polygon and intersects
    // edges; `distance_km` measures geodesic distance vertex by vertex. The two must
    // agree except for regions within 0.5% of the radius (the polygon's extra cover is
    // at most 0.4%).
    let s = set();
    for (lat, lon, r_km) in [
        (26.21, 127.68, 30.0),
        (25.5, 126.3, 150.0),
        (34.0, 129.0, 80.0),
        (52.0, 179.9, 300.0),
        (40.0, 135.0, 200.0),
    ] {
        let c = pt(lat, lon);
        let hit = s
            .hit(&Hazard::Circle {
                centre: c,
                radius_km: r_km,
            })
            .unwrap();
        for (i, _) in s.regions().iter().enumerate() {
            let d = s.distance_km(c, i);
            if d <= r_km * 0.995 {
                assert!(
                    hit.contains(&i),
                    "{} at {d:.1} km should be hit by r={r_km} at {c}",
                    s.region(i).code
                );
            } else if d > r_km * 1.005 {
                assert!(
                    !hit.contains(&i),
                    "{} at {d:.1} km should not be hit by r={r_km} at {c}",
                    s.region(i).code
                );
            }
        }
    }
}

#[test]
fn circle_across_the_antimeridian_finds_both_sides_of_alaska() {
    // The Aleutians straddle 180 degrees; a circle there must reach islands on both sides.
    let s = set();
    let hit = codes(
        &s.hit(&Hazard::Circle {
            centre: pt(51.9, 180.0),
            radius_km: 400.0,
        })
        .unwrap(),
    );
    assert_eq!(hit, vec!["US-AK"]);
    let near = s.near(pt(51.9, -179.99), 400.0);
    assert!(
        near.iter()
            .any(|n| s.region(n.region).code.as_str() == "US-AK")
    );
}

#[test]
fn a_corridor_through_the_okinawa_miyako_gap() {
    // The gap between Okinawa Island and Miyako is about 290 km wide; a narrow corridor
    // down its middle touches no Japanese land, a wide one touches Okinawa prefecture.
    let s = set();
    let line = vec![pt(27.5, 126.0), pt(25.5, 126.3), pt(22.0, 127.0)];
    let narrow = s
        .hit(&Hazard::Corridor {
            line: line.clone(),
            half_width_km: 40.0,
        })
        .unwrap();
    assert!(codes(&narrow).is_empty(), "{:?}", codes(&narrow));
    let wide = s
        .hit(&Hazard::Corridor {
            line,
            half_width_km: 160.0,
        })
        .unwrap();
    assert_eq!(codes(&wide), vec!["JP-47"]);
}

#[test]
fn ellipse_is_oriented_by_azimuth() {
    // A 200 x 10 km ellipse centred in the sea between Okinawa and Miyako: pointing
    // north-east along the island chain it reaches Okinawa Island; across it, nothing.
    let s = set();
    let centre = pt(25.5, 126.3);
    let along = Hazard::Ellipse {
        centre,
        semi_major_km: 200.0,
        semi_minor_km: 10.0,
        orientation_deg: 55.0,
    };
    let across = Hazard::Ellipse {
        centre,
        semi_major_km: 200.0,
        semi_minor_km: 10.0,
        orientation_deg: 145.0,
    };
    assert_eq!(codes(&s.hit(&along).unwrap()), vec!["JP-47"]);
    assert!(s.hit(&across).unwrap().is_empty());
    let swapped = Hazard::Ellipse {
        centre,
        semi_major_km: 1.0,
        semi_minor_km: 2.0,
        orientation_deg: 0.0,
    };
    assert!(s.hit(&swapped).is_err());
}

#[test]
fn near_finds_tsushima_from_busan() {
    // Tsushima (JP-42, Nagasaki) is about 50 km from Busan's coast across the Korea
    // Strait; from Busan city hall, on Natural Earth's coarse outline, about 60 km.
    let s = set();
    let near = s.near(pt(35.1796, 129.0756), 80.0);
    let found: Vec<_> = near
        .iter()
        .map(|n| (s.region(n.region).code.as_str(), n.distance_km))
        .collect();
    assert_eq!(found[0], ("KR-26", 0.0));
    let tsushima = found
        .iter()
        .find(|(c, _)| *c == "JP-42")
        .expect("Tsushima within 60 km");
    assert!((45.0..75.0).contains(&tsushima.1), "{tsushima:?}");
}

#[test]
fn jurisdiction_filter_keeps_only_the_deployment_countries() {
    let s = set();
    let hit = s
        .hit(&Hazard::Circle {
            centre: pt(34.0, 129.0),
            radius_km: 150.0,
        })
        .unwrap();
    let jp = s.in_jurisdiction(&hit, &[CountryCode::parse("JP").unwrap()]);
    assert!(!jp.is_empty() && jp.len() < hit.len());
    assert!(jp.iter().all(|&i| s.region(i).country.as_str() == "JP"));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    /// The index never disagrees with testing every region with `geo`.
    #[test]
    fn index_agrees_with_brute_force(lon in 115.0f64..150.0, lat in 20.0f64..50.0) {
        let p = pt(lat, lon);
        let brute = set().locate_brute_force(p);
        prop_assert_eq!(set().locate(p), brute);
        prop_assert_eq!(set().locate_with_tree(p), brute);
    }

    /// ... including right next to real borders and coastlines, where it matters.
    #[test]
    fn index_agrees_near_boundaries(region in 0usize..367, vertex in 0usize..10_000, dx in -0.002f64..0.002, dy in -0.002f64..0.002) {
        let r = set().region(region);
        let ring = &r.geometry.0[0].exterior().0;
        let v = ring[vertex % ring.len()];
        if let Ok(p) = GeoPoint::new((v.y + dy).clamp(-90.0, 90.0), (v.x + dx).clamp(-180.0, 180.0)) {
            let brute = set().locate_brute_force(p);
            prop_assert_eq!(set().locate(p), brute);
            prop_assert_eq!(set().locate_with_tree(p), brute);
        }
    }
}
