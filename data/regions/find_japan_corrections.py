#!/usr/bin/env python3
"""Find islands that Natural Earth assigns to the wrong Japanese prefecture.

Natural Earth's admin-1 file (the 2020 Elastic extract we ship) puts the Amami islands
(Kagoshima, JP-46) in Okinawa (JP-47) and two islands of Kagoshima in Kumamoto (JP-43).
For a warning system that is not cosmetic: Amami's people would be told "Okinawa".
This script compares every polygon part of every Japanese region with the independent
OpenStreetMap prefecture boundaries (shared/data/boundaries/japan_prefectures_osm.geojson)
and lists the parts that lie more than half inside another prefecture. build.rs applies
the list (japan_island_corrections.csv), matching parts by their bounding box.

Run from the repository root:  python3 data/regions/find_japan_corrections.py ../shared
Needs shapely 2 (pip install shapely).
"""
import json
import sys

from shapely.geometry import shape

shared = sys.argv[1] if len(sys.argv) > 1 else "../shared"
ne = json.load(open("data/regions/ne_10m_admin1_west_pacific.geojson"))
osm = json.load(open(f"{shared}/data/boundaries/japan_prefectures_osm.geojson"))
osm = {f["properties"]["iso_3166_2"]: shape(f["geometry"]) for f in osm["features"]}

print("ne_code,min_lon,min_lat,max_lon,max_lat,correct_code,share_inside")
for f in ne["features"]:
    code = f["properties"]["iso_3166_2"]
    if not code.startswith("JP-"):
        continue
    geom = shape(f["geometry"])
    for part in getattr(geom, "geoms", [geom]):
        best, area = max(((k, g.intersection(part).area) for k, g in osm.items()), key=lambda kv: kv[1])
        share = area / part.area
        if best != code and share > 0.5:
            x0, y0, x1, y1 = part.bounds
            print(f"{code},{x0:.5f},{y0:.5f},{x1:.5f},{y1:.5f},{best},{share:.3f}")
