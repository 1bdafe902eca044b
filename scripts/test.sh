#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs what the tests need into the checkout
# (a Python venv with llama.cpp's `gguf` reader and ONNX tooling, the ONNX Runtime shared
# library from the PyPI wheel), then runs every Rust test of the workspace.
# Re-running is cheap: each step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

bash scripts/setup-python.sh
export EDGEBENCH_PYTHON="$root/.venv/bin/python"
if [ -f scripts/setup-onnxruntime.sh ]; then
  eval "$(bash scripts/setup-onnxruntime.sh | grep '^export ')"
fi
cargo test --workspace "$@"
