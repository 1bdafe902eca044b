#!/usr/bin/env bash
# The aarch64 part of CI (called by .ci/run after the x86_64 tests): cross-compiles for
# aarch64-unknown-linux-gnu with Debian's Rust and runs the results under QEMU user-mode
# emulation on this x86_64 machine.
#
#  1. scripts/setup-aarch64.sh (apt packages, binfmt handler; idempotent)
#  2. clippy for aarch64 (Debian's clippy 1.96), every crate and target, -D warnings
#  3. the reference engine's tests under QEMU with its default CPU (dotprod, i8mm: the `neon`
#     and `neon-dotprod` sets are both tested against the scalar oracle) and with
#     QEMU_CPU=cortex-a72 (a Pi 4 core: detection falls back to `neon`); each run writes the
#     greedy-token/logit digests of every file type
#  4. a static aarch64 edgebench (reference + mock + SQLite history) runs scenarios/smoke.toml end to end under
#     QEMU (parent, workers, reports) with both CPUs; the report must name neon-dotprod / neon
#     and say it was emulated
#  5. cross-architecture: the native x86_64 tests compare their digests with the aarch64 ones
#     and the native smoke run with the emulated ones (identical tokens, identical agreement
#     figures), and the nightly lab flow runs with the aarch64 binary as a second device
#  6. scripts/build-aarch64.sh: the release tarball for boards (every backend, ONNX Runtime),
#     when CI has time left for it (see below)
#
# Test binaries and the smoke binary are linked statically (+crt-static): dynamically linked
# aarch64 programs hang in their first pthread_create under this machine's qemu-user.
# PROPTEST_CASES_AARCH64 sets the proptest case count under emulation (default: each test's
# own count; they take seconds under QEMU).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
start=$(date +%s)
triple=aarch64-unknown-linux-gnu
out="$root/target/aarch64/ci"
step() { echo "== aarch64: $* [$(($(date +%s) - start)) s]"; }

# Debian's toolchain (rustup's has no aarch64 std here) in its own target dir.
xcargo() {
    env PATH="/usr/bin:$PATH" RUSTC=/usr/bin/rustc CARGO_TARGET_DIR="$root/target/aarch64" \
        /usr/bin/cargo "$@"
}
static="-C target-feature=+crt-static"

step "setup (scripts/setup-aarch64.sh)"
bash scripts/setup-aarch64.sh
rm -rf "$out" && mkdir -p "$out"

step "clippy for $triple (Debian's $(env PATH="/usr/bin:$PATH" /usr/bin/cargo clippy --version))"
xcargo clippy --locked --workspace --all-targets --target "$triple" -- -D warnings

for cpu in default cortex-a72; do
    step "reference engine tests under QEMU, CPU $cpu"
    log="$out/reference-tests-$cpu.log"
    if ! (
        export RUSTFLAGS="$static" EDGEBENCH_DIGEST_OUT="$out/digests-$cpu.txt"
        unset QEMU_CPU EDGEBENCH_KERNELS
        if [[ $cpu != default ]]; then export QEMU_CPU=$cpu; fi
        if [[ -n ${PROPTEST_CASES_AARCH64:-} ]]; then export PROPTEST_CASES=$PROPTEST_CASES_AARCH64; fi
        xcargo test --locked -p edgebench-reference --target "$triple" -- --nocapture
    ) >"$log" 2>&1; then
        tail -n 60 "$log"
        echo "FAILED: reference engine tests under QEMU ($cpu); log: $log"
        exit 1
    fi
    grep -E "^test result|aarch64 SIMD sets tested here" "$log" | sed 's/^/   /'
    passed=$(grep -oE "ok\. [0-9]+ passed" "$log" | awk '{s += $2} END {print s}')
    echo "   $passed tests passed under QEMU ($cpu)"
done

step "static aarch64 edgebench (reference + mock + history), scenarios/smoke.toml under QEMU"
RUSTFLAGS="$static" xcargo build --locked --release -p edgebench --no-default-features --features history --target "$triple"
bin="$root/target/aarch64/$triple/release/edgebench"
for cpu in default cortex-a72; do
    want=neon-dotprod
    if [[ $cpu != default ]]; then want=neon; fi
    (
        unset QEMU_CPU EDGEBENCH_KERNELS
        if [[ $cpu != default ]]; then export QEMU_CPU=$cpu; fi
        "$bin" run scenarios/smoke.toml --quiet --out "$out/smoke-$cpu" --model-dir "$out/models" >/dev/null
    )
    python3 - "$out/smoke-$cpu/report.json" "$want" <<'EOF'
import json, sys
report, want = sys.argv[1:]
r = json.load(open(report))
env, board = r["environment"], r["environment"].get("board") or {}
ok = [p for p in r["points"] if p["status"] == "ok"]
sets = sorted({p["backend_info"]["kernels"] for p in ok if "kernels" in p["backend_info"]})
print(f"   {report}: arch {env['arch']}, {len(ok)}/{len(r['points'])} points ok, kernel set {sets}, "
      f"features {board.get('features')}, emulated {board.get('emulated')}")
assert env["arch"] == "aarch64" and len(ok) == len(r["points"]), "every smoke point runs"
assert sets == [want], f"the report should name {want}, not {sets}"
assert board.get("emulated") is True, "the report should say it ran emulated"
EOF
done

step "cross-architecture: native x86_64 against emulated aarch64"
env -u RUSTFLAGS EDGEBENCH_DIGEST_OTHER="$out/digests-default.txt:$out/digests-cortex-a72.txt" \
    cargo test --locked --workspace --test cross_arch_digest -- --nocapture 2>&1 |
    grep -E "^# arch|IDENTICAL|^test result|panicked|FAILED" | sed 's/^/   /'
env -u RUSTFLAGS EDGEBENCH_AARCH64_BIN="$bin" \
    cargo test --locked --workspace --test integration cross_arch -- --nocapture 2>&1 |
    grep -E "aarch64-|fingerprint|REGRESSION|^test result|panicked|FAILED" | sed 's/^/   /'
# (pipefail makes a failing cargo test fail this script despite the grep.)

# The tarball is a release build of every backend for aarch64 (about 25 minutes cold on 2
# cores): it runs when CI has time left for it (EDGEBENCH_CI_START is set by .ci/run; CI's
# limit is 90 minutes), and always with EDGEBENCH_CI_TARBALL=1.
elapsed_min=$(( ($(date +%s) - ${EDGEBENCH_CI_START:-$start}) / 60 ))
if [[ ${EDGEBENCH_CI_TARBALL:-} == 1 || $elapsed_min -lt 35 ]]; then
    step "release tarball for boards (scripts/build-aarch64.sh)"
    bash scripts/build-aarch64.sh | tail -n 3
else
    step "release tarball: SKIPPED, CI has run ${elapsed_min} min and the cold build takes ~25 (EDGEBENCH_CI_TARBALL=1 forces it)"
fi

step "aarch64 part finished in $(($(date +%s) - start)) s"
