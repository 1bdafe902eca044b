#!/usr/bin/env bash
# Collector: gather every device's lab results into one history and report on it.
#
#   scripts/lab/collect.sh --from DIR [--db FILE] [--bin PATH]
#   scripts/lab/collect.sh --inventory scripts/lab/inventory.toml --from DIR   # rsync first
#
# With --inventory, each device's DIR/<device>/ is first copied from its ssh host
# (`<ssh>:<results>/<device>/`, fields of the inventory) with rsync. Then every run directory
# under DIR (any folder holding a report.json, baselines excepted) is ingested into one
# history (default DIR/lab-history.sqlite; already ingested runs are skipped), and
# `history check` runs over all devices, and the latest values are exported as Bencher Metric
# Format (DIR/lab-bmf.json). Exit: the check's (0 fine, 1 a regression somewhere, 2 error).
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
from=""
db=""
inventory=""
bin="${EDGEBENCH_BIN:-$repo/target/release/edgebench}"
while [ $# -gt 0 ]; do
    case "$1" in
        --from) from="$2"; shift 2 ;;
        --db) db="$2"; shift 2 ;;
        --inventory) inventory="$2"; shift 2 ;;
        --bin) bin="$2"; shift 2 ;;
        -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
        *) echo "collect.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
[ -n "$from" ] || { echo "collect.sh: --from DIR is required" >&2; exit 2; }
[ -x "$bin" ] || { echo "collect.sh: no edgebench at $bin; build it (cargo build --release) or pass --bin" >&2; exit 2; }
db="${db:-$from/lab-history.sqlite}"
mkdir -p "$from"

if [ -n "$inventory" ]; then
    python3 - "$inventory" <<'PY' | while read -r name ssh results; do
import sys, tomllib
with open(sys.argv[1], "rb") as f:
    inv = tomllib.load(f)
for d in inv.get("devices", []):
    if d.get("ssh"):
        print(d["name"], d["ssh"], d.get("results", "edgebench/results/lab"))
PY
        echo "== fetching $name from $ssh:$results/$name/"
        mkdir -p "$from/$name"
        rsync -a "$ssh:$results/$name/" "$from/$name/" || echo "warning: could not fetch $name from $ssh" >&2
    done
fi

find "$from" -name report.json -not -path '*/baselines/*' -printf '%h\n' | sort | while read -r d; do
    "$bin" history ingest "$d" --db "$db" || echo "warning: could not ingest $d" >&2
done
"$bin" history list --db "$db"
"$bin" history export --format bmf --db "$db" > "$from/lab-bmf.json"
"$bin" history check --db "$db"
