#!/usr/bin/python3
"""igraph peer (python3-igraph): Graph.distances(source=[s], weights="w",
mode="out"), one call per source. python-igraph 0.10 has no cutoff for
weighted distances: each call searches everything reachable from the source
and returns n distances, and the nodes within limit_ds are counted
afterwards. So igraph does more work than the bounded searches it is
compared with; the line reports the nodes within the limit as `settled`
(the same count as the others) and the nodes it reached as
`searched_nodes`.

    /usr/bin/python3 benchmarks/peers/peer_igraph.py DIR [--budget S]
        [--max-sources K] [--trials N]
"""
import os
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402


def main():
    args = common.parse_args("igraph", "igraph Graph.distances (no cutoff).")
    common.on_signals()
    try:
        import igraph
    except ImportError as e:
        common.die(f"{e} (apt-get install python3-igraph; run with /usr/bin/python3)")
    ex = common.Export(args.dir)
    t0 = time.perf_counter()
    tail, head, w = ex.dedup_min()
    g = igraph.Graph(n=ex.n, edges=list(zip(tail.tolist(), head.tolist())), directed=True)
    g.es["w"] = w.tolist()
    setup_s = time.perf_counter() - t0
    common.freeze_heap()
    limit = ex.limit
    inf = float("inf")
    searched = [0]

    def search(s):
        d = g.distances(source=[s], weights="w", mode="out")[0]
        t = time.perf_counter()  # the counting is not igraph's: left out
        searched[0] += sum(1 for x in d if x != inf)
        c = sum(1 for x in d if x <= limit)
        return c, time.perf_counter() - t

    counts, times = common.run_searches(args, ex, search)
    note = ("no cutoff in python-igraph: every search covers all reachable nodes "
            "and returns n distances; nodes within the limit counted afterwards")
    return common.report(args, ex, counts, times, setup_s, igraph.__version__, note,
                         {"searched_nodes": searched[0] // len(times)})


if __name__ == "__main__":
    common.run(main)
