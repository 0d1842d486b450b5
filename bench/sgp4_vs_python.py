#!/usr/bin/env python3
"""Keiho's SGP4 (the Rust `sgp4` crate behind keiho-orbit) against python-sgp4's
vectorised SatrecArray (Vallado's C++ SGP4 compiled into the wheel) on the same
element sets and the same times, in one run.

Run from the repository root:
    pip install sgp4 numpy
    python3 bench/sgp4_vs_python.py [SETS] [MINUTES]

It writes SETS (default 1,000) LEO TLEs sharing one epoch (the first MALLIGYONG-1
epoch, 2024-06-06T04:41:45.62Z), inclination, node, mean anomaly and mean motion
spread deterministically, to target/bench-sgp4/sets.tle; times SatrecArray.sgp4 over
MINUTES (default 1,440) one-minute steps from the epoch (best of 3, one thread, as
the C++ extension is); runs the keiho-orbit example `propagate_throughput` on the
same file (best of 3, one thread and rayon on all cores); checks that both give the
same position for the first set at the last minute; prints both throughputs and
the ratios.
"""
import json
import os
import subprocess
import sys
import time

import numpy as np
from sgp4.api import SatrecArray, Satrec

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
out_dir = os.path.join(root, "target", "bench-sgp4")
os.makedirs(out_dir, exist_ok=True)
n_sets = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
minutes = int(sys.argv[2]) if len(sys.argv) > 2 else 1440


def checksum(line):
    return sum(int(c) if c.isdigit() else (1 if c == "-" else 0) for c in line[:68]) % 10


lines = []
for i in range(n_sets):
    norad = 80000 + i
    incl = 20.0 + (i * 37.0) % 80.0
    raan = (i * 97.3) % 360.0
    ma = (i * 211.7) % 360.0
    mm = 14.2 + (i * 0.013) % 1.6
    l1 = "1 %05dU 24001A   24158.19566690  .00000871  00000-0  41535-4 0  999" % norad
    l2 = "2 %05d %8.4f %8.4f 0002221 305.1745 %8.4f %11.8f    1" % (norad, incl, raan, ma, mm)
    l1 += str(checksum(l1))
    l2 += str(checksum(l2))
    assert len(l1) == 69 and len(l2) == 69, (l1, l2)
    lines += [l1, l2]
tle_path = os.path.join(out_dir, "sets.tle")
with open(tle_path, "w") as f:
    f.write("\n".join(lines) + "\n")

sats = [Satrec.twoline2rv(lines[2 * i], lines[2 * i + 1]) for i in range(n_sets)]
arr = SatrecArray(sats)
jd0, fr0 = sats[0].jdsatepoch, sats[0].jdsatepochF
fr = fr0 + np.arange(minutes) / 1440.0
jd = np.full(minutes, jd0)
best_py = float("inf")
for _ in range(3):
    t = time.perf_counter()
    e, r, v = arr.sgp4(jd, fr)
    best_py = min(best_py, time.perf_counter() - t)
assert (e == 0).all(), "python-sgp4 reported errors"
props = n_sets * minutes

cmd = ["cargo", "run", "--release", "--quiet", "-p", "keiho-orbit", "--example",
       "propagate_throughput", "--", tle_path, str(minutes)]
keiho = json.loads(subprocess.run(cmd, cwd=root, check=True, capture_output=True,
                                  text=True).stdout)
assert keiho["propagations"] == props, keiho
diff_km = float(np.max(np.abs(np.array(keiho["first_last_km"]) - r[0, -1])))

import sgp4
print(f"{n_sets} sets x {minutes} minutes = {props:,} propagations (TEME)")
print(f"| implementation | time | propagations/s | ratio to python-sgp4 |")
print(f"|---|---|---|---|")
print(f"| python-sgp4 {sgp4.__version__} SatrecArray.sgp4 (C++, one thread) | {best_py:.3f} s | {props / best_py / 1e6:.2f} M | 1.00x |")
one, allt = keiho["seconds_one_thread"], keiho["seconds_all_threads"]
print(f"| Keiho (sgp4 crate), one thread | {one:.3f} s | {props / one / 1e6:.2f} M | {best_py / one:.2f}x |")
print(f"| Keiho, rayon on {keiho['threads']} threads | {allt:.3f} s | {props / allt / 1e6:.2f} M | {best_py / allt:.2f}x |")
print(f"first set at the last minute: Keiho and python-sgp4 differ by {diff_km * 1e6:.3f} mm")
