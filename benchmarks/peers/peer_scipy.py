#!/usr/bin/python3
"""SciPy peer: scipy.sparse.csgraph.dijkstra(graph, indices=s, limit=...)
(python3-scipy), one call per source, on the export's graph as a CSR
matrix (one arc per tail/head pair, the fastest; explicit zero times are
arcs to csgraph). `limit` keeps the distances <= limit (SciPy 1.10 docs and
checked); times are integers, so limit_ds + 0.5 counts the same nodes
whatever the comparison. Each call returns a dense array of n distances
(SciPy's API), which is part of the search time.

    /usr/bin/python3 benchmarks/peers/peer_scipy.py DIR [--budget S]
        [--max-sources K] [--trials N]
"""
import os
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402


def main():
    args = common.parse_args("scipy", "SciPy csgraph.dijkstra with limit.")
    common.on_signals()
    try:
        import numpy as np
        import scipy
        import scipy.sparse as sp
        from scipy.sparse.csgraph import dijkstra
    except ImportError as e:
        common.die(f"{e} (apt-get install python3-scipy; run with /usr/bin/python3)")
    ex = common.Export(args.dir)
    t0 = time.perf_counter()
    tail, head, w = ex.dedup_min()
    indptr = np.zeros(ex.n + 1, dtype=np.int64)
    np.cumsum(np.bincount(tail, minlength=ex.n), out=indptr[1:])
    g = sp.csr_matrix((w.astype(np.float64), head.astype(np.int32),
                       indptr.astype(np.int32)), shape=(ex.n, ex.n))
    limit = ex.limit + 0.5
    setup_s = time.perf_counter() - t0
    common.freeze_heap()

    def search(s):
        d = dijkstra(g, directed=True, indices=s, limit=limit)
        return np.count_nonzero(np.isfinite(d))

    counts, times = common.run_searches(args, ex, search)
    note = "one dijkstra() call per source; each returns n distances"
    return common.report(args, ex, counts, times, setup_s, scipy.__version__, note)


if __name__ == "__main__":
    common.run(main)
