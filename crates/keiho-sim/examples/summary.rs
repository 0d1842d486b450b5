//! Prints a summary of every built-in scenario's truth: events, apogee, and where each
//! object crosses 25.6 N (the Okinawa-Miyako gap). `cargo run -p keiho-sim --example
//! summary [NAME...]`.

use keiho_sim::{EventKind, Scenario, simulate};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let names: Vec<&str> = if args.is_empty() {
        Scenario::names().to_vec()
    } else {
        args.iter().map(String::as_str).collect()
    };
    for name in names {
        let scenario = Scenario::by_name(name)?;
        let sim = simulate(&scenario, 1)?;
        println!("== {name}  launch {}", sim.launch);
        for e in &sim.events {
            let orbit = e
                .orbit
                .map(|o| {
                    format!(
                        " orbit {:.0} x {:.0} km, i {:.2}",
                        o.perigee_alt_km, o.apogee_alt_km, o.inclination_deg
                    )
                })
                .unwrap_or_default();
            println!(
                "  {:7.1} s {:<30} {:<16} {:7.3} N {:8.3} E {:8.1} km {:6.0} m/s {}{}",
                e.t_after_launch_s,
                e.object,
                format!("{:?}", e.kind),
                e.lat_deg,
                e.lon_deg,
                e.alt_m / 1000.0,
                e.speed_mps,
                e.detail.clone().unwrap_or_default(),
                orbit
            );
        }
        for object in sim.objects() {
            let track = sim.track(object);
            let apogee = track
                .iter()
                .max_by(|a, b| a.alt_m.total_cmp(&b.alt_m))
                .map(|s| (s.alt_m / 1000.0, (s.t - sim.launch).num_seconds()));
            let crossing = track
                .windows(2)
                .find(|w| w[0].lat_deg >= 25.6 && w[1].lat_deg < 25.6)
                .map(|w| {
                    format!(
                        "crosses 25.6N at {:.2} E, {:.0} s, {:.0} km",
                        w[1].lon_deg,
                        (w[1].t - sim.launch).num_milliseconds() as f64 / 1000.0,
                        w[1].alt_m / 1000.0
                    )
                })
                .unwrap_or_default();
            if let Some((alt, t)) = apogee {
                println!("  {object:<30} apogee {alt:7.1} km at {t} s {crossing}");
            }
        }
        let impacts = sim
            .events
            .iter()
            .filter(|e| e.kind == EventKind::Impact)
            .count();
        println!(
            "  {} reports, {} truth samples, {impacts} impacts",
            sim.reports.len(),
            sim.truth.len()
        );
    }
    Ok(())
}
