"""Shared code of the peer benchmarks (benchmarks/peers/*.py).

Reads an export folder written by `accessim-bench-kernels export` (or by
make_test_export.py):

    graph.csv    tail,head,time_ds   one line per directed arc, nodes 0..n-1,
                                     integer deciseconds
    sources.csv  node                K source nodes
    meta.json    {"dataset", "n_nodes", "n_arcs", "limit_ds", "sources"}
    reached.csv  source,reached      per source, the number of nodes within
                                     limit_ds (inclusive) of it alone

runs the same single-source bounded searches with one peer, checks the
reached counts against reached.csv for the sources it ran, and prints one
JSON line with the keys of accessim-bench-kernels' lines. Debian packages
only; run with /usr/bin/python3.
"""

import argparse
import gc
import json
import os
import resource
import signal
import subprocess
import sys
import time

import numpy as np

KERNEL = "bounded_search"


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def die(msg):
    log(f"{os.path.basename(sys.argv[0])}: error: {msg}")
    sys.exit(2)


def parse_args(peer, description):
    p = argparse.ArgumentParser(
        description=f"{description} Prints one JSON line on stdout.")
    p.add_argument("dir", help="export folder (accessim-bench-kernels export)")
    p.add_argument("--budget", type=float,
                   default=float(os.environ.get("PEER_BUDGET_S", 120)),
                   help="search time budget in seconds (default PEER_BUDGET_S "
                   "or 120): sources are run in order until it is spent")
    p.add_argument("--max-sources", type=int, default=0,
                   help="run at most this many sources (0: all)")
    p.add_argument("--trials", type=int, default=1,
                   help="repeat the searches over the same sources (default 1)")
    a = p.parse_args()
    if a.trials < 1 or a.budget <= 0 or a.max_sources < 0:
        die("--trials must be >= 1, --budget > 0, --max-sources >= 0")
    a.peer = peer
    return a


def on_signals():
    """SIGTERM and SIGHUP raise SystemExit so that `finally` blocks run
    (the pgRouting peer stops and removes its cluster there)."""
    def handler(signum, _frame):
        raise SystemExit(128 + signum)
    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGHUP, handler)


def _csv_ints(path, header, ncols):
    try:
        with open(path, encoding="ascii") as f:
            first = f.readline().strip()
            if first != header:
                die(f"{path}: line 1: header is {first!r}, expected {header!r}")
            a = np.loadtxt(f, delimiter=",", dtype=np.int64, ndmin=2)
    except (OSError, ValueError) as e:
        die(f"{path}: {e}")
    if a.size == 0:
        a = a.reshape(0, ncols)
    if a.shape[1] != ncols:
        die(f"{path}: {a.shape[1]} columns, expected {ncols}")
    return a


class Export:
    """An export folder in memory: arcs (tail, head, time_ds), sources,
    expected reached counts, limit."""

    def __init__(self, d):
        t0 = time.perf_counter()
        self.dir = d
        try:
            with open(os.path.join(d, "meta.json"), encoding="utf-8") as f:
                meta = json.load(f)
        except (OSError, ValueError) as e:
            die(f"{os.path.join(d, 'meta.json')}: {e}")
        for k in ("dataset", "n_nodes", "n_arcs", "limit_ds", "sources"):
            if k not in meta:
                die(f"{os.path.join(d, 'meta.json')}: no key {k!r}")
        self.dataset = meta["dataset"]
        self.n = int(meta["n_nodes"])
        self.limit = int(meta["limit_ds"])
        g = _csv_ints(os.path.join(d, "graph.csv"), "tail,head,time_ds", 3)
        self.tail, self.head, self.w = (np.ascontiguousarray(g[:, i]) for i in range(3))
        self.m = len(self.tail)
        if self.m != int(meta["n_arcs"]):
            die(f"{d}/graph.csv: {self.m} arcs, meta.json says {meta['n_arcs']}")
        if self.m and (min(self.tail.min(), self.head.min()) < 0 or
                       max(self.tail.max(), self.head.max()) >= self.n):
            die(f"{d}/graph.csv: a node id outside 0..{self.n - 1}")
        if self.m and self.w.min() < 0:
            die(f"{d}/graph.csv: a negative time")
        self.sources = _csv_ints(os.path.join(d, "sources.csv"), "node", 1)[:, 0]
        if len(self.sources) != int(meta["sources"]):
            die(f"{d}/sources.csv: {len(self.sources)} sources, meta.json says "
                f"{meta['sources']}")
        if len(self.sources) and (self.sources.min() < 0 or self.sources.max() >= self.n):
            die(f"{d}/sources.csv: a node id outside 0..{self.n - 1}")
        r = _csv_ints(os.path.join(d, "reached.csv"), "source,reached", 2)
        if len(r) != len(self.sources):
            die(f"{d}/reached.csv: {len(r)} lines, {len(self.sources)} sources")
        # `source` is the 0-based line of sources.csv (or, equivalently when
        # it matches them, the source's node id).
        col = r[:, 0]
        if np.array_equal(col, np.arange(len(col))):
            self.expected = r[:, 1].copy()
        elif np.array_equal(col, self.sources):
            self.expected = r[:, 1].copy()
        else:
            die(f"{d}/reached.csv: column source is neither 0..K-1 nor the "
                f"sources' node ids in order")
        self.load_s = time.perf_counter() - t0

    def dedup_min(self):
        """Arcs with one arc per (tail, head), the fastest; sorted by tail."""
        order = np.lexsort((self.w, self.head, self.tail))
        t, h, w = self.tail[order], self.head[order], self.w[order]
        keep = np.ones(len(t), dtype=bool)
        keep[1:] = (t[1:] != t[:-1]) | (h[1:] != h[:-1])
        return t[keep], h[keep], w[keep]


def commit():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    try:
        c = subprocess.run(["git", "-C", root, "rev-parse", "--short", "HEAD"],
                           capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", root, "diff", "--quiet", "HEAD"],
                               capture_output=True).returncode != 0
        return c + ("-dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def freeze_heap():
    """Moves the objects built so far (the peer's graph) out of the
    collector's way, so that the timed searches do not rescan them."""
    gc.collect()
    if hasattr(gc, "freeze"):
        gc.freeze()


def run_searches(args, ex, search):
    """Calls search(node) -> reached count, or (count, seconds to leave out
    of the search time: counting done by this script afterwards), for the
    sources in order until the budget (search time) is spent, then
    args.trials - 1 more times over the same sources. Returns (counts,
    times per trial)."""
    def call(s):
        t = time.perf_counter()
        r = search(s)
        dt = time.perf_counter() - t
        if isinstance(r, tuple):
            return r[0], dt - r[1]
        return r, dt

    srcs = ex.sources if args.max_sources == 0 else ex.sources[:args.max_sources]
    counts = []
    spent = 0.0
    for s in srcs:
        c, dt = call(int(s))
        spent += dt
        counts.append(int(c))
        if spent >= args.budget:
            break
    times = [spent]
    for _ in range(args.trials - 1):
        times.append(sum(call(int(s))[1] for s in srcs[:len(counts)]))
    return counts, times


def report(args, ex, counts, times, setup_s, version, note="", extra=None):
    """Checks the counts and prints the JSON line. Returns the exit status:
    0, or 1 where a count disagrees with reached.csv."""
    k = len(counts)
    bad = [i for i in range(k) if counts[i] != ex.expected[i]]
    for i in bad[:5]:
        log(f"{args.peer}: source {i} (node {ex.sources[i]}): reached "
            f"{counts[i]}, reached.csv says {ex.expected[i]}")
    if bad:
        log(f"{args.peer}: DISAGREES with reached.csv on {len(bad)} of {k} sources")
    settled = int(sum(counts))
    med = float(np.median(times)) if times else 0.0
    mn = float(min(times)) if times else 0.0
    rate = settled / med if med > 0 else 0.0
    reduced = k < len(ex.sources)
    if reduced:
        why = (f"first {k} of {len(ex.sources)} sources"
               + (f" (budget {args.budget:g} s)" if args.max_sources == 0 or
                  k < args.max_sources else " (--max-sources)"))
        note = f"{why}; {note}" if note else why
    line = {
        "dataset": ex.dataset, "kernel": KERNEL, "peer": args.peer,
        "peer_version": version, "threads": 1, "trials": len(times),
        "median_s": round(med, 6), "min_s": round(mn, 6), "settled": settled,
        "settled_per_s_per_core": round(rate, 1),
        "n_nodes": ex.n, "n_arcs": ex.m, "limit_ds": ex.limit,
        "sources": len(ex.sources), "sources_run": k,
        # the time all K sources would take at the measured rate per search
        "all_sources_s": round(med * len(ex.sources) / k, 3) if k else None,
        "load_s": round(ex.load_s, 3), "setup_s": round(setup_s, 3),
        "verified": not bad and k > 0, "mismatches": len(bad),
        "note": note, "commit": commit(),
        # this process's peak (load and set-up included), kB on Linux
        "peak_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }
    if extra:
        line.update(extra)
    print(json.dumps(line), flush=True)
    return 1 if bad else 0


def run(main):
    """sys.exit(main()), with Ctrl-C as one line and exit status 130."""
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        log(f"{os.path.basename(sys.argv[0])}: interrupted")
        sys.exit(130)
