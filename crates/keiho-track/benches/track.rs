//! Cost of the estimate and predict stages on the test suite's simulated flight
//! (tests/track/truth.rs): one filter update, a 1,000-sample Monte Carlo footprint
//! with drag, and a whole prediction update (filter, IIP, ellipse, trace, ground track).

#[allow(dead_code, unreachable_pub)]
#[path = "../tests/track/truth.rs"]
mod truth;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use keiho_ingest::Report;
use keiho_track::filter::RadarObservation;
use keiho_track::{PredictOptions, Scatter, Tracker, TrackerConfig, monte_carlo};
use std::hint::black_box;
use std::time::Duration;
use truth::{Sensors, at, reports, standard};

/// A tracker fed the standard flight up to `t_s`, and the next report after it.
fn tracker_at(t_s: f64) -> (Tracker, Report) {
    let truth = standard(Some(2_000.0));
    let reps = reports(&truth, "T1", &Sensors::default(), 1);
    let mut tracker = Tracker::new(TrackerConfig::default());
    let mut next = None;
    for r in reps {
        if r.t > at(t_s) {
            next = Some(r);
            break;
        }
        if let Err(e) = tracker.ingest(&r) {
            panic!("fixture report refused: {e}");
        }
    }
    match next {
        Some(n) => (tracker, n),
        None => panic!("flight ends before {t_s} s"),
    }
}

fn bench(c: &mut Criterion) {
    let (coast, next) = tracker_at(250.0);
    let Some(track) = coast.object("T1") else {
        panic!("no track")
    };
    let base = track.filter().clone();
    let z = base.r_ecef_m() + base.v_ecef_mps();
    c.bench_function("filter_update_position_fix", |b| {
        b.iter(|| {
            let mut f = base.clone();
            f.predict(base.t_s + 1.0, 0.0);
            black_box(f.update_position(black_box(&z), 150.0, None, true))
        })
    });
    let site = truth::RADAR;
    let g = keiho_geo::frames::Geodetic::from(site);
    let enu = g.ecef_to_enu() * (z - g.to_ecef());
    let (range_m, az_deg, el_deg) = keiho_geo::frames::range_az_el_from_enu(&enu);
    let radar = RadarObservation {
        site_lat_deg: site.lat_deg,
        site_lon_deg: site.lon_deg,
        site_alt_m: site.alt_m,
        range_m,
        az_deg,
        el_deg,
        sigma_range_m: 30.0,
        sigma_angle_deg: 0.05,
    };
    c.bench_function("filter_update_radar", |b| {
        b.iter(|| {
            let mut f = base.clone();
            f.predict(base.t_s + 1.0, 0.0);
            black_box(f.update_radar(black_box(&radar), true))
        })
    });

    let x6 = base.x.fixed_rows::<6>(0).into_owned();
    let p6 = base.p.fixed_view::<6, 6>(0, 0).into_owned();
    let scatter = Scatter {
        beta_min_kg_m2: 300.0,
        beta_max_kg_m2: 10_000.0,
        dv_max_mps: 0.0,
    };
    let mut group = c.benchmark_group("footprint");
    group.sample_size(10);
    group.bench_function("monte_carlo_1000_drag", |b| {
        b.iter(|| monte_carlo(&x6, &p6, &scatter, 1_000, 7, 7_200.0, None))
    });
    group.finish();

    let options = PredictOptions {
        samples: 0,
        debris_samples: 0,
        ..PredictOptions::default()
    };
    for (name, t_s) in [
        ("prediction_update_boost", 60.0),
        ("prediction_update_coast", 250.0),
    ] {
        let (tracker, next) = tracker_at(t_s);
        c.bench_function(name, |b| {
            b.iter_batched(
                || tracker.clone(),
                |mut tr| {
                    let _ = tr.ingest(&next);
                    black_box(tr.predict("T1", next.t, &options))
                },
                BatchSize::SmallInput,
            )
        });
    }
    let _ = next;
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1));
    targets = bench
}
criterion_main!(benches);
