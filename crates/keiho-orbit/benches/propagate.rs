//! Criterion benchmarks of the orbit watch: SGP4 propagation throughput (TEME, and
//! through to geodetic), and a week of passes over one place.

use chrono::Duration;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use keiho_orbit::{Observer, Propagator, parse_elements, point_passes};
use std::hint::black_box;

const TLE: &str = "MALLIGYONG-1
1 58400U 23179A   24158.19566690  .00000871  00000-0  41535-4 0  9999
2 58400  97.4052  45.2326 0002221 305.1745  54.9283 15.21704003 30052
";

fn benches(c: &mut Criterion) {
    let Ok(sets) = parse_elements(TLE) else {
        return;
    };
    let set = &sets[0];
    let Ok(prop) = Propagator::new(set) else {
        return;
    };
    let mut group = c.benchmark_group("sgp4");
    group.throughput(Throughput::Elements(1440));
    group.bench_function("teme_1440_steps", |b| {
        b.iter(|| {
            let mut acc = 0.0;
            for k in 0..1440 {
                if let Ok(s) = prop.teme_at_minutes(black_box(f64::from(k))) {
                    acc += s.position_km[0];
                }
            }
            acc
        })
    });
    let track = prop.track(set.epoch);
    group.bench_function("geodetic_1440_steps", |b| {
        b.iter(|| {
            let mut acc = 0.0;
            for k in 0..1440 {
                if let Ok(s) = track.earth_fixed(black_box(f64::from(k) * 60.0)) {
                    acc += s.geodetic.lat_deg;
                }
            }
            acc
        })
    });
    group.finish();
    let naha = Observer::new(26.2124, 127.6809, 0.0);
    c.bench_function("point_passes_7_days_naha", |b| {
        b.iter(|| point_passes(set, &naha, set.epoch, set.epoch + Duration::days(7), 10.0))
    });
}

criterion_group!(orbit, benches);
criterion_main!(orbit);
