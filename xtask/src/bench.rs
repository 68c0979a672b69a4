//! `cargo xtask bench`: run the criterion benches, then judge the goals as ratios of medians
//! measured in the same run (the machine is shared and noisy; absolute times mean little).

use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// A goal: `numerator / denominator` compared with `limit`.
struct Goal {
    issue: u32,
    numerator: &'static str,
    denominator: &'static str,
    /// `true`: the ratio must be at most `limit`; `false`: at least.
    at_most: bool,
    limit: f64,
}

const fn at_most(
    issue: u32,
    numerator: &'static str,
    denominator: &'static str,
    limit: f64,
) -> Goal {
    Goal {
        issue,
        numerator,
        denominator,
        at_most: true,
        limit,
    }
}

const fn at_least(
    issue: u32,
    numerator: &'static str,
    denominator: &'static str,
    limit: f64,
) -> Goal {
    Goal {
        issue,
        numerator,
        denominator,
        at_most: false,
        limit,
    }
}

const GOALS: &[Goal] = &[
    at_most(
        2,
        "canonical/paybridge/small",
        "canonical/serde_json/small",
        1.5,
    ),
    at_most(2, "canonical/paybridge/4k", "canonical/serde_json/4k", 1.5),
    at_least(
        2,
        "canonical/serde_jcs/small",
        "canonical/paybridge/small",
        5.0,
    ),
    at_least(2, "canonical/serde_jcs/4k", "canonical/paybridge/4k", 5.0),
    at_least(2, "canonical/serde_jcs/64k", "canonical/paybridge/64k", 5.0),
    at_most(
        2,
        "bluepay_sign/pipeline/ring",
        "bluepay_sign/primitive/ring",
        1.03,
    ),
    at_most(
        2,
        "bluepay_sign/pipeline/aws_lc",
        "bluepay_sign/primitive/aws_lc",
        1.03,
    ),
    at_most(
        2,
        "scanforpay_sign/pipeline",
        "scanforpay_sign/baseline",
        1.5,
    ),
    at_most(
        2,
        "bluepay_verify/pipeline",
        "bluepay_verify/primitive",
        1.10,
    ),
    at_most(
        3,
        "transport/loopback_roundtrip",
        "transport/raw_hyper",
        1.10,
    ),
];

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// The median of a criterion benchmark id, in nanoseconds, if it was measured after `since`.
/// Criterion keeps every id's last estimate; one left over from an earlier (or filtered-out)
/// run would pair two machines' moods in one ratio, so it counts as not measured.
fn median_ns(id: &str, since: SystemTime) -> Option<f64> {
    let path = workspace_root()
        .join("target/criterion")
        .join(id)
        .join("new/estimates.json");
    let written = std::fs::metadata(&path).and_then(|m| m.modified()).ok()?;
    if written < since {
        return None;
    }
    let text = std::fs::read_to_string(path).ok()?;
    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
    json.get("median")?.get("point_estimate")?.as_f64()
}

fn human(ns: f64) -> String {
    if ns >= 1_000_000.0 {
        format!("{:.2} ms", ns / 1_000_000.0)
    } else if ns >= 1_000.0 {
        format!("{:.2} µs", ns / 1_000.0)
    } else {
        format!("{ns:.0} ns")
    }
}

pub(crate) fn run(filter: Option<&str>) -> Result<(), String> {
    let mut args = vec!["bench", "-p", "paybridge-benches"];
    if let Some(filter) = filter {
        args.extend(["--", filter]);
    }
    let started = SystemTime::now();
    crate::cargo("benchmarks", &args, &[])?;
    let mut failures = 0;
    println!("\n| issue | goal | numerator | denominator | ratio | result |");
    println!("|---|---|---|---|---|---|");
    for goal in GOALS {
        let (Some(num), Some(den)) = (
            median_ns(goal.numerator, started),
            median_ns(goal.denominator, started),
        ) else {
            println!(
                "| {} | {} / {} | – | – | – | not measured in this run |",
                goal.issue, goal.numerator, goal.denominator
            );
            continue;
        };
        let ratio = num / den;
        let pass = if goal.at_most {
            ratio <= goal.limit
        } else {
            ratio >= goal.limit
        };
        failures += usize::from(!pass);
        let sign = if goal.at_most { "≤" } else { "≥" };
        println!(
            "| {} | {} / {} {sign} {} | {} | {} | {ratio:.3} | {} |",
            goal.issue,
            goal.numerator,
            goal.denominator,
            goal.limit,
            human(num),
            human(den),
            if pass { "pass" } else { "FAIL" }
        );
    }
    if failures == 0 {
        Ok(())
    } else {
        Err(format!("{failures} benchmark goal(s) not met"))
    }
}
