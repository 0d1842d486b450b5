//! `keiho iip`: the instantaneous impact point of one ECEF state.

use anyhow::{Context, bail};
use keiho_flight::{ForceModel, StateEcef, iip_numeric, iip_vacuum};
use nalgebra::Vector3;
use std::io::Write as _;

/// Longest flight we integrate for: beyond two hours the state is not a suborbital
/// trajectory worth an impact point.
const MAX_FLIGHT_S: f64 = 7200.0;

pub(crate) fn run(ecef: [f64; 3], vel: [f64; 3], beta: Option<f64>) -> anyhow::Result<()> {
    let r = Vector3::from(ecef);
    let v = Vector3::from(vel);
    let iip = match beta {
        None => iip_vacuum(&r, &v).context("closed-form vacuum IIP")?,
        Some(beta) => {
            if !(beta.is_finite() && beta > 0.0) {
                bail!("--beta must be a positive number of kg/m^2, got {beta}");
            }
            let state = StateEcef { r_m: r, v_mps: v };
            iip_numeric(&state, &ForceModel::ballistic(beta), MAX_FLIGHT_S)
                .context("numerical IIP with drag")?
        }
    };
    writeln!(std::io::stdout().lock(), "{}", serde_json::to_string(&iip)?)?;
    Ok(())
}
