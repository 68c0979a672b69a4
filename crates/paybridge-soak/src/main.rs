//! `paybridge-soak [--refunds N] [--fault-rate R] [--seed S] [--concurrency C]`: prints one line
//! (and the report as JSON); exits 1 if any refund was doubled, lost or left unresolved.
#![forbid(unsafe_code)]
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a command-line tool reports on its streams"
)]

use std::process::ExitCode;

fn main() -> ExitCode {
    let mut config = paybridge_soak::SoakConfig::default();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let value = it.next();
        let parsed = match (arg.as_str(), value) {
            ("--refunds", Some(v)) => v.parse().map(|n| config.refunds = n).is_ok(),
            ("--fault-rate", Some(v)) => v.parse().map(|r| config.fault_rate = r).is_ok(),
            ("--seed", Some(v)) => v.parse().map(|s| config.seed = s).is_ok(),
            ("--concurrency", Some(v)) => v.parse().map(|c| config.concurrency = c).is_ok(),
            _ => false,
        };
        if !parsed {
            eprintln!(
                "usage: paybridge-soak [--refunds N] [--fault-rate R] [--seed S] [--concurrency C]"
            );
            return ExitCode::from(2);
        }
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("soak: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(paybridge_soak::run(&config)) {
        Ok(report) => {
            println!("{}", report.line());
            if report.clean() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("soak: {e}");
            ExitCode::FAILURE
        }
    }
}
