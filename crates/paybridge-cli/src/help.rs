//! Help texts built from the provider registry ([`paybridge::profiles`]): which providers this
//! build speaks, and what `--payment`, `--order-ref`, `--total` and `--scene` mean for each. The
//! derive attributes give each argument's shape; this fills in what depends on the providers, so
//! no help text names three providers when there are five, or goes stale when one changes.

use clap::{Arg, Command};
use paybridge::ProviderProfile;

/// The command line with every provider-dependent help text written from the registry.
pub(crate) fn with_provider_help(command: Command) -> Command {
    let profiles: Vec<&'static ProviderProfile> = paybridge::profiles().collect();
    let path = command.get_name().to_owned();
    annotate(command, &path, &profiles)
}

fn annotate(command: Command, path: &str, profiles: &[&'static ProviderProfile]) -> Command {
    let names: Vec<String> = command
        .get_subcommands()
        .map(|sub| sub.get_name().to_owned())
        .collect();
    let mut command = command;
    for name in &names {
        let sub_path = format!("{path} {name}");
        command = command.mut_subcommand(name, |sub| annotate(sub, &sub_path, profiles));
    }
    let takes_provider = command.get_arguments().any(|a| a.get_id() == "provider");
    let statements = path.ends_with(" statement download");
    let payments = path.contains(" pay ");
    // What --payment, --order-ref and --total mean when refunding; refund-status lists what a
    // look-up needs after its options.
    let refunds = path.ends_with(" refund");
    let mut command = command.mut_args(|arg| match arg.get_id().as_str() {
        "provider" => provider_arg(arg, profiles, statements, payments),
        "payment" if refunds => identifier_arg(arg, profiles, Identifier::Payment),
        "order_ref" if refunds => identifier_arg(arg, profiles, Identifier::OrderRef),
        "total" if refunds => identifier_arg(arg, profiles, Identifier::Total),
        "currency" if refunds => currency_arg(arg, profiles),
        "scene" => scene_arg(arg, profiles),
        _ => arg,
    });
    if path.ends_with(" sandbox") {
        let mut text = "Control endpoints, on the address it listens on:\n".to_owned();
        for (endpoint, what) in paybridge_sandbox::CONTROL_ENDPOINTS {
            text.push_str(&format!("\n  {endpoint}\n      {what}"));
        }
        command = command.after_long_help(text);
    }
    if path.ends_with(" refund-status") {
        let mut text = "What a look-up needs besides --refund-id:\n".to_owned();
        for profile in profiles {
            text.push_str(&format!(
                "\n  {:<11} {}",
                profile.provider.name(),
                profile.lookup
            ));
        }
        command = command.after_help(text);
    }
    if path.ends_with(" batch") {
        command = command.after_long_help(format!(
            "What the CSV columns mean per provider:\n{}",
            identifier_table(profiles)
        ));
    }
    if !takes_provider {
        command = command.after_help(format!(
            "Providers in this build: {}.",
            joined(profiles.iter().copied(), "and")
        ));
    }
    command
}

#[derive(Clone, Copy)]
enum Identifier {
    Payment,
    OrderRef,
    Total,
}

impl Identifier {
    fn of(self, profile: &ProviderProfile) -> &'static str {
        match self {
            Identifier::Payment => profile.payment,
            Identifier::OrderRef => profile.order_ref,
            Identifier::Total => profile.total,
        }
    }

    fn what(self) -> &'static str {
        match self {
            Identifier::Payment => "The provider's payment reference",
            Identifier::OrderRef => "Your order reference for the payment",
            Identifier::Total => "The payment's total, as a decimal",
        }
    }
}

/// `bluepay, nomad, … or alipay`.
fn provider_list<'a>(profiles: impl Iterator<Item = &'a ProviderProfile>) -> String {
    joined(profiles, "or")
}

/// The providers' names, the last two joined by `conjunction`.
fn joined<'a>(profiles: impl Iterator<Item = &'a ProviderProfile>, conjunction: &str) -> String {
    let names: Vec<&str> = profiles.map(|p| p.provider.name()).collect();
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => {
            format!("{} {conjunction} {last}", rest.join(", "))
        }
        Some((last, _)) => (*last).to_owned(),
        None => "none (this build has no provider)".to_owned(),
    }
}

fn provider_arg(
    arg: Arg,
    profiles: &[&'static ProviderProfile],
    statements: bool,
    payments: bool,
) -> Arg {
    let usable: Vec<&ProviderProfile> = profiles
        .iter()
        .copied()
        .filter(|p| !statements || p.statements)
        .filter(|p| !payments || !p.scenes.is_empty())
        .collect();
    let mut long = format!(
        "The provider: {}; or a named account of one (wechatpay.cn-main, as configured).\n",
        provider_list(usable.iter().copied())
    );
    for profile in profiles {
        let note = if statements && !profile.statements {
            " — publishes no statement paybridge reads"
        } else {
            ""
        };
        long.push_str(&format!(
            "\n  {:<11} {}{note}",
            profile.provider.name(),
            profile.title
        ));
    }
    let left_out: Vec<&ProviderProfile> = profiles
        .iter()
        .copied()
        .filter(|p| !usable.iter().any(|u| u.provider == p.provider))
        .collect();
    let mut short = format!(
        "{} (or an account: wechatpay.cn-main)",
        provider_list(usable.iter().copied())
    );
    if !left_out.is_empty() {
        short.push_str(&format!(
            "; not {}: {}",
            joined(left_out.iter().copied(), "or"),
            if statements {
                "no statement paybridge reads"
            } else {
                "no payments through paybridge"
            }
        ));
    }
    arg.help(short).long_help(long)
}

fn identifier_arg(arg: Arg, profiles: &[&'static ProviderProfile], which: Identifier) -> Arg {
    let short: Vec<String> = profiles
        .iter()
        .map(|p| format!("{}: {}", p.provider.name(), which.of(p)))
        .collect();
    let mut long = format!("{}, as each provider names it:\n", which.what());
    for profile in profiles {
        long.push_str(&format!(
            "\n  {:<11} {}",
            profile.provider.name(),
            which.of(profile)
        ));
    }
    arg.help(format!("{} — {}", which.what(), short.join("; ")))
        .long_help(long)
}

fn currency_arg(arg: Arg, profiles: &[&'static ProviderProfile]) -> Arg {
    let mut long = "The payment's ISO 4217 currency code:\n".to_owned();
    for profile in profiles {
        long.push_str(&format!(
            "\n  {:<11} {}",
            profile.provider.name(),
            profile.currencies
        ));
    }
    arg.help("ISO 4217 currency code (THB, CNY, HKD…)")
        .long_help(long)
}

fn scene_arg(arg: Arg, profiles: &[&'static ProviderProfile]) -> Arg {
    let mut long = "How the customer pays, and which providers take it:\n".to_owned();
    for profile in profiles {
        let scenes: Vec<&str> = profile.scenes.iter().map(|s| s.as_str()).collect();
        long.push_str(&format!(
            "\n  {:<11} {}",
            profile.provider.name(),
            if scenes.is_empty() {
                "takes no payments through paybridge".to_owned()
            } else {
                scenes.join(", ")
            }
        ));
    }
    arg.help("qr, web, wap, app, jsapi or barcode (--help: which provider takes which)")
        .long_help(long)
}

/// What each identifier is called by each provider, as a table, from the registry.
fn identifier_table(profiles: &[&'static ProviderProfile]) -> String {
    let mut table = format!(
        "  {:<11} {:<38} {:<34} {}",
        "provider", "payment", "order_ref", "total"
    );
    for profile in profiles {
        table.push_str(&format!(
            "\n  {:<11} {:<38} {:<34} {}",
            profile.provider.name(),
            profile.payment,
            profile.order_ref,
            profile.total
        ));
    }
    table
}
