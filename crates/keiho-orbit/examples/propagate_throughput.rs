//! SGP4 throughput on a file of element sets sharing one epoch: every set propagated
//! to every minute of a span, TEME only (what python-sgp4's `SatrecArray.sgp4`
//! computes). Prints one JSON line; used by `bench/sgp4_vs_python.py`.
//!
//! `cargo run --release -p keiho-orbit --example propagate_throughput -- FILE MINUTES`

use keiho_orbit::{Propagator, parse_elements};
use rayon::prelude::*;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let path = args
        .first()
        .ok_or("usage: propagate_throughput FILE MINUTES")?;
    let minutes: usize = args.get(1).map_or(Ok(1440), |s| s.parse())?;
    let sets = parse_elements(&std::fs::read_to_string(path)?)?;
    let props: Vec<Propagator> = sets.iter().map(Propagator::new).collect::<Result<_, _>>()?;
    let run = |p: &Propagator| -> f64 {
        let mut acc = 0.0;
        for k in 0..minutes {
            if let Ok(s) = p.teme_at_minutes(k as f64) {
                acc += s.position_km[0];
            }
        }
        acc
    };
    let mut best_one = f64::INFINITY;
    let mut best_all = f64::INFINITY;
    let mut checksum = 0.0;
    for _ in 0..3 {
        let t = Instant::now();
        checksum = props.iter().map(run).sum::<f64>();
        best_one = best_one.min(t.elapsed().as_secs_f64());
        let t = Instant::now();
        let c2: f64 = props.par_iter().map(run).sum();
        best_all = best_all.min(t.elapsed().as_secs_f64());
        checksum = checksum.max(c2);
    }
    let last = props
        .first()
        .map(|p| p.teme_at_minutes((minutes - 1) as f64))
        .transpose()?
        .map(|s| s.position_km);
    println!(
        "{{\"sets\":{},\"minutes\":{minutes},\"propagations\":{},\"seconds_one_thread\":{best_one},\
         \"seconds_all_threads\":{best_all},\"threads\":{},\"checksum\":{checksum},\"first_last_km\":{:?}}}",
        props.len(),
        props.len() * minutes,
        rayon::current_num_threads(),
        last.unwrap_or([0.0; 3]),
    );
    Ok(())
}
