#!/usr/bin/env bash
# Compare edgebench's reference engine with llama.cpp on the same GGUF files: decode and
# prefill tokens/s (1 and 2 threads, prompt 64, gen 128) measured in alternated rounds (ours,
# llama.cpp, ours, llama.cpp, ...; ROUNDS of them, at least 4), reported as the median of the
# per-round ratios with a bootstrap 95% CI and every round's figures, plus greedy-token
# agreement over 32 steps, the memory-bandwidth roofline, and a byte-for-byte check of our
# q4_k_m files against llama.cpp's own Q4_K_M quantizer. Both sides are measured on every run;
# nothing is hard-coded. The CPU and the load average go into the output.
#
#   scripts/bench-vs-llamacpp.sh                 # stories15m + smollm-135m (f32/q8_0/q4_0/q4_k_m),
#                                                #   tinyllama-1.1b q4_0
#   PRESETS="stories15m" QUANTS="q8_0 q4_0" THREADS=1,2 ROUNDS=6 scripts/bench-vs-llamacpp.sh
#
# Environment: PRESETS (empty: only TinyLlama), QUANTS, TINYLLAMA_QUANTS (default q4_0; empty skips it), THREADS,
# PROMPT, GEN, ROUNDS (default 4), GREEDY, MODEL_DIR (default .models/bench), VENV (default .venv-llamacpp),
# JSON_OUT (optional path for the raw numbers).
#
# First run: scripts/setup-llamacpp.sh creates $VENV and `pip install llama-cpp-python==0.3.*`, which builds llama.cpp
# from source (about 15 minutes on 2 cores; it fetches CMake from PyPI by itself). Where
# /proc/cpuinfo reports AMX, llama.cpp is built for this CPU's AVX-512/VNNI but with AMX off:
# its AMX path for quantized types segfaults in some VMs (seen on an Intel Xeon VM). A venv
# that already imports llama_cpp is used as it is.
set -euo pipefail
cd "$(dirname "$0")/.."

PRESETS=${PRESETS-"stories15m smollm-135m"}
QUANTS=${QUANTS:-"f32 q8_0 q4_0 q4_k_m"}
TINYLLAMA_QUANTS=${TINYLLAMA_QUANTS-"q4_0"}
THREADS=${THREADS:-1,2}
PROMPT=${PROMPT:-64}
GEN=${GEN:-128}
ROUNDS=${ROUNDS:-4}
GREEDY=${GREEDY:-32}
MODEL_DIR=${MODEL_DIR:-.models/bench}
VENV=${VENV:-.venv-llamacpp}
TARGET=${CARGO_TARGET_DIR:-target}

if [ "$ROUNDS" -lt 4 ]; then
    echo "warning: ROUNDS=$ROUNDS; fewer than 4 alternated rounds give a wide CI" >&2
fi
VENV="$VENV" bash scripts/setup-llamacpp.sh >&2

echo "== building the reference engine's tools (release)" >&2
cargo build --release --quiet -p edgebench-reference --example synth --example bench_gguf --example membw
BIN="$TARGET/release/examples"

mkdir -p "$MODEL_DIR"
files=()
synth() { # preset quant
    local f="$MODEL_DIR/$1-$2.gguf"
    if [ ! -s "$f" ]; then
        echo "== synthesizing $f" >&2
        if ! "$BIN/synth" "$1" "$2" "$f.partial" >/dev/null; then
            echo "error: could not synthesize $1 $2 (see above)" >&2
            exit 1
        fi
        mv "$f.partial" "$f"
    fi
    files+=("$f")
}
parity=()
for p in $PRESETS; do
    for q in $QUANTS; do synth "$p" "$q"; done
    # Our q4_k_m against llama.cpp's own Q4_K_M quantizer run on our f32 file.
    if [[ " $QUANTS " == *" f32 "* && " $QUANTS " == *" q4_k_m "* ]]; then
        parity+=(--parity "$MODEL_DIR/$p-f32.gguf:$MODEL_DIR/$p-q4_k_m.gguf")
    fi
done
for q in $TINYLLAMA_QUANTS; do synth tinyllama-1.1b "$q"; done

"$VENV/bin/python" scripts/bench_llamacpp.py \
    --ref-bin "$BIN/bench_gguf" --membw-bin "$BIN/membw" \
    --threads "$THREADS" --prompt "$PROMPT" --gen "$GEN" --rounds "$ROUNDS" --greedy "$GREEDY" \
    ${JSON_OUT:+--json-out "$JSON_OUT"} "${parity[@]}" "${files[@]}"
