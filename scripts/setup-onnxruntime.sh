#!/usr/bin/env bash
# Make sure the ONNX Runtime shared library for the `ort` backend is there, fetching the pinned
# release from PyPI into the per-user cache ($XDG_CACHE_HOME/edgebench/onnxruntime/, else
# ~/.cache/...) when it is nowhere, and print `export ORT_DYLIB_PATH=<path>` (messages go to
# stderr):
#
#   bash scripts/setup-onnxruntime.sh
#
# `edgebench run` does this by itself on first need; this script fetches ahead (before taking
# a board offline, say) and gives the path to scripts that want it. It runs the ort crate's own
# code (backends/ort/examples/fetch_onnxruntime.rs), so the lookup order, the pinned version and
# sha256 (backends/ort/src/pins.rs) and the cache are the ones `edgebench` uses. Needs cargo,
# and python3 with pip and access to PyPI unless the library is already there or
# EDGEBENCH_ORT_WHEEL names a copy of the pinned wheel.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
exec cargo run --quiet -p edgebench-ort --example fetch_onnxruntime
