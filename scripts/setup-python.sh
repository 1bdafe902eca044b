#!/usr/bin/env bash
# A project-local Python venv (.venv) with the packages the test scripts use: `gguf`
# (llama.cpp's own GGUF reader, checks our files), `numpy`, `onnx` and `onnxruntime`
# (check the ONNX files; the wheel also carries libonnxruntime.so). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
py=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$py" -m venv .venv || { echo "error: '$py -m venv' failed; install python3-venv (apt-get install python3-venv)" >&2; exit 1; }
fi
want="gguf==0.* numpy<3 onnx==1.* onnxruntime==1.32.*"
if ! .venv/bin/python -c "import gguf, numpy, onnx, onnxruntime" 2>/dev/null; then
  .venv/bin/python -m pip install -q --disable-pip-version-check $want
fi
echo "python venv ready: $(pwd)/.venv/bin/python"
