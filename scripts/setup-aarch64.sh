#!/usr/bin/env bash
# Cross-compiling edgebench for aarch64 boards and running the result here under QEMU
# (Debian 12, as root). Idempotent: every step says what it does and is skipped when done.
#
#   bash scripts/setup-aarch64.sh
#
# Installs (apt): rustc-web cargo-web rust-web-clippy (Rust 1.96 as /usr/bin/rustc,
# /usr/bin/cargo, /usr/bin/cargo-clippy, beside rustup's), libstd-rust-web-dev:arm64 (its aarch64 standard library), gcc-aarch64-linux-gnu and
# libc6-dev-arm64-cross (the cross linker and C library), qemu-user-static (user-mode
# emulation), after adding the arm64 architecture to dpkg. Then registers the qemu-aarch64
# binfmt_misc handler so an aarch64 binary (and every worker process it spawns) runs directly.
# Writes nothing outside this checkout except what apt, dpkg and binfmt_misc do.
set -euo pipefail

say() { echo "setup-aarch64: $*"; }

if [[ $(id -u) -ne 0 ]]; then
    echo "error: run as root (it installs packages and registers a binfmt_misc handler)" >&2
    echo "fix: sudo bash scripts/setup-aarch64.sh" >&2
    exit 1
fi
if ! command -v apt-get >/dev/null || ! command -v dpkg >/dev/null; then
    echo "error: needs Debian's apt-get and dpkg (this script targets Debian 12)" >&2
    exit 1
fi

packages=(rustc-web cargo-web rust-web-clippy libstd-rust-web-dev:arm64 gcc-aarch64-linux-gnu
    libc6-dev-arm64-cross qemu-user-static)

if dpkg --print-foreign-architectures | grep -qx arm64; then
    say "dpkg already has the arm64 architecture"
else
    say "dpkg --add-architecture arm64"
    dpkg --add-architecture arm64
fi

missing=()
for p in "${packages[@]}"; do
    if [[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)" != "install ok installed" ]]; then
        missing+=("$p")
    fi
done
if (( ${#missing[@]} == 0 )); then
    say "packages already installed: ${packages[*]}"
else
    say "apt-get update"
    apt-get update -qq
    say "apt-get install ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The handler: registered and enabled, or register it from the package's binfmt.d file.
binfmt=/proc/sys/fs/binfmt_misc
if [[ ! -e $binfmt/register ]]; then
    say "mount -t binfmt_misc binfmt_misc $binfmt"
    mount -t binfmt_misc binfmt_misc "$binfmt"
fi
if [[ -e $binfmt/qemu-aarch64 ]] && head -n1 "$binfmt/qemu-aarch64" | grep -qx enabled; then
    say "binfmt handler qemu-aarch64 already registered and enabled"
else
    conf=/usr/lib/binfmt.d/qemu-aarch64.conf
    if [[ -e $binfmt/qemu-aarch64 ]]; then
        say "enabling binfmt handler qemu-aarch64"
        echo 1 >"$binfmt/qemu-aarch64"
    elif [[ -x /lib/systemd/systemd-binfmt && -r $conf ]]; then
        say "/lib/systemd/systemd-binfmt $conf"
        /lib/systemd/systemd-binfmt "$conf"
    elif [[ -r $conf ]]; then
        say "registering $conf with $binfmt/register"
        grep -v '^#' "$conf" | grep . >"$binfmt/register"
    elif command -v update-binfmts >/dev/null; then
        say "update-binfmts --enable qemu-aarch64"
        update-binfmts --enable qemu-aarch64
    else
        echo "error: no way to register qemu-aarch64 (no $conf, no update-binfmts)" >&2
        exit 1
    fi
fi

# Check: the versions, and a real aarch64 program (one from the cross C library) runs.
say "$(/usr/bin/rustc --version) (use /usr/bin/cargo with RUSTC=/usr/bin/rustc)"
say "aarch64 std: $(ls -d /usr/lib/rustlib/aarch64-unknown-linux-gnu/lib 2>/dev/null || echo MISSING)"
say "$(aarch64-linux-gnu-gcc --version | head -n1)"
say "$(qemu-aarch64-static --version | head -n1)"
say "binfmt: $(tr '\n' ' ' <"$binfmt/qemu-aarch64")"
say "done: build with 'bash scripts/build-aarch64.sh'"
