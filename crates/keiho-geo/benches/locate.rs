//! `locate` throughput on 1,000,000 points over lon 115-150, lat 20-50 (issue 2).
//!
//! The points are read from `$KEIHO_BENCH_POINTS` (a `lon,lat` CSV, as written by
//! `bench/locate_vs_shapely.py`, so shapely and Keiho see the same points) or, without
//! it, drawn from a seeded RNG.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use keiho_geo::RegionSet;
use keiho_types::GeoPoint;
use rand::{RngExt, SeedableRng, rngs::StdRng};
use std::hint::black_box;

fn points() -> Vec<GeoPoint> {
    if let Ok(path) = std::env::var("KEIHO_BENCH_POINTS") {
        let text = std::fs::read_to_string(&path).expect("read KEIHO_BENCH_POINTS");
        return text
            .lines()
            .filter_map(|l| {
                let (x, y) = l.split_once(',')?;
                GeoPoint::new(y.trim().parse().ok()?, x.trim().parse().ok()?).ok()
            })
            .collect();
    }
    let mut rng = StdRng::seed_from_u64(20230824);
    (0..1_000_000)
        .map(|_| {
            GeoPoint::new(rng.random_range(20.0..50.0), rng.random_range(115.0..150.0))
                .expect("in range")
        })
        .collect()
}

fn bench_locate(c: &mut Criterion) {
    let set = RegionSet::load_bundled().expect("bundled regions");
    let pts = points();
    let mut group = c.benchmark_group("locate_1m");
    group.sample_size(10);
    group.throughput(Throughput::Elements(pts.len() as u64));
    group.bench_function("rtree_only_single_thread", |b| {
        b.iter(|| {
            black_box(
                pts.iter()
                    .map(|p| set.locate_with_tree(*p))
                    .collect::<Vec<_>>(),
            )
        })
    });
    group.bench_function("single_thread", |b| {
        b.iter(|| black_box(set.locate_all(black_box(&pts))))
    });
    group.bench_function("rayon_all_cores", |b| {
        b.iter(|| black_box(set.locate_all_parallel(black_box(&pts))))
    });
    group.finish();
}

fn bench_load(c: &mut Criterion) {
    c.bench_function("load_bundled_regions", |b| {
        b.iter(|| black_box(RegionSet::load_bundled().expect("bundled regions")))
    });
}

criterion_group!(benches, bench_locate, bench_load);
criterion_main!(benches);
