#!/usr/bin/python3
"""Writes a test export folder in the format of `accessim-bench-kernels
export` (graph.csv, sources.csv, meta.json, reached.csv) for a W x H grid
graph with random integer arc times, so that the peer scripts can be
developed and checked without the engine. reached.csv comes from a plain
heapq Dijkstra here (inclusive limit, start time 0).

    /usr/bin/python3 benchmarks/peers/make_test_export.py DIR [--width W]
        [--height H] [--sources K] [--limit-ds L] [--seed N]
"""
import argparse
import heapq
import json
import os
import random


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("dir")
    p.add_argument("--width", type=int, default=100)
    p.add_argument("--height", type=int, default=100)
    p.add_argument("--sources", type=int, default=20)
    p.add_argument("--limit-ds", type=int, default=3000)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    rng = random.Random(a.seed)
    w, h = a.width, a.height
    n = w * h
    arcs = []
    for y in range(h):
        for x in range(w):
            u = y * w + x
            for v in ((u + 1) if x + 1 < w else None, (u + w) if y + 1 < h else None):
                if v is None or rng.random() < 0.08:  # missing links
                    continue
                t = rng.randint(0, 400)  # zero times occur (short arcs)
                r = rng.random()
                if r < 0.1:  # one-way
                    arcs.append((u, v, t) if r < 0.05 else (v, u, t))
                else:
                    arcs.append((u, v, t))
                    arcs.append((v, u, t + rng.randint(-2, 30) if t > 2 else t))
                if rng.random() < 0.02:  # a slower parallel arc
                    arcs.append((u, v, t + 50))
    rng.shuffle(arcs)
    adj = [[] for _ in range(n)]
    for u, v, t in arcs:
        adj[u].append((v, t))
    sources = [rng.randrange(n) for _ in range(a.sources)]
    reached = []
    for s in sources:
        dist = {s: 0}
        heap = [(0, s)]
        done = set()
        while heap:
            d, u = heapq.heappop(heap)
            if u in done:
                continue
            done.add(u)
            for v, t in adj[u]:
                nd = d + t
                if nd <= a.limit_ds and nd < dist.get(v, nd + 1):
                    dist[v] = nd
                    heapq.heappush(heap, (nd, v))
        reached.append(len(done))
    os.makedirs(a.dir, exist_ok=True)
    with open(os.path.join(a.dir, "graph.csv"), "w") as f:
        f.write("tail,head,time_ds\n")
        f.writelines(f"{u},{v},{t}\n" for u, v, t in arcs)
    with open(os.path.join(a.dir, "sources.csv"), "w") as f:
        f.write("node\n")
        f.writelines(f"{s}\n" for s in sources)
    with open(os.path.join(a.dir, "reached.csv"), "w") as f:
        f.write("source,reached\n")
        f.writelines(f"{i},{r}\n" for i, r in enumerate(reached))
    with open(os.path.join(a.dir, "meta.json"), "w") as f:
        json.dump({"dataset": f"grid-{w}x{h}-{a.seed}", "n_nodes": n,
                   "n_arcs": len(arcs), "limit_ds": a.limit_ds,
                   "sources": len(sources)}, f)
        f.write("\n")


if __name__ == "__main__":
    main()
