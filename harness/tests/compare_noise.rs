//! False alarms of `edgebench compare`: ten pairs of same-configuration mock runs give no
//! regression at the default threshold. Its own test binary on purpose: cargo runs test
//! binaries one after another, so no other test of the suite shares the two cores with these
//! timed runs (inside the big `integration` binary dozens of tests run beside it and once
//! shifted a p99 by 36%, which is the machine, not edgebench).

use assert_cmd::Command;

fn edgebench() -> Command {
    Command::cargo_bin("edgebench").unwrap()
}

/// Same configuration twice, ten times: no false regression at the default threshold.
#[test]
fn ten_pairs_of_same_config_mock_runs_give_no_false_regression() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = tmp.path().join("same.toml");
    std::fs::write(
        &scenario,
        r#"
name = "same"
backends = ["mock"]
prompt_tokens = 4
gen_tokens = 12
repetitions = 7
warmup = 1
[[models]]
name = "mock-llm"
path = "mock:vocab=64,cost_us=10000"
"#,
    )
    .unwrap();
    let run = |name: &str| {
        let out = tmp.path().join(name);
        edgebench()
            .args([
                "run",
                "--no-calibration",
                "--quiet",
                "--device",
                "fp-test",
                "--out",
            ])
            .arg(&out)
            .arg(&scenario)
            .assert()
            .success();
        out
    };
    let mut regressions = Vec::new();
    for pair in 0..10 {
        let a = run(&format!("a{pair}"));
        let b = run(&format!("b{pair}"));
        let out = edgebench()
            .args(["compare", "--format", "json"])
            .arg(&a)
            .arg(&b)
            .output()
            .unwrap();
        assert!(matches!(out.status.code(), Some(0 | 1)));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        for r in v[0]["rows"].as_array().unwrap() {
            if r["regression"] == true {
                regressions.push(format!("pair {pair}: {r}"));
            }
        }
    }
    println!(
        "false regressions in 10 same-config pairs: {}",
        regressions.len()
    );
    assert!(regressions.is_empty(), "{regressions:#?}");
}
