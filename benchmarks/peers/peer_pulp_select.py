#!/usr/bin/python3
"""PuLP + CBC peer for site selection (the route spopt users take):
MCLP and p-median on an instance written by `bench_select --dump FILE`
(python3-pulp, coinor-cbc and python3-numpy, scripts/install-bench-deps.sh),
with the same formulations as kernels/select_exact.c:

  MCLP: x_a binary, y_i in [0, 1] for every cell not covered at the
    baseline (b_i > T) that some candidate covers; max sum w_i y_i,
    y_i <= sum_{a: t_ia <= T} x_a, sum x_a <= p; objective = population
    covered at the baseline + that sum.
  p-median (savings form): z_ia in [0, 1] for pairs with t_ia <
    e_i = min(b_i, P); max sum w_i (e_i - t_ia) z_ia, z_ia <= x_a,
    sum_a z_ia <= 1, sum x_a <= p; objective = sum w_i e_i - savings.

    /usr/bin/python3 benchmarks/peers/peer_pulp_select.py FILE
        [--time-limit S] [--models mclp,pmedian]

Prints one line per model: the time to build the PuLP model, CBC's solve
time (pulp's solve() call: writing the MPS file, cbc, reading the
solution back), the status and the objective (comparable with
bench_select's lines).
"""
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree

import numpy as np  # noqa: E402
import pulp  # noqa: E402

INF = 0x7FFFFFFF


def load(path):
    with open(path, "rb") as f:
        if f.read(8) != b"AMSEL1\0\0":
            sys.exit(f"{path}: not a bench_select dump")
        n, n_cand, p = np.frombuffer(f.read(12), dtype="<i4")
        cover, penalty = np.frombuffer(f.read(8), dtype="<u4")
        w = np.frombuffer(f.read(8 * n), dtype="<f8")
        base = np.frombuffer(f.read(4 * n), dtype="<u4")
        row = np.frombuffer(f.read(8 * (n_cand + 1)), dtype="<i8")
        nnz = int(row[-1])
        cell = np.frombuffer(f.read(4 * nnz), dtype="<i4")
        tm = np.frombuffer(f.read(4 * nnz), dtype="<u4")
    return dict(n=int(n), n_cand=int(n_cand), p=int(p), T=int(cover),
                P=int(penalty), w=w, base=base, row=row, cell=cell, time=tm)


def cand_of_pairs(d):
    return np.repeat(np.arange(d["n_cand"]), np.diff(d["row"]))


def mclp(d):
    T = d["T"]
    prob = pulp.LpProblem("mclp", pulp.LpMaximize)
    x = [pulp.LpVariable(f"x{a}", cat="Binary") for a in range(d["n_cand"])]
    cand = cand_of_pairs(d)
    keep = (d["time"] <= T) & (d["base"][d["cell"]] > T)
    cover = {}
    for a, i in zip(cand[keep].tolist(), d["cell"][keep].tolist()):
        cover.setdefault(i, []).append(a)
    y = {i: pulp.LpVariable(f"y{i}", 0, 1) for i in cover}
    prob += pulp.lpSum(float(d["w"][i]) * y[i] for i in cover)
    for i, cs in cover.items():
        prob += y[i] <= pulp.lpSum(x[a] for a in cs)
    prob += pulp.lpSum(x) <= d["p"]
    const = float(d["w"][d["base"] <= T].sum())
    return prob, const, 1.0


def pmedian(d):
    P = d["P"]
    prob = pulp.LpProblem("pmedian", pulp.LpMaximize)
    x = [pulp.LpVariable(f"x{a}", cat="Binary") for a in range(d["n_cand"])]
    e = np.minimum(d["base"], P).astype(np.int64)
    cand = cand_of_pairs(d)
    ei = e[d["cell"]]
    keep = d["time"] < ei
    terms, per_cell = [], {}
    for k, (a, i, t) in enumerate(zip(cand[keep].tolist(),
                                      d["cell"][keep].tolist(),
                                      d["time"][keep].tolist())):
        z = pulp.LpVariable(f"z{k}", 0, 1)
        terms.append(float(d["w"][i]) * float(e[i] - t) * z)
        prob += z <= x[a]
        per_cell.setdefault(i, []).append(z)
    prob += pulp.lpSum(terms)
    for zs in per_cell.values():
        prob += pulp.lpSum(zs) <= 1
    prob += pulp.lpSum(x) <= d["p"]
    const = float((d["w"] * e).sum())
    return prob, const, -1.0


def main():
    args = sys.argv[1:]
    if not args:
        sys.exit(__doc__)
    path, tlim, models = args[0], 600, ["mclp", "pmedian"]
    k = 1
    while k < len(args):
        if args[k] == "--time-limit":
            tlim = float(args[k + 1])
        elif args[k] == "--models":
            models = args[k + 1].split(",")
        else:
            sys.exit(f"unknown option {args[k]}")
        k += 2
    d = load(path)
    solver = pulp.COIN_CMD(path="/usr/bin/cbc", msg=False, timeLimit=tlim)
    for m in models:
        t0 = time.monotonic()
        prob, const, sign = (mclp if m == "mclp" else pmedian)(d)
        t1 = time.monotonic()
        prob.solve(solver)
        t2 = time.monotonic()
        obj = const + sign * pulp.value(prob.objective)
        chosen = sum(1 for v in prob.variables()
                     if v.name.startswith("x") and (v.varValue or 0) > 0.5)
        print(f"pulp+cbc {m:8s} build {t1 - t0:.3f} s, solve {t2 - t1:.3f} s, "
              f"status {pulp.LpStatus[prob.status]}, objective {obj:.10g}, "
              f"{chosen} sites", flush=True)


if __name__ == "__main__":
    main()
