#!/usr/bin/python3
"""Markdown tables from the JSON lines of benchmarks/run_suite.sh (on stdin
or in the files named): per dataset, accessim's bounded searches (lines of
accessim-bench-kernels with a kernel in SEARCH_KERNELS) against each peer
(lines with a "peer" key), with the ratios of settled nodes per second per
core; accessim's other kernels; and the whole pipeline (run_regions.sh's
"bench": "region" lines).
"""
import fileinput
import json
import os
import sys

# accessim's kernels that run the same K single-source bounded searches as
# the peers (accessim-bench-kernels: "search", and "search_bfs" on the graph
# renumbered in breadth-first order)
SEARCH_KERNELS = os.environ.get("COMPARE_KERNELS", "search bounded_search search_bfs").split()


def num(x, digits=2):
    if x is None or x == "":
        return ""
    return f"{int(x):,}" if digits == 0 else f"{x:,.{digits}f}"


def ms(x):
    """seconds as milliseconds (the nearest search takes a few ms on tiny)."""
    return "" if x is None or x == "" else f"{x * 1e3:,.2f}"


def rate(x):
    """settled nodes per second, in millions."""
    return "" if x is None else f"{x / 1e6:,.3f}"


def main():
    lines = []
    for raw in fileinput.input():
        raw = raw.strip()
        if raw.startswith("{"):
            try:
                lines.append(json.loads(raw))
            except ValueError:
                print(f"table.py: not JSON: {raw[:80]}", file=sys.stderr)
    seen = set()
    kern = []
    for d in lines:  # one line per dataset, kernel and thread count
        if "kernel" in d and "peer" not in d:
            key = (d.get("dataset"), d["kernel"], d.get("threads"))
            if key not in seen:
                seen.add(key)
                kern.append(d)
    peers = [d for d in lines if "peer" in d]
    regions = [d for d in lines if d.get("bench") == "region"]
    datasets = list(dict.fromkeys(d["dataset"] for d in kern + peers))
    for ds in datasets:
        acc = [d for d in kern if d["dataset"] == ds and d["kernel"] in SEARCH_KERNELS]
        acc.sort(key=lambda d: (SEARCH_KERNELS.index(d["kernel"]), d["threads"]))
        prs = [d for d in peers if d["dataset"] == ds]
        ref = next((d for d in acc + prs if "n_nodes" in d), {})
        print(f"\n### Bounded searches: {ds} ({num(ref.get('n_nodes'), 0)} nodes, "
              f"{num(ref.get('n_arcs'), 0)} arcs"
              + (f", limit {ref['limit_ds'] / 600:g} min" if "limit_ds" in ref else "")
              + ")\n")
        head = ["tool", "threads", "sources run", "median s", "min s", "settled",
                "M settled/s/core"]
        head += [f"accessim {d['kernel']} {d['threads']}t ÷ tool, per core" for d in acc]
        head += ["peak RSS MiB", "checked", "note"]
        print("| " + " | ".join(head) + " |")
        print("|" + "---|" * len(head))
        for d in acc + prs:
            tool = f"accessim {d['kernel']}" if "peer" not in d else \
                f"{d['peer']} {d.get('peer_version', '')}".strip()
            srun = d.get("sources_run", d.get("sources", ""))
            if "sources" in d and "sources_run" in d and d["sources_run"] != d["sources"]:
                srun = f"{d['sources_run']} of {d['sources']}"
            row = [tool, str(d.get("threads", "")), str(srun), num(d.get("median_s"), 3),
                   num(d.get("min_s"), 3), num(d.get("settled"), 0),
                   rate(d.get("settled_per_s_per_core"))]
            for a in acc:
                r = d.get("settled_per_s_per_core")
                row.append("—" if "peer" not in d or not r else
                           f"{a['settled_per_s_per_core'] / r:,.1f}×")
            rss = d.get("peak_rss_kb")
            row.append("" if rss is None else f"{rss / 1024:,.0f}")
            if "peer" not in d:
                row.append("reference")
            elif d.get("verified"):
                row.append("agrees")
            else:
                row.append(f"**DISAGREES** ({d.get('mismatches')} sources)"
                           if d.get("mismatches") else "no sources run")
            row.append(d.get("note", "").replace("|", "/"))
            print("| " + " | ".join(row) + " |")
        other = [d for d in kern if d["dataset"] == ds and d["kernel"] not in SEARCH_KERNELS]
        if other:
            print(f"\naccessim's other kernels on {ds} (nearest: the multi-source "
                  "search, serial, one thread whatever THREADS):\n")
            print("| kernel | threads | trials | median ms | min ms | settled | M settled/s/core |")
            print("|---|---|---|---|---|---|---|")
            for d in other:
                print(f"| {d['kernel']} | {d.get('threads', '')} | {d.get('trials', '')} | "
                      f"{ms(d.get('median_s'))} | {ms(d.get('min_s'))} | "
                      f"{num(d.get('settled'), 0)} | {rate(d.get('settled_per_s_per_core'))} |")
    if regions:
        print("\n### Whole pipeline (accessim run, benchmarks/run_regions.sh)\n")
        print("| size | threads | graph nodes | populated cells | facilities | runs | "
              "wall s median | wall s min | CPU s user + sys | load before→after | "
              "peak RSS MiB | per phase s (median run) |")
        print("|---|---|---|---|---|---|---|---|---|---|---|---|")
        for d in regions:
            if "exit" in d:
                print(f"| {d['size']} | {d['threads']} | failed (exit {d['exit']}: "
                      f"{d.get('error', '')}) | | | | {d.get('wall_s', '')} | | | | | |")
                continue
            ph = ", ".join(f"{k} {v:g}" for k, v in d.get("phases_s", {}).items())
            cpu = ("" if d.get("cpu_user_s") is None else
                   f"{d['cpu_user_s']:g} + {d.get('cpu_sys_s', 0):g}")
            loads = ", ".join(f"{b}→{a}" for b, a in
                              zip(d.get("load_before", []), d.get("load_after", [])))
            print(f"| {d['size']} | {d['threads']} | {num(d.get('nodes'), 0)} | "
                  f"{num(d.get('populated_cells'), 0)} | {num(d.get('facilities'), 0)} | "
                  f"{d.get('trials', 1)} | {d.get('wall_s')} | {d.get('wall_min_s', '')} | "
                  f"{cpu} | {loads} | {d.get('peak_rss_kb', 0) / 1024:,.0f} | {ph} |")


if __name__ == "__main__":
    main()
