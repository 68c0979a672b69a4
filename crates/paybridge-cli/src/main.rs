//! `paybridge`: payments and refunds across BluePay, Nomad, ScanForPay, WeChat Pay and Alipay from
//! the command line.
#![forbid(unsafe_code)]

mod batch;
mod commands;
mod demo;
mod exit;
mod help;
mod output;
mod pay;
mod progress;
mod statement;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};

/// Payments and refunds across Asian payment providers: BluePay, Nomad (WeChat Pay / Alipay),
/// ScanForPay, WeChat Pay, Alipay.
///
/// JSON goes to stdout, messages to stderr (RUST_LOG sets how much is logged; no level ever
/// prints a secret). Exit codes: 0 ok; 2 bad input or config (nothing was sent); 3 the provider
/// rejected the request; 4 transport failure or outcome unknown; 5 signature verification failed.
#[derive(Parser, Debug)]
#[command(name = "paybridge", version, about, long_about = None)]
struct Cli {
    /// The configuration file (else $PAYBRIDGE_CONFIG, else ./paybridge.toml).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Runs the whole refund story for every provider against an in-process sandbox.
    ///
    /// Example: paybridge demo
    Demo,
    /// Runs the sandbox until killed, printing {"listen", "config", "providers"} once it listens.
    ///
    /// Example: paybridge sandbox --listen 127.0.0.1:8700 --write-config sandbox/paybridge.toml
    Sandbox(commands::SandboxArgs),
    /// Refunds (part of) one payment and prints the unified refund JSON.
    ///
    /// Example: paybridge refund --provider bluepay --payment CU518563189147832780 --refund-id r-1 --amount 12.34 --currency THB
    Refund(commands::RefundArgs),
    /// Looks one refund up.
    ///
    /// Example: paybridge refund-status --provider nomad --refund-id r-1 --order-ref test20220125001
    RefundStatus(commands::StatusArgs),
    /// Refunds every row of a CSV file exactly once, even across crashes and re-runs.
    ///
    /// Example: paybridge batch refunds.csv --provider scanforpay --concurrency 8
    Batch(batch::BatchArgs),
    /// Settles every refund of a batch that is not final: looks it up (sending it again under
    /// the same id where the provider's only look-up is a resend); one JSON line per refund.
    /// Exit 0 only when nothing is left unknown. With --statement FILE or --date D, matches
    /// the provider's statement against the batch instead: one JSON line per finding; exit 0
    /// only when the books agree.
    ///
    /// Example: paybridge reconcile --provider bluepay --journal refunds.csv.journal
    /// Example: paybridge reconcile --provider wechatpay --journal refunds.csv.journal --date 2026-12-06
    Reconcile(batch::ReconcileArgs),
    /// Payment commands: create a payment in a scene, look it up, close it.
    #[command(subcommand)]
    Pay(pay::PayCommand),
    /// Statement (bill) commands: download and check a day's statement.
    #[command(subcommand)]
    Statement(statement::StatementCommand),
    /// Notification commands.
    #[command(subcommand)]
    Notification(NotificationCommand),
    /// Prints the RFC 8785 canonical form of a JSON document (no trailing newline).
    ///
    /// Example: echo '{"b":1,"a":[1.0,"x"]}' | paybridge canonicalize
    Canonicalize(FileArg),
    /// Prints the signed wire envelope for a provider request body (for debugging).
    ///
    /// Example: paybridge sign --provider scanforpay body.json
    Sign(commands::SignArgs),
    /// Prints a shell completion script.
    ///
    /// Example: paybridge completions bash > ~/.local/share/bash-completion/completions/paybridge
    /// Example: paybridge completions zsh > ~/.zfunc/_paybridge
    /// Example: paybridge completions fish > ~/.config/fish/completions/paybridge.fish
    Completions(CompletionsArgs),
}

/// `paybridge completions` options.
#[derive(Args, Debug)]
struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    shell: clap_complete::Shell,
}

/// The command line, its help texts written from the provider registry.
fn command() -> clap::Command {
    help::with_provider_help(Cli::command())
}

#[derive(Subcommand, Debug)]
enum NotificationCommand {
    /// Verifies a raw notification body and prints the parsed notification.
    ///
    /// Example: paybridge notification verify --provider bluepay notification.json
    Verify(commands::VerifyArgs),
}

/// An input file; standard input when absent.
#[derive(Args, Debug)]
struct FileArg {
    /// The file to read (standard input by default).
    file: Option<PathBuf>,
}

fn main() -> ExitCode {
    let cli = Cli::from_arg_matches(&command().get_matches()).unwrap_or_else(|e| e.exit());
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            return exit::Failure {
                code: 4,
                kind: "runtime",
                message: e.to_string(),
            }
            .report();
        }
    };
    let config = cli.config.as_deref();
    let result = runtime.block_on(async {
        match cli.command {
            Command::Demo => demo::run().await,
            Command::Sandbox(args) => commands::sandbox(args).await,
            Command::Refund(args) => commands::refund(config, args).await,
            Command::RefundStatus(args) => commands::refund_status(config, args).await,
            Command::Batch(args) => batch::run(config, args).await,
            Command::Reconcile(args) => batch::reconcile(config, args).await,
            Command::Pay(command) => pay::run(config, command).await,
            Command::Statement(command) => statement::run(config, command).await,
            Command::Notification(NotificationCommand::Verify(args)) => {
                commands::verify(config, args).await
            }
            Command::Canonicalize(FileArg { file }) => commands::canonicalize(file.as_deref()),
            Command::Sign(args) => commands::sign(config, args),
            Command::Completions(CompletionsArgs { shell }) => {
                let mut script = Vec::new();
                clap_complete::generate(shell, &mut command(), "paybridge", &mut script);
                output::raw(&script);
                Ok(())
            }
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => failure.report(),
    }
}
