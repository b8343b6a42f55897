//! `tocsin-cli`: fire events, page contacts and groups, and follow
//! notifications from scripts and monitoring systems. The exit codes, listed
//! in `--help`, tell a script what happened without parsing any output.

mod args;
mod commands;
mod duration;
mod exit;
mod output;
mod wait;

use std::process::ExitCode;

use clap::Parser;

use crate::args::Cli;
use crate::exit::{Exit, Failure};

fn main() -> ExitCode {
    // Usage errors exit 2 (clap's own code), as the help promises.
    let cli = Cli::parse();
    let json = cli.json;
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => return report(json, &Failure::new(Exit::ServerOrNetwork, format!("cannot start: {e}"))),
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(()) => ExitCode::from(Exit::Accepted.code()),
        Err(failure) => report(json, &failure),
    }
}

fn report(json: bool, failure: &Failure) -> ExitCode {
    if json {
        eprintln!("{}", failure.to_json());
    } else {
        eprintln!("tocsin-cli: {}", failure.message);
    }
    ExitCode::from(failure.exit.code())
}
