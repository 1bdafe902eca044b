//! Records the compiler version and git commit for reports.

fn main() {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    if let Ok(out) = std::process::Command::new(rustc).arg("--version").output() {
        println!(
            "cargo:rustc-env=EDGEBENCH_RUSTC={}",
            String::from_utf8_lossy(&out.stdout).trim()
        );
    }
    if let Ok(out) = std::process::Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
    {
        if out.status.success() {
            println!(
                "cargo:rustc-env=EDGEBENCH_GIT_COMMIT={}",
                String::from_utf8_lossy(&out.stdout).trim()
            );
        }
    }
    println!("cargo:rerun-if-changed=../.git/HEAD");
    println!("cargo:rerun-if-changed=../.git/refs/heads");
}
