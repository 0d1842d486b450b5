//! One module per subcommand; each turns arguments into library calls and output.

mod alerts;
mod cap;
mod demo;
mod event;
mod iip;
mod orbit;
mod predict;
mod regions;
mod replay;
mod report;
mod serve;
mod simulate;
mod token;

use crate::cli::{Cli, Command};

pub(crate) fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Regions(cmd) => regions::run(cmd),
        Command::Cap(cmd) => cap::run(cmd),
        Command::Alerts(cmd) => alerts::run(cmd),
        Command::Replay(args) => replay::run(&args),
        Command::Serve(args) => serve::run(&args),
        Command::Demo(args) => demo::run(&args),
        Command::Token(cmd) => token::run(cmd),
        Command::Report(args) => report::run(&args),
        Command::Predict {
            tracks,
            at,
            samples,
            format,
            skip_invalid,
        } => predict::run(&tracks, at.as_deref(), samples, format, skip_invalid),
        Command::Simulate {
            scenario,
            out,
            seed,
            list,
        } => simulate::run(scenario, out, seed, list),
        Command::Iip { ecef, vel, beta } => iip::run(ecef, vel, beta),
        Command::Event(cmd) => event::run(cmd),
        Command::Orbit(cmd) => orbit::run(cmd),
        Command::Passes(args) => orbit::passes(&args),
    }
}
