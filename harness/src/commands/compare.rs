//! `edgebench compare BASE NEW...`: load the runs, compare each NEW with BASE, print markdown,
//! JSON or JUnit, optionally write JUnit to a file. Exit 0 (no regression), 1 (regression),
//! 2 (usage or input error: the message names the file, the problem and the fix).

use anyhow::Result;

use crate::cli::{parse_threshold, CompareArgs, CompareFormat};
use crate::compare::{self, render, Comparison, DEFAULT_THRESHOLD};

pub fn compare(args: CompareArgs) -> Result<i32> {
    let load = |p: &std::path::Path| {
        crate::report::load(p).map_err(|e| {
            eprintln!(
                "error: cannot read run {}: {e:#}\n  fix: pass a result directory written by `edgebench run` or its report.json",
                p.display()
            );
        })
    };
    let Ok(base) = load(&args.base) else {
        return Ok(2);
    };
    let mut news = Vec::new();
    for p in &args.new {
        let Ok(r) = load(p) else { return Ok(2) };
        news.push((p.display().to_string(), r));
    }
    let threshold = match &args.threshold {
        Some(t) => match parse_threshold(t) {
            Ok(t) => Some(t),
            Err(e) => {
                eprintln!("error: --threshold: {e}");
                return Ok(2);
            }
        },
        None => None,
    };
    let base_name = args.base.display().to_string();
    let comparisons: Vec<Comparison> = news
        .iter()
        .map(|(name, r)| {
            let t = threshold
                .or_else(|| compare::scenario_threshold(r))
                .unwrap_or(DEFAULT_THRESHOLD);
            compare::compare((&base_name, &base), (name, r), t)
        })
        .collect();
    for c in &comparisons {
        for w in &c.warnings {
            eprintln!("WARNING: {w}");
        }
    }
    match args.format {
        CompareFormat::Md => print!("{}", render::markdown(&comparisons)),
        CompareFormat::Json => println!("{}", serde_json::to_string_pretty(&comparisons)?),
        CompareFormat::Junit => print!("{}", render::junit(&comparisons)),
    }
    if let Some(path) = &args.junit {
        if let Err(e) = std::fs::write(path, render::junit(&comparisons)) {
            eprintln!(
                "error: writing JUnit XML to {}: {e}\n  fix: pass --junit a path in a writable directory",
                path.display()
            );
            return Ok(2);
        }
    }
    let regressions: Vec<String> = comparisons
        .iter()
        .flat_map(|c| c.regressions().map(render::describe))
        .collect();
    if regressions.is_empty() {
        Ok(0)
    } else {
        eprintln!("{} regression(s):", regressions.len());
        for r in &regressions {
            eprintln!("  {r}");
        }
        Ok(1)
    }
}
