#!/usr/bin/env bash
# On a device-lab board (aarch64 with Rust installed; also works on x86_64): build the
# reference engine, print the kernel set it picks, run the kernel tests (every SIMD set against
# the scalar oracle, bit for bit) and the whole-model agreement tests, then the kernel
# benchmarks. CI verifies the NEON sets under QEMU (.ci/aarch64.sh); this script adds the
# real board's CPU and its timings, which emulation cannot give.
#
#   scripts/lab/test-on-device.sh            # tests + benches
#   BENCH=0 scripts/lab/test-on-device.sh    # tests only
#   BENCH_FILTER=matvec_576x1536 scripts/lab/test-on-device.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

echo "== machine: $(uname -m), $(nproc) cores"
if [ -r /proc/device-tree/model ]; then echo "== board: $(tr -d '\0' < /proc/device-tree/model)"; fi
grep -m1 -iE "^(Features|flags)" /proc/cpuinfo || true
rustc --version

echo "== kernel set chosen (auto) and available sets"
cargo run --release -q -p edgebench-reference --example kernel_info

echo "== kernel and model agreement tests (SIMD vs scalar, threads)"
cargo test --release -p edgebench-reference --test simd_kernels --test simd_model --test quant_kernels
cargo test --release -p edgebench-reference --lib kernels

if [ "${BENCH:-1}" != "0" ]; then
    echo "== kernel benchmarks (scalar vs SIMD)"
    cargo bench -p edgebench-reference --bench kernels -- ${BENCH_FILTER:-}
    echo "== model decode speed (synthesized stories15m, 1 thread, each kernel set)"
    for k in $(cargo run --release -q -p edgebench-reference --example kernel_info -- --names); do
        echo "-- EDGEBENCH_KERNELS=$k"
        EDGEBENCH_KERNELS=$k cargo run --release -q -p edgebench-reference --example decode_speed -- stories15m "${TMPDIR:-/tmp}"
    done
fi
