#!/usr/bin/env bash
# Render a report.html (or any page edgebench writes) to a PNG in headless Chromium, offline:
# the page is a local file with everything inline, and the browser gets no network.
#
#   scripts/screenshot-report.sh [--width W] [--height H] [--chart ID] REPORT_HTML OUT_PNG
#
# --width/--height set the window, which is what the PNG holds (default 1280 x 2400; 390 is a
# phone's width; make the height the page's to see all of it). --chart ID renders one chart
# alone (its `data-chart` id, e.g. decode-tok-s, latency-cdf, pareto), as tall as it is: how
# the README's sample chart is made. Exit 3 when Chromium is not installed (Debian: `apt-get
# install chromium`), so a caller can say SKIPPED.
set -euo pipefail
width=1280
height=2400
chart=""
while [ $# -gt 0 ]; do
  case "$1" in
    --width) width="$2"; shift 2 ;;
    --height) height="$2"; shift 2 ;;
    --chart) chart="$2"; shift 2 ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) break ;;
  esac
done
if [ $# -ne 2 ]; then
  echo "usage: $0 [--width W] [--height H] [--chart ID] REPORT_HTML OUT_PNG" >&2
  exit 2
fi
page="$1"
out="$2"
if [ ! -f "$page" ]; then
  echo "error: $page does not exist; pass a report.html written by \`edgebench run\` or \`edgebench report DIR --format html\`" >&2
  exit 2
fi
browser=""
for b in chromium chromium-browser google-chrome; do
  if command -v "$b" >/dev/null 2>&1; then browser="$b"; break; fi
done
if [ -z "$browser" ]; then
  echo "chromium is not installed (Debian: apt-get install -y chromium)" >&2
  exit 3
fi
url="file://$(cd "$(dirname "$page")" && pwd)/$(basename "$page")"
mkdir -p "$(dirname "$out")"
out_abs="$(cd "$(dirname "$out")" && pwd)/$(basename "$out")"
profile="$(mktemp -d)"
trap 'rm -rf "$profile"' EXIT
if [ -n "$chart" ]; then
  # The page's head (its CSS) and the one figure; the height follows from the SVG's aspect.
  height=$(python3 - "$page" "$chart" "$profile/chart.html" "$width" <<'PY'
import re, sys
src, cid, out, width = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
h = open(src, encoding="utf-8").read()
m = re.search(r'<figure class="chart" data-chart="%s">.*?</figure>' % re.escape(cid), h, re.S)
if not m:
    sys.exit("no chart `%s` in %s (ids are the data-chart attributes)" % (cid, src))
vb = re.search(r'viewBox="0 0 (\d+) (\d+)"', m.group(0))
head = h[: h.index("<body>") + len("<body>")]
open(out, "w", encoding="utf-8").write(head + m.group(0) + "</body></html>\n")
inner = width - 24 - 10  # body padding, figure border and padding
print(int(int(vb.group(2)) * inner / int(vb.group(1))) + 24 + 16 + 22 * (1 + len(m.group(0).split("<figcaption>")[1]) * 8 // inner))
PY
  ) || exit 2
  url="file://$profile/chart.html"
fi
# No network: a proxy that does not exist, and no background services.
"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --mute-audio \
  --no-first-run --disable-extensions --disable-sync --disable-background-networking \
  --proxy-server="127.0.0.1:9" --proxy-bypass-list="<-loopback>" \
  --user-data-dir="$profile" --force-device-scale-factor=1 \
  --window-size="$width,$height" --screenshot="$out_abs" "$url" >"$profile/log" 2>&1 || {
  cat "$profile/log" >&2
  exit 1
}
if [ ! -s "$out_abs" ]; then
  cat "$profile/log" >&2
  echo "error: $browser wrote no screenshot to $out_abs" >&2
  exit 1
fi
echo "$out_abs (${width}x${height})"
