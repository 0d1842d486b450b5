//! Cost of one instantaneous impact point: closed-form vacuum, numeric vacuum, and
//! numeric J2 + drag (beta 1,000 kg/m^2), on the first reference case (a southward
//! climb from 39.66 N 124.705 E at 100 km, 3 km/s; about 470 s to impact).

use criterion::{Criterion, criterion_group, criterion_main};
use keiho_flight::integrate::Options;
use keiho_flight::{ForceModel, StateEcef, iip_numeric, iip_numeric_with, iip_vacuum};
use nalgebra::Vector3;
use serde::Deserialize;
use std::hint::black_box;

#[derive(Deserialize)]
struct Reference {
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    r_ecef_m: [f64; 3],
    v_ecef_mps: [f64; 3],
}

fn first_case() -> StateEcef {
    let r: Reference = match serde_json::from_str(include_str!("../tests/reference/iip_cases.json"))
    {
        Ok(r) => r,
        Err(e) => panic!("reference fixture does not parse: {e}"),
    };
    let Some(c) = r.cases.first() else {
        panic!("reference fixture has no cases")
    };
    StateEcef {
        r_m: Vector3::from(c.r_ecef_m),
        v_mps: Vector3::from(c.v_ecef_mps),
    }
}

fn bench(c: &mut Criterion) {
    let s = first_case();
    c.bench_function("iip_vacuum_closed_form", |b| {
        b.iter(|| iip_vacuum(black_box(&s.r_m), black_box(&s.v_mps)))
    });
    c.bench_function("iip_numeric_vacuum", |b| {
        b.iter(|| iip_numeric(black_box(&s), &ForceModel::KEPLER, 7_200.0))
    });
    let drag = ForceModel::ballistic(1_000.0);
    c.bench_function("iip_numeric_j2_drag_beta1000", |b| {
        b.iter(|| iip_numeric(black_box(&s), &drag, 7_200.0))
    });
    c.bench_function("iip_numeric_j2_drag_beta1000_monte_carlo_tolerances", |b| {
        b.iter(|| iip_numeric_with(black_box(&s), &drag, 7_200.0, Options::monte_carlo()))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
