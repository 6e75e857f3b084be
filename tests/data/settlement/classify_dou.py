#!/usr/bin/env python3
"""Degree-of-Urbanisation-like classes of a 1 km population grid.

Reads an ESRI ASCII grid of people per 1 km x 1 km cell (argv[1]) and
writes one of classes (argv[2]) with the GHS-SMOD level-2 codes, by the
"Degree of Urbanisation" rules (Dijkstra & Poelman 2014, "A harmonised
definition of cities and rural areas: the new degree of urbanisation",
European Commission Regional Working Paper 01/2014; Dijkstra et al. 2021,
"Applying the Degree of Urbanisation to the globe", J. Urban Econ. 125):

  30 urban centre: 4-connected cells of >= 1500 people/km2 whose cluster
     holds >= 50,000 people;
  urban cluster: 8-connected cells of >= 300 people/km2 whose cluster holds
     >= 5,000 people, not in an urban centre: 21 (suburban) when the
     cluster holds an urban centre cell, else 23 (dense, >= 1500/km2) or
     22 (semi-dense);
  13 rural cluster: 8-connected cells of >= 300/km2, cluster >= 500 people;
  12 low density rural: >= 50/km2; 11 very low density rural: the rest;
  nodata (255): no population data (the sea).

Simplified: no gap filling or smoothing of urban centres, no water class
(10). Standard library only (no numpy); a few hundred cells a second is
plenty for a national grid at 1 km.
"""
import sys
from collections import deque


def read_asc(path):
    head, rows = {}, []
    with open(path) as f:
        for line in f:
            parts = line.split()
            if not parts:
                continue
            if parts[0].lower() in ("ncols", "nrows", "xllcorner",
                                    "yllcorner", "cellsize", "nodata_value"):
                head[parts[0].lower()] = parts[1]
            else:
                rows.append([float(v) for v in parts])
    return head, rows


def clusters(mask, ny, nx, eight):
    """Label of each cell of mask (-1 elsewhere), and each label's cells."""
    lab = [[-1] * nx for _ in range(ny)]
    members = []
    steps = [(-1, 0), (1, 0), (0, -1), (0, 1)]
    if eight:
        steps += [(-1, -1), (-1, 1), (1, -1), (1, 1)]
    for r in range(ny):
        for c in range(nx):
            if not mask[r][c] or lab[r][c] >= 0:
                continue
            k = len(members)
            cells = []
            lab[r][c] = k
            q = deque([(r, c)])
            while q:
                a, b = q.popleft()
                cells.append((a, b))
                for da, db in steps:
                    i, j = a + da, b + db
                    if 0 <= i < ny and 0 <= j < nx and mask[i][j] \
                            and lab[i][j] < 0:
                        lab[i][j] = k
                        q.append((i, j))
            members.append(cells)
    return lab, members


def main():
    head, pop = read_asc(sys.argv[1])
    ny, nx = len(pop), len(pop[0])
    nodata = float(head.get("nodata_value", "-1"))
    valid = [[v != nodata for v in row] for row in pop]
    p = [[v if ok else 0.0 for v, ok in zip(row, vr)]
         for row, vr in zip(pop, valid)]
    cls = [[255 if not valid[r][c] else 11 for c in range(nx)]
           for r in range(ny)]
    for r in range(ny):
        for c in range(nx):
            if valid[r][c] and p[r][c] >= 50:
                cls[r][c] = 12
    # rural clusters and urban clusters: 8-connected cells >= 300/km2
    lab, members = clusters([[v >= 300 for v in row] for row in p], ny, nx,
                            True)
    # urban centres: 4-connected cells >= 1500/km2, >= 50,000 people
    clab, cmem = clusters([[v >= 1500 for v in row] for row in p], ny, nx,
                          False)
    centre = [[False] * nx for _ in range(ny)]
    for cells in cmem:
        if sum(p[a][b] for a, b in cells) >= 50000:
            for a, b in cells:
                centre[a][b] = True
    for cells in members:
        total = sum(p[a][b] for a, b in cells)
        if total >= 5000:
            has_centre = any(centre[a][b] for a, b in cells)
            for a, b in cells:
                if centre[a][b]:
                    cls[a][b] = 30
                elif has_centre:
                    cls[a][b] = 21
                else:
                    cls[a][b] = 23 if p[a][b] >= 1500 else 22
        elif total >= 500:
            for a, b in cells:
                cls[a][b] = 13
    with open(sys.argv[2], "w") as f:
        for k in ("ncols", "nrows", "xllcorner", "yllcorner", "cellsize"):
            f.write("%s %s\n" % (k, head[k]))
        f.write("NODATA_value 255\n")
        for row in cls:
            f.write(" ".join(str(v) for v in row) + "\n")
    counts = {}
    for r in range(ny):
        for c in range(nx):
            k = cls[r][c]
            counts.setdefault(k, [0, 0.0])
            counts[k][0] += 1
            counts[k][1] += p[r][c]
    for k in sorted(counts):
        print("class %3d: %5d cells, %10.0f people" % (k, counts[k][0],
                                                      counts[k][1]))


if __name__ == "__main__":
    main()
