//! `edgebench recommend RUN_DIR|report.json` or `--history DB --device D`: gather the
//! candidates, apply the constraints ([`crate::recommend`]) and print the answer as markdown
//! or JSON. Exit codes: 0 a configuration meets every constraint, 1 none does, 2 usage or
//! input error.

use anyhow::Result;

use crate::cli::{OptimizeArg, RecommendArgs, RecommendFormat};
use crate::recommend::{self, Candidate, Constraints, Optimize};

pub fn recommend(args: RecommendArgs) -> Result<i32> {
    for (flag, v) in [
        ("--min-top1", Some(args.min_top1)),
        ("--budget-ms-per-token", args.budget_ms_per_token),
        ("--max-ram-mib", args.max_ram_mib),
        ("--max-kl", Some(args.max_kl)),
    ] {
        if v.is_some_and(|x| !x.is_finite() || x < 0.0) {
            eprintln!("error: {flag} must be a finite number ≥ 0");
            return Ok(2);
        }
    }
    if args.min_top1 > 1.0 {
        eprintln!(
            "error: --min-top1 {} is a fraction: use 0.95 for 95%",
            args.min_top1
        );
        return Ok(2);
    }
    let (candidates, scenario_budget) = match gather(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e:#}");
            return Ok(2);
        }
    };
    let k = Constraints {
        budget_ms_per_token: args.budget_ms_per_token.or(scenario_budget),
        max_ram_mib: args.max_ram_mib,
        min_top1: args.min_top1,
        max_kl: args.max_kl,
    };
    let optimize = match args.optimize {
        OptimizeArg::Speed => Optimize::Speed,
        OptimizeArg::Energy => Optimize::Energy,
        OptimizeArg::Ram => Optimize::Ram,
    };
    let rec = recommend::recommend(candidates, &k, optimize);
    match args.format {
        RecommendFormat::Md => print!("{}", recommend::render_markdown(&rec)),
        RecommendFormat::Json => println!("{}", recommend::render_json(&rec)?),
    }
    Ok(i32::from(rec.winner().is_none()))
}

/// The candidates and the scenario's latency budget (the default for --budget-ms-per-token).
fn gather(args: &RecommendArgs) -> Result<(Vec<Candidate>, Option<f64>)> {
    if let Some(db) = &args.history {
        return from_history(db, args.device.as_deref().unwrap_or_default());
    }
    let path = args
        .run
        .as_deref()
        .ok_or_else(|| anyhow::anyhow!("pass a result directory, or --history DB --device D"))?;
    let report = crate::report::load(path)?;
    let source = path.display().to_string();
    Ok((
        recommend::candidates(&report, Some(&source)),
        report.scenario.latency_budget_ms_per_token,
    ))
}

#[cfg(feature = "history")]
fn from_history(db: &std::path::Path, device: &str) -> Result<(Vec<Candidate>, Option<f64>)> {
    let conn = crate::history::open(db)?;
    let latest = crate::history::latest::candidates(&conn, device)?;
    if latest.candidates.is_empty() {
        anyhow::bail!(
            "the history {} has no run of device `{device}`; `edgebench history list` shows the devices",
            db.display()
        );
    }
    for n in &latest.notes {
        eprintln!("note: {n}");
    }
    Ok((latest.candidates, latest.latency_budget_ms_per_token))
}

#[cfg(not(feature = "history"))]
fn from_history(_db: &std::path::Path, _device: &str) -> Result<(Vec<Candidate>, Option<f64>)> {
    anyhow::bail!(
        "this edgebench was built without the `history` feature (SQLite run history), so --history is not available; rebuild with it (`cargo build --release`, a default feature) or pass a result directory"
    )
}
