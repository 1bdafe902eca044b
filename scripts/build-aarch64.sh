#!/usr/bin/env bash
# Build edgebench for aarch64 boards (Raspberry Pi 4/5, Jetson Orin, ...) with every backend and
# pack the tarball a user copies to a board:
#
#   bash scripts/setup-aarch64.sh && bash scripts/build-aarch64.sh
#
# Output: target/aarch64/edgebench-<version>-aarch64-linux.tar.gz holding
#   edgebench-<version>-aarch64-linux/
#     edgebench                    the release binary (reference, candle, ONNX Runtime, tract, mock)
#     .onnxruntime/lib/            libonnxruntime for aarch64 (found next to the binary)
#     scenarios/                   the shipped scenarios
#     README.md                    how to run it (from scripts/aarch64-README.md)
#
# The binary is dynamically linked against glibc (ONNX Runtime is dlopened, which a static glibc
# binary cannot rely on). The aarch64 libonnxruntime comes from PyPI's manylinux aarch64
# `onnxruntime` wheel, the one pinned (version, file, sha256) in backends/ort/src/pins.rs,
# fetched with `pip download --platform ... --only-binary=:all:` (not installed) and kept in
# target/aarch64/wheels/. Uses Debian's Rust (/usr/bin/cargo, /usr/bin/rustc: rustup's
# toolchain has no aarch64 standard library here) and its own target dir, target/aarch64/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$(pwd)
triple=aarch64-unknown-linux-gnu
export CARGO_TARGET_DIR="$root/target/aarch64"
say() { echo "build-aarch64: $*"; }

for tool in /usr/bin/cargo /usr/bin/rustc aarch64-linux-gnu-gcc; do
    if ! command -v "$tool" >/dev/null; then
        echo "error: $tool is missing; fix: bash scripts/setup-aarch64.sh" >&2
        exit 1
    fi
done
if [[ ! -d /usr/lib/rustlib/$triple/lib ]]; then
    echo "error: no aarch64 standard library for /usr/bin/rustc; fix: bash scripts/setup-aarch64.sh" >&2
    exit 1
fi

# -- the binary: every backend, dynamically linked (a caller's RUSTFLAGS, e.g. +crt-static for
#    QEMU runs, must not leak in).
say "cargo build --release -p edgebench --target $triple (all backends; Debian's $(/usr/bin/rustc --version | cut -d' ' -f2))"
env -u RUSTFLAGS PATH="/usr/bin:$PATH" RUSTC=/usr/bin/rustc \
    /usr/bin/cargo build --release --locked -p edgebench --target "$triple"
bin="$CARGO_TARGET_DIR/$triple/release/edgebench"

# -- ONNX Runtime for aarch64: the pinned wheel from PyPI.
read -r version pyver platform wheel_name sha256 < <(python3 - backends/ort/src/pins.rs <<'EOF'
import re, sys
src = open(sys.argv[1]).read()
version = re.search(r'pub const VERSION: &str = "([^"]+)"', src).group(1)
pyver = re.search(r'pub const PYTHON_VERSION: &str = "([^"]+)"', src).group(1)
for block in re.findall(r"Wheel \{(.*?)\}", src, re.S):
    f = dict(re.findall(r'(\w+): "([^"]+)"', block))
    if f.get("arch") == "aarch64":
        print(version, pyver, f["platform"], f["file_name"], f["sha256"])
        break
else:
    sys.exit("error: no aarch64 wheel pinned in backends/ort/src/pins.rs")
EOF
)
wheels="$CARGO_TARGET_DIR/wheels"
wheel="$wheels/$wheel_name"
mkdir -p "$wheels"
if [[ -f $wheel ]] && echo "$sha256  $wheel" | sha256sum --check --status; then
    say "ONNX Runtime $version wheel already here: $wheel"
else
    python=""
    for p in python3 "$root/.venv/bin/python"; do
        if command -v "$p" >/dev/null && "$p" -m pip --version >/dev/null 2>&1; then
            python="$p"
            break
        fi
    done
    if [[ -z $python ]]; then
        echo "error: need python3 with pip to fetch the onnxruntime wheel; fix: apt-get install python3-pip" >&2
        exit 1
    fi
    say "pip download onnxruntime==$version --platform $platform --python-version $pyver --only-binary=:all: (not installed)"
    "$python" -m pip download --quiet --no-deps --only-binary=:all: --platform "$platform" \
        --python-version "$pyver" --implementation cp --dest "$wheels" "onnxruntime==$version"
    if ! echo "$sha256  $wheel" | sha256sum --check --status; then
        echo "error: $wheel is not the pinned wheel (sha256 $sha256, backends/ort/src/pins.rs)" >&2
        exit 1
    fi
fi

# -- the tarball.
pkg="edgebench-$(grep -m1 '^version' Cargo.toml | cut -d'"' -f2)-aarch64-linux"
stage="$CARGO_TARGET_DIR/dist/$pkg"
rm -rf "$stage"
mkdir -p "$stage/.onnxruntime/lib" "$stage/scenarios"
aarch64-linux-gnu-strip --strip-debug -o "$stage/edgebench" "$bin"
python3 - "$wheel" "$stage/.onnxruntime/lib" "$version" <<'EOF'
import os, sys, zipfile
wheel, dest, version = sys.argv[1:]
want = [f"libonnxruntime.so.{version}", "libonnxruntime_providers_shared.so"]
with zipfile.ZipFile(wheel) as z:
    names = set(z.namelist())
    for n in want:
        entry = f"onnxruntime/capi/{n}"
        if entry not in names:
            if n == want[0]:
                sys.exit(f"error: no {entry} in {os.path.basename(wheel)}")
            continue
        with z.open(entry) as src, open(os.path.join(dest, n), "wb") as dst:
            dst.write(src.read())
EOF
cp scenarios/*.toml scenarios/README.md "$stage/scenarios/"
commit=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
glibc=$(aarch64-linux-gnu-objdump -T "$stage/edgebench" | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -n1)
sed -e "s/@VERSION@/$pkg/g" -e "s/@COMMIT@/$commit/g" -e "s/@GLIBC@/${glibc#GLIBC_}/g" \
    -e "s/@ORT@/$version/g" scripts/aarch64-README.md >"$stage/README.md"
tarball="$CARGO_TARGET_DIR/$pkg.tar.gz"
tar -C "$CARGO_TARGET_DIR/dist" -czf "$tarball" "$pkg"
say "binary: $(file -b "$stage/edgebench" | cut -d, -f1-2), needs glibc >= ${glibc#GLIBC_}"
say "tarball: $tarball ($(du -h "$tarball" | cut -f1))"
tar -tzf "$tarball" | sed 's/^/  /'
