#!/usr/bin/env python3
"""Independent reference for keiho-orbit's pass prediction: Skyfield.

Computes the passes of MALLIGYONG-1 (NORAD 58400; both element sets of
shared/data/tle/malligyong-1_norad58400_2024-06.tle, repeated below so the script
needs no other file) over Naha, Tokyo and Seoul above 10 degrees of elevation, for
three days after each epoch, and writes JSON (stdout, or the path given as argv[1]).

Skyfield's model is independent of Keiho's: python-sgp4 (Vallado's C++ code, WGS72,
improved mode), TEME -> GCRS -> ITRS with the full IAU 2000A nutation, the equation of
the equinoxes and Skyfield's bundled UT1-UTC table, and WGS84 geodetic observers.
Skyfield's own event search (find_events) is used to find the events; each is then
refined with Skyfield's altitude (bisection for rise/set, golden section for the
culmination) to 1 ms so that the reference carries the model, not a search
tolerance. Requires `pip install skyfield` (tested with 1.55, sgp4 2.27).

Usage: python3 skyfield_passes.py [OUT.json]
"""

import json
import math
import sys

import sgp4
import skyfield
from skyfield.api import EarthSatellite, load, wgs84

TLES = [
    (
        "MALLIGYONG-1",
        "1 58400U 23179A   24158.19566690  .00000871  00000-0  41535-4 0  9999",
        "2 58400  97.4052  45.2326 0002221 305.1745  54.9283 15.21704003 30052",
        (2024, 6, 6, 5, 0, 0),
    ),
    (
        "MALLIGYONG-1",
        "1 58400U 23179A   24164.24788005  .00007135  00000+0  32465-3 0  9998",
        "2 58400  97.4040  51.1823 0001996 152.6365 207.4976 15.21013721 30973",
        (2024, 6, 12, 6, 0, 0),
    ),
]
OBSERVERS = [
    ("Naha", 26.2124, 127.6809),
    ("Tokyo", 35.6895, 139.6917),
    ("Seoul", 37.5665, 126.9780),
]
DAYS = 3
MIN_ELEVATION_DEG = 10.0
TOL_DAYS = 1e-3 / 86400.0


def main():
    ts = load.timescale()
    out = {
        "generator": "crates/keiho-orbit/tests/reference/skyfield_passes.py",
        "skyfield": skyfield.__version__,
        "sgp4": sgp4.__version__,
        "min_elevation_deg": MIN_ELEVATION_DEG,
        "days": DAYS,
        "cases": [],
    }
    for name, l1, l2, start in TLES:
        sat = EarthSatellite(l1, l2, name, ts)
        t0 = ts.utc(*start)
        t1 = ts.tt_jd(t0.tt + DAYS)
        for obs_name, lat, lon in OBSERVERS:
            here = wgs84.latlon(lat, lon, elevation_m=0.0)
            diff = sat - here

            def alt(tt):
                return diff.at(ts.tt_jd(tt)).altaz()[0].degrees

            times, kinds = sat.find_events(here, t0, t1, altitude_degrees=MIN_ELEVATION_DEG)
            events = []
            for t, k in zip(times, kinds):
                tt = t.tt
                if k == 1:
                    tt = golden_max(alt, tt - 30.0 / 86400, tt + 30.0 / 86400)
                else:
                    lo, hi = tt - 30.0 / 86400, tt + 30.0 / 86400
                    rising = k == 0
                    tt = bisect(lambda x: alt(x) >= MIN_ELEVATION_DEG, lo, hi, not rising)
                events.append((int(k), tt))
            passes = []
            current = {}
            for k, tt in events:
                t = ts.tt_jd(tt)
                alt_deg, az, dist = diff.at(t).altaz()
                ev = {
                    "time": t.utc_datetime().strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                    "elevation_deg": round(alt_deg.degrees, 6),
                    "azimuth_deg": round(az.degrees, 6),
                    "range_km": round(dist.km, 6),
                }
                key = ["rise", "culmination", "set"][k]
                if k == 0 and current:
                    passes.append(current)
                    current = {}
                current[key] = ev
                if k == 2:
                    passes.append(current)
                    current = {}
            if current:
                passes.append(current)
            out["cases"].append(
                {
                    "tle": [l1, l2],
                    "from": t0.utc_strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "to": t1.utc_strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "observer": {"name": obs_name, "lat_deg": lat, "lon_deg": lon, "alt_m": 0.0},
                    "passes": passes,
                }
            )
    text = json.dumps(out, indent=1) + "\n"
    if len(sys.argv) > 1:
        with open(sys.argv[1], "w") as f:
            f.write(text)
    else:
        sys.stdout.write(text)


def bisect(pred, lo, hi, starts_true):
    """First time in [lo, hi] where pred stops being starts_true."""
    if pred(lo) != starts_true or pred(hi) == starts_true:
        raise ValueError("event not bracketed")
    while hi - lo > TOL_DAYS:
        mid = 0.5 * (lo + hi)
        if pred(mid) == starts_true:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def golden_max(f, a, b):
    g = (math.sqrt(5) - 1) / 2
    c, d = b - g * (b - a), a + g * (b - a)
    fc, fd = f(c), f(d)
    while b - a > TOL_DAYS:
        if fc >= fd:
            b, d, fd = d, c, fc
            c = b - g * (b - a)
            fc = f(c)
        else:
            a, c, fc = c, d, fd
            d = a + g * (b - a)
            fd = f(d)
    return 0.5 * (a + b)


if __name__ == "__main__":
    main()
