#!/usr/bin/env bash
# Fake INA219 for trying edgebench's power columns on a machine without a sensor.
#
#   scripts/fake-ina219.sh [DIR] [--pid PID] [--idle-w 2.1] [--per-core-w 1.4] [--hz 200]
#
# Creates DIR/sys/class/hwmon/hwmon0/{name=ina219, power1_input, in1_input, curr1_input,
# shunt_resistor, update_interval} (DIR defaults to a new temp dir), links DIR/sys/class/thermal
# and DIR/sys/devices/system/cpu to the real ones so temperatures and frequencies still work,
# prints `EDGEBENCH_SYSFS_ROOT=DIR` and then rewrites the readings at ~200 Hz until killed.
# Power = idle + per-core watts x CPU cores busy (the whole system, or PID and its descendants
# with --pid) + noise. Every file is written to a temp file and renamed, so a reader never sees a
# half-written number. Use it like:
#
#   scripts/fake-ina219.sh /tmp/fake-ina & FAKE=$!
#   EDGEBENCH_SYSFS_ROOT=/tmp/fake-ina edgebench run scenarios/x.toml   # power = "auto" or "ina219"
#   kill $FAKE
set -euo pipefail
command -v python3 >/dev/null || { echo "fake-ina219.sh needs python3" >&2; exit 1; }
exec python3 - "$@" <<'PY'
import argparse, os, random, signal, sys, tempfile, time

ap = argparse.ArgumentParser(prog="fake-ina219.sh")
ap.add_argument("dir", nargs="?")
ap.add_argument("--pid", type=int, help="follow this process and its descendants instead of the whole system")
ap.add_argument("--idle-w", type=float, default=2.1)
ap.add_argument("--per-core-w", type=float, default=1.4)
ap.add_argument("--hz", type=float, default=200.0)
ap.add_argument("--noise-w", type=float, default=0.03)
a = ap.parse_args()

root = os.path.abspath(a.dir or tempfile.mkdtemp(prefix="fake-ina219-"))
hw = os.path.join(root, "sys/class/hwmon/hwmon0")
os.makedirs(hw, exist_ok=True)
for real in ("sys/class/thermal", "sys/devices/system/cpu"):
    link, target = os.path.join(root, real), "/" + real
    if os.path.isdir(target) and not os.path.lexists(link):
        os.makedirs(os.path.dirname(link), exist_ok=True)
        os.symlink(target, link)

def put(name, value):
    tmp = os.path.join(hw, "." + name + ".tmp")
    with open(tmp, "w") as f:
        f.write("%d\n" % value)
    os.replace(tmp, os.path.join(hw, name))  # atomic rename

put("update_interval", max(1, round(1000 / a.hz)))
put("shunt_resistor", 100000)  # 0.1 ohm in micro-ohms
with open(os.path.join(hw, "name"), "w") as f:
    f.write("ina219\n")

TICK = os.sysconf("SC_CLK_TCK")
NCPU = os.cpu_count() or 1

def system_busy_ticks():
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + (v[4] if len(v) > 4 else 0)
    return sum(v) - idle, sum(v)

def tree_ticks(pid):
    parent, ticks = {}, {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                rest = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parent[int(d)] = int(rest[1])
        ticks[int(d)] = int(rest[11]) + int(rest[12])  # utime + stime
    total = 0
    for p, t in ticks.items():
        q = p
        while q > 1 and q != pid:
            q = parent.get(q, 0)
        if q == pid:
            total += t
    return total

def cores_busy(prev, dt):
    if a.pid:
        now = tree_ticks(a.pid)
        return (now - prev) / TICK / dt if prev is not None else 0.0, now
    busy, total = system_busy_ticks()
    if prev is None:
        return 0.0, (busy, total)
    frac = (busy - prev[0]) / max(1, total - prev[1])
    return frac * NCPU, (busy, total)

stop = False
def on_signal(*_):
    global stop
    stop = True
signal.signal(signal.SIGTERM, on_signal)
signal.signal(signal.SIGINT, on_signal)

print("EDGEBENCH_SYSFS_ROOT=%s" % root, flush=True)
period = 1.0 / a.hz
load, prev, last_load_t, i = 0.0, None, time.monotonic(), 0
t_next = time.monotonic()
while not stop:
    now = time.monotonic()
    if i % 10 == 0:  # CPU load at ~20 Hz, power at ~200 Hz
        load, prev = cores_busy(prev, max(1e-3, now - last_load_t))
        last_load_t = now
        load = min(max(load, 0.0), NCPU)
    watts = a.idle_w + a.per_core_w * load + random.gauss(0.0, a.noise_w)
    volts = 5.10 - 0.02 * load
    put("power1_input", round(watts * 1e6))  # microwatts, every tick
    if i % 10 == 0:  # the fallback pair at ~20 Hz keeps the script's own CPU cost low
        put("in1_input", round(volts * 1e3))  # millivolts
        put("curr1_input", round(watts / volts * 1e3))  # milliamps
    i += 1
    t_next += period
    time.sleep(max(0.0, t_next - time.monotonic()))
PY
