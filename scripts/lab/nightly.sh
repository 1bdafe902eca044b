#!/usr/bin/env bash
# One night of the device lab, run ON the device (a board, or a self-hosted CI runner on it):
# run the nightly scenarios, ingest the results into the device's history, compare with the
# device's baseline, check the history for a regression at this night, and write a markdown
# summary and JUnit XML. GitHub Actions (.github/workflows/nightly-lab.yml) and LAVA
# (scripts/lab/lava-nightly.yaml) both call this script; docs/lab.md explains the flow.
#
#   scripts/lab/nightly.sh --device pi5                       # scenarios/nightly.toml
#   scripts/lab/nightly.sh --device pi5 --scenario scenarios/quick.toml --results ~/lab
#
# Options (environment variable in brackets):
#   --device NAME      this device's name in the lab [EDGEBENCH_DEVICE, else the hostname]
#   --bin PATH         the edgebench binary [EDGEBENCH_BIN; else ./edgebench from a board
#                      tarball, else target/release/edgebench, built when missing]
#   --scenario FILE    a scenario to run (repeatable) [default scenarios/nightly.toml]
#   --results DIR      lab result root [EDGEBENCH_LAB_RESULTS, default results/lab]: runs go to
#                      DIR/<device>/<night>-<scenario>/, baselines to DIR/baselines/<device>/,
#                      the history to DIR/<device>/history.sqlite
#   --night LABEL      this night's label [default: UTC date and time, 20261129T0200Z]
#   --threshold PCT    smallest change that counts [default 5%]
#   --promote          when the night passes, make its runs the new baselines
#   --no-calibration   skip the overhead/bandwidth calibrations (quick test labs)
#
# Writes DIR/<device>/<night>-summary.md and DIR/<device>/<night>.junit.xml.
# Exit: 0 the night passed, 1 a regression (compare against the baseline, or history check),
# 2 a run, ingest or usage error.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"

device="${EDGEBENCH_DEVICE:-$(hostname)}"
bin="${EDGEBENCH_BIN:-}"
results="${EDGEBENCH_LAB_RESULTS:-results/lab}"
night="$(date -u +%Y%m%dT%H%MZ)"
threshold="5%"
promote=0
calibration=()
scenarios=()
while [ $# -gt 0 ]; do
    case "$1" in
        --device) device="$2"; shift 2 ;;
        --bin) bin="$2"; shift 2 ;;
        --scenario) scenarios+=("$2"); shift 2 ;;
        --results) results="$2"; shift 2 ;;
        --night) night="$2"; shift 2 ;;
        --threshold) threshold="$2"; shift 2 ;;
        --promote) promote=1; shift ;;
        --no-calibration) calibration=(--no-calibration); shift ;;
        -h|--help) sed -n '2,30p' "$0"; exit 0 ;;
        *) echo "nightly.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
[ ${#scenarios[@]} -gt 0 ] || scenarios=("$repo/scenarios/nightly.toml")

if [ -z "$bin" ]; then
    if [ -x ./edgebench ]; then
        bin="./edgebench"
    else
        bin="$repo/target/release/edgebench"
        if [ ! -x "$bin" ]; then
            echo "== building edgebench (release)"
            (cd "$repo" && cargo build --release -p edgebench) || exit 2
        fi
    fi
fi
[ -x "$bin" ] || { echo "nightly.sh: $bin is not an executable edgebench; pass --bin" >&2; exit 2; }

devdir="$results/$device"
db="$devdir/history.sqlite"
mkdir -p "$devdir" "$results/baselines/$device" || exit 2
summary="$devdir/$night-summary.md"
junit="$devdir/$night.junit.xml"
status=0
cases=""
failures=0
tests=0

xml() { sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g' -e 's/"/\&quot;/g'; }
add_case() { # name, failure text (empty: passed)
    tests=$((tests + 1))
    local name; name="$(printf '%s' "$1" | xml)"
    if [ -n "$2" ]; then
        failures=$((failures + 1))
        local msg; msg="$(printf '%s' "$2" | head -c 4000 | xml)"
        cases+="    <testcase classname=\"edgebench.lab.$device\" name=\"$name\"><failure message=\"regression\">$msg</failure></testcase>"$'\n'
    else
        cases+="    <testcase classname=\"edgebench.lab.$device\" name=\"$name\"/>"$'\n'
    fi
}

{
    echo "# edgebench nightly: $device, $night"
    echo
    echo "binary: \`$bin\` ($("$bin" --version 2>/dev/null))"
    echo
} > "$summary"

for scenario in "${scenarios[@]}"; do
    name="$(basename "$scenario" .toml)"
    out="$devdir/$night-$name"
    echo "== $device: running $scenario -> $out"
    if ! "$bin" run "$scenario" --out "$out" --device "$device" --quiet "${calibration[@]}"; then
        echo "## $name: the run failed" >> "$summary"
        add_case "run $name" "edgebench run $scenario failed on $device"
        status=2
        continue
    fi
    "$bin" history ingest "$out" --db "$db" || status=2
    base="$results/baselines/$device/$name"
    if [ -f "$base/report.json" ]; then
        cmp_md="$out/compare.md"
        "$bin" compare "$base" "$out" --threshold "$threshold" --junit "$out/compare.junit.xml" > "$cmp_md"
        rc=$?
        { echo "## $name against the baseline"; echo; cat "$cmp_md"; } >> "$summary"
        case $rc in
            0) add_case "compare $name" "" ;;
            1) add_case "compare $name" "$(grep -F '**slower**' "$cmp_md")"; [ $status -eq 0 ] && status=1 ;;
            *) add_case "compare $name" "compare failed (exit $rc)"; status=2 ;;
        esac
        if [ $rc -eq 0 ] && [ $promote -eq 1 ]; then
            rm -rf "$base" && cp -a "$out" "$base"
        fi
    else
        echo "== first night of $name on $device: it becomes the baseline ($base)"
        mkdir -p "$base" && cp -a "$out/." "$base/"
        { echo "## $name"; echo; echo "No baseline yet: this run is now the baseline."; echo; } >> "$summary"
        add_case "compare $name" ""
    fi
done

check="$("$bin" history check --device "$device" --db "$db" --threshold "$threshold")"
rc=$?
{ echo "## history check ($device)"; echo; echo '```'; echo "$check"; echo '```'; } >> "$summary"
echo "$check"
case $rc in
    0) add_case "history check" "" ;;
    1) add_case "history check" "$(printf '%s\n' "$check" | grep '^REGRESSION')"; [ $status -eq 0 ] && status=1 ;;
    *) add_case "history check" "history check failed (exit $rc)"; status=2 ;;
esac

{
    echo '<?xml version="1.0" encoding="UTF-8"?>'
    echo "<testsuites name=\"edgebench nightly\" tests=\"$tests\" failures=\"$failures\">"
    echo "  <testsuite name=\"nightly $device $night\" tests=\"$tests\" failures=\"$failures\">"
    printf '%s' "$cases"
    echo "  </testsuite>"
    echo "</testsuites>"
} > "$junit"
echo "== $device $night: exit $status; summary $summary, JUnit $junit"
exit $status
