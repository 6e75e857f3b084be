#!/usr/bin/env python3
"""check_snap_distances.py: an independent check of snapping onto roads.

Reads the routable roads as GeoJSON lines (exported with ogr2ogr, the car
profile's classes), and for every facility of an accessim results file
(lon, lat and snap_distance_m read with h5dump) computes, in plain Python:
  - the distance to the nearest point of any road segment (each segment
    projected into a local equirectangular plane centred on the facility,
    with the WGS 84 radii of curvature there, exact to well under 0.1 %
    over a few km), and
  - the distance to the nearest road vertex (the old node-snapping rule),
and compares the first with the file's snap_distance_m. No accessim code,
no PROJ: a different method from the engine's (azimuthal equidistant
frame, k-d/BVH index, geodesic leg).

  ogr2ogr -f GeoJSON roads.geojson comores-latest.osm.pbf lines \
      -where "highway IN ('motorway', ..., 'road')"
  python3 scripts/check_snap_distances.py roads.geojson out.h5 SET
"""
import json
import math
import subprocess
import sys

A, F = 6378137.0, 1 / 298.257223563  # WGS 84
E2 = F * (2 - F)


def radii(lat):
    """Meridional and prime-vertical radii of curvature at lat (degrees)."""
    s2 = math.sin(math.radians(lat)) ** 2
    w = math.sqrt(1 - E2 * s2)
    return A * (1 - E2) / w ** 3, A / w


def h5_doubles(path, dataset):
    out = subprocess.run(["h5dump", "-d", dataset, "-m", "%.17g", "-y",
                          "-w", "0", "-A", "0", path],
                         check=True, capture_output=True, text=True).stdout
    body = out[out.index("DATA {") + 6:]
    body = body[:body.index("}")]
    return [float(v) for v in body.replace("\n", " ").split(",") if v.strip()]


def seg_dist(px, py, ax, ay, bx, by):
    dx, dy = bx - ax, by - ay
    l2 = dx * dx + dy * dy
    t = 0.0 if l2 == 0 else max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / l2))
    return math.hypot(px - (ax + t * dx), py - (ay + t * dy))


def main():
    roads, h5, group = sys.argv[1], sys.argv[2], sys.argv[3]
    lines = []
    for f in json.load(open(roads))["features"]:
        g = f["geometry"]
        if g is None:
            continue
        parts = [g["coordinates"]] if g["type"] == "LineString" else g["coordinates"]
        lines.extend(parts)
    base = "/results/%s/facilities/" % group
    lon = h5_doubles(h5, base + "lon")
    lat = h5_doubles(h5, base + "lat")
    snap = h5_doubles(h5, base + "snap_distance_m")
    worst = 0.0
    print("site  snap_distance_m  segment_m  vertex_m")
    for j, (x0, y0, d_file) in enumerate(zip(lon, lat, snap)):
        m, n = radii(y0)
        kx = math.radians(1) * n * math.cos(math.radians(y0))
        ky = math.radians(1) * m
        best_seg = best_vtx = math.inf
        for pts in lines:
            prev = None
            for (x, y) in pts:
                px, py = (x - x0) * kx, (y - y0) * ky
                best_vtx = min(best_vtx, math.hypot(px, py))
                if prev is not None:
                    best_seg = min(best_seg, seg_dist(0.0, 0.0, prev[0], prev[1], px, py))
                prev = (px, py)
        err = abs(best_seg - d_file)
        worst = max(worst, err / max(best_seg, 1.0))
        print("%4d  %15.2f  %9.2f  %8.2f" % (j, d_file, best_seg, best_vtx))
    print("largest difference: %.3f %% (or m below 1 m)" % (100 * worst))
    return 0 if worst < 0.005 else 1


if __name__ == "__main__":
    sys.exit(main())
