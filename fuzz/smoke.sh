#!/usr/bin/env bash
# CI fuzz smoke: each cargo-fuzz target for 20 s on its corpus, within a 5-minute budget in all
# (installing cargo-fuzz included). Skips with a note, never fails, when nightly or cargo-fuzz
# cannot be had or the budget runs out; fails when a target crashes (the input is then in
# fuzz/artifacts/<target>/: add it to fuzz/corpus/<target>/ and fix the crash).
set -uo pipefail
cd "$(dirname "$0")"
budget=${EDGEBENCH_FUZZ_BUDGET_S:-300}
start=$(date +%s)
left() { echo $(( budget - ($(date +%s) - start) )); }
skip() { echo "fuzz smoke: SKIPPED: $*"; exit 0; }
# The runs add inputs to the corpora; CI's checkout is thrown away, but keep git clean anyway.
trap 'git checkout -q -- corpus 2>/dev/null; git clean -qfd corpus 2>/dev/null' EXIT

cargo +nightly --version >/dev/null 2>&1 || skip "no nightly toolchain (rustup toolchain install nightly)"
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
  timeout 180 cargo install cargo-fuzz --locked >/dev/null 2>&1 \
    || skip "cargo-fuzz could not be installed within 3 minutes"
fi
sanitizer=()
build() { timeout "$(left)" cargo +nightly fuzz build -O "${sanitizer[@]}" >/tmp/edgebench-fuzz-build.log 2>&1; }
if ! build; then
  [ "$(left)" -gt 60 ] || skip "building the targets did not fit the ${budget}s budget"
  sanitizer=(-s none)   # AddressSanitizer may not link on every toolchain
  build || skip "the fuzz targets did not build (see /tmp/edgebench-fuzz-build.log)"
fi
for t in gguf onnx scenario report; do
  [ "$(left)" -gt 25 ] || skip "budget spent before target $t"
  echo "fuzz smoke: $t (20 s)"
  cargo +nightly fuzz run -O "${sanitizer[@]}" "$t" -- -max_total_time=20 -max_len=8192 \
    -close_fd_mask=3 -rss_limit_mb=2048 -timeout=10 2>&1 | grep -E "^(Done|==[0-9]+==ERROR|SUMMARY)|panicked" \
    || true
  if ls "artifacts/$t"/crash-* "artifacts/$t"/oom-* "artifacts/$t"/timeout-* >/dev/null 2>&1; then
    echo "fuzz smoke: target $t found a failing input: $(ls artifacts/$t)"
    exit 1
  fi
done
echo "fuzz smoke: done in $(( $(date +%s) - start )) s"
