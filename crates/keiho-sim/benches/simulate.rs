//! Cost of one full scenario: the 24 Aug 2023 flight (three stages, fairing, six
//! fragments, about 1,000 s) flown, observed by the default sensors, and written out.

use criterion::{Criterion, criterion_group, criterion_main};
use keiho_sim::{Scenario, simulate, write_reports, write_truth};
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    let scenario = match Scenario::by_name("sohae-2023-08-24") {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    };
    c.bench_function("simulate_sohae_2023_08_24", |b| {
        b.iter(|| simulate(black_box(&scenario), black_box(7)))
    });
    let sim = match simulate(&scenario, 7) {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    };
    c.bench_function("write_sohae_2023_08_24", |b| {
        b.iter(|| {
            let (mut reports, mut truth) = (Vec::new(), Vec::new());
            let written = write_reports(black_box(&sim), &mut reports)
                .and_then(|()| write_truth(black_box(&sim), &mut truth));
            (written.is_ok(), reports.len(), truth.len())
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = bench
}
criterion_main!(benches);
