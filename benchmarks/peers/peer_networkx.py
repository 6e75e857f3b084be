#!/usr/bin/python3
"""networkx peer: single_source_dijkstra_path_length(G, s, cutoff=limit_ds,
weight="w") (python3-networkx) on a DiGraph of the export's arcs (one arc
per tail/head pair, the fastest). The cutoff keeps lengths <= cutoff
(networkx docs); the lengths are integers, so the count is exact.

    /usr/bin/python3 benchmarks/peers/peer_networkx.py DIR [--budget S]
        [--max-sources K] [--trials N]
"""
import os
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402


def main():
    args = common.parse_args("networkx", "networkx single_source_dijkstra_path_length with cutoff.")
    common.on_signals()
    try:
        import networkx as nx
    except ImportError as e:
        common.die(f"{e} (apt-get install python3-networkx; run with /usr/bin/python3)")
    ex = common.Export(args.dir)
    t0 = time.perf_counter()
    tail, head, w = ex.dedup_min()
    G = nx.DiGraph()
    G.add_nodes_from(range(ex.n))
    G.add_weighted_edges_from(zip(tail.tolist(), head.tolist(), w.tolist()), weight="w")
    setup_s = time.perf_counter() - t0
    common.freeze_heap()
    cutoff = ex.limit

    def search(s):
        return len(nx.single_source_dijkstra_path_length(G, s, cutoff=cutoff, weight="w"))

    counts, times = common.run_searches(args, ex, search)
    return common.report(args, ex, counts, times, setup_s, nx.__version__)


if __name__ == "__main__":
    common.run(main)
