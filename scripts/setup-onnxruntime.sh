#!/usr/bin/env bash
# Fetch the ONNX Runtime shared library for the `ort` backend from the PyPI `onnxruntime` wheel
# (no build, no other download) into the repository's .onnxruntime/lib/ (gitignored).
#
#   bash scripts/setup-onnxruntime.sh          # then: export ORT_DYLIB_PATH=... as printed
#
# Idempotent: does nothing when the library is already there. Needs python3 with pip and
# access to PyPI (or a pip configured mirror). ORT_VERSION overrides the 1.32 series.
set -euo pipefail

version="${ORT_VERSION:-1.32.*}"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="$repo/.onnxruntime/lib"

existing="$(ls "$dest"/libonnxruntime.so.* 2>/dev/null | head -n1 || true)"
if [[ -n "$existing" ]]; then
    echo "ONNX Runtime library already present: $existing" >&2
    echo "export ORT_DYLIB_PATH=$existing"
    exit 0
fi

python=""
for p in python3 python; do
    if command -v "$p" >/dev/null && "$p" -m pip --version >/dev/null 2>&1; then
        python="$p"
        break
    fi
done
if [[ -z "$python" ]]; then
    echo "error: need python3 with pip to download the onnxruntime wheel" >&2
    echo "fix: install it (Debian: apt-get install python3-pip) and rerun this script" >&2
    exit 1
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
echo "downloading onnxruntime==$version wheel from PyPI..." >&2
if ! "$python" -m pip download --quiet --no-deps --only-binary=:all: \
    --dest "$tmp" "onnxruntime==$version" >&2; then
    echo "error: pip could not download onnxruntime==$version for this platform" >&2
    echo "fix: check network access to PyPI (or PIP_INDEX_URL), or set ORT_VERSION to a" >&2
    echo "     version with a wheel for $(uname -m) and Python $("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')" >&2
    exit 1
fi
wheel="$(ls "$tmp"/onnxruntime-*.whl | head -n1)"

mkdir -p "$dest"
"$python" - "$wheel" "$dest" <<'EOF'
import os, sys, zipfile
wheel, dest = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as z:
    libs = [n for n in z.namelist()
            if n.startswith("onnxruntime/capi/") and ".so" in os.path.basename(n)
            and os.path.basename(n).startswith("libonnxruntime")]
    if not any(".so." in n for n in libs):
        sys.exit(f"error: no onnxruntime/capi/libonnxruntime.so.* in {os.path.basename(wheel)}")
    for n in libs:
        out = os.path.join(dest, os.path.basename(n))
        with z.open(n) as src, open(out, "wb") as dst:
            dst.write(src.read())
        print(f"extracted {os.path.basename(n)}", file=sys.stderr)
EOF

lib="$(ls "$dest"/libonnxruntime.so.* | head -n1)"
echo "ONNX Runtime library installed: $lib" >&2
echo "export ORT_DYLIB_PATH=$lib"
