#!/usr/bin/env bash
# A venv with llama.cpp's Python bindings (PyPI `llama-cpp-python`, built from source: about
# 10-15 minutes on 2 cores, it fetches CMake from PyPI by itself), used by
# scripts/bench-vs-llamacpp.sh and by the trained-model test that runs
# scripts/check_llamacpp_trained.py. Idempotent: nothing is built when the venv already imports
# `llama_cpp`.
#
#   bash scripts/setup-llamacpp.sh            # into .venv-llamacpp
#   VENV=/path bash scripts/setup-llamacpp.sh
#
# On a CPU that reports AMX, llama.cpp's `-march=native` build takes its AMX path for quantized
# types, which segfaults in the VMs we test on; there it is built for AVX-512/VNNI with AMX off.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv-llamacpp}
if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c "import llama_cpp, numpy, gguf" 2>/dev/null; then
    echo "llama.cpp venv ready: $VENV ($("$VENV/bin/python" -c 'import llama_cpp; print(llama_cpp.__version__)'))"
    exit 0
fi
echo "== creating $VENV and building llama-cpp-python (10-15 minutes the first time)" >&2
python3 -m venv "$VENV" || { echo "error: 'python3 -m venv' failed; install python3-venv (apt-get install python3-venv)" >&2; exit 1; }
if grep -qw amx_tile /proc/cpuinfo 2>/dev/null; then
    echo "== this CPU reports AMX: building llama.cpp with AVX-512/VNNI and AMX off" >&2
    export CMAKE_ARGS="${CMAKE_ARGS:-} -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AVX512=ON -DGGML_AVX512_VNNI=ON -DGGML_AVX512_VBMI=ON -DGGML_AVX512_BF16=ON -DGGML_AVX_VNNI=ON -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF"
fi
CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)} \
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "llama-cpp-python==0.3.*" numpy gguf
echo "llama.cpp venv ready: $VENV"
