#!/usr/bin/python3
"""pgRouting peer: pgr_drivingDistance (postgresql-15 and
postgresql-15-pgrouting, Debian) on a throwaway PostgreSQL cluster.

The script makes a cluster with initdb in a temporary folder, starts it
listening on a Unix socket in that folder only (listen_addresses = '', no
TCP), as an unprivileged user (`postgres` via runuser when run as root:
PostgreSQL refuses to run as root), loads graph.csv into a table with COPY,
runs the searches through psql, and stops the server and removes the folder
at the end, also on an error, Ctrl-C or SIGTERM.

pgr_drivingDistance(edges_sql, start_vids[], distance, directed => true)
returns the nodes whose aggregate cost is <= distance from each start
(pgRouting docs; checked against reached.csv). It builds its graph from
the edges query on every call, so the sources go in batches (one call per
batch; the batch grows while the budget allows), and the search time
includes that graph building; the time of one call with distance 0 (graph
building and nothing else) is reported as `call_overhead_s`. One backend:
one core. `peak_rss_kb` is the script's, not the server's.

    /usr/bin/python3 benchmarks/peers/peer_pgrouting.py DIR [--budget S]
        [--max-sources K] [--trials N]
"""
import glob
import os
import pwd
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

EDGES_SQL = "SELECT id, source, target, cost FROM edges"


def find_pg():
    """The bin folder of a PostgreSQL with pgRouting installed, newest first."""
    for bindir in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True,
                         key=lambda p: int(re.sub(r"\D", "", p.split("/")[-2]) or 0)):
        ver = bindir.split("/")[-2]
        if (os.path.exists(os.path.join(bindir, "initdb")) and
                os.path.exists(f"/usr/share/postgresql/{ver}/extension/pgrouting.control")):
            return bindir
    common.die("no PostgreSQL with pgRouting (apt-get install postgresql-15 "
               "postgresql-15-pgrouting, or sh scripts/install-bench-deps.sh)")


class Cluster:
    def __init__(self, bindir):
        self.bindir = bindir
        self.started = False
        self.tmp = tempfile.mkdtemp(prefix="accessim-pgr-")
        self.data = os.path.join(self.tmp, "data")
        self.port = 5432 + os.getpid() % 20000
        self.prefix = []
        if os.geteuid() == 0:
            try:
                pw = pwd.getpwnam("postgres")
            except KeyError:
                common.die("running as root and there is no user postgres to "
                           "run the server as (postgresql-15 creates it)")
            os.chown(self.tmp, pw.pw_uid, pw.pw_gid)
            self.prefix = ["runuser", "-u", "postgres", "--"]
        os.chmod(self.tmp, 0o700)

    def cmd(self, tool, *a, **kw):
        return subprocess.run(self.prefix + [os.path.join(self.bindir, tool), *a],
                              check=True, capture_output=True, text=True, **kw)

    def start(self):
        self.cmd("initdb", "-D", self.data, "-U", "bench", "-A", "trust",
                 "-E", "UTF8", "--locale=C", "--no-sync")
        opts = (f"-c listen_addresses='' -k {self.tmp} -p {self.port} "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                "-c shared_buffers=512MB -c work_mem=256MB "
                "-c max_parallel_workers_per_gather=0 -c jit=off")
        self.started = True
        self.cmd("pg_ctl", "-D", self.data, "-l", os.path.join(self.tmp, "log"),
                 "-o", opts, "-w", "-t", "60", "start")

    def psql(self, sql, stdin=None):
        """Runs sql with psql -At (on its stdin, or with -c when stdin is a
        file to copy from); returns its stdout."""
        argv = self.prefix + [os.path.join(self.bindir, "psql"), "-X", "-q", "-At",
                              "-h", self.tmp, "-p", str(self.port), "-U", "bench",
                              "-d", "postgres", "-v", "ON_ERROR_STOP=1"]
        if stdin is not None:
            r = subprocess.run(argv + ["-c", sql], stdin=stdin,
                               capture_output=True, text=True)
        else:
            r = subprocess.run(argv, input=sql, capture_output=True, text=True)
        if r.returncode != 0:
            err = r.stderr.strip().splitlines()
            common.die(f"psql: {err[0] if err else 'exit status %d' % r.returncode}")
        return r.stdout

    def stop(self):
        if self.started:
            r = subprocess.run(self.prefix + [os.path.join(self.bindir, "pg_ctl"),
                                              "-D", self.data, "-m", "immediate",
                                              "-w", "stop"], capture_output=True)
            pidfile = os.path.join(self.data, "postmaster.pid")
            if r.returncode != 0 and os.path.exists(pidfile):
                try:  # the server this script started, by its pid
                    with open(pidfile) as f:
                        os.kill(int(f.readline()), 9)
                except (OSError, ValueError):
                    pass
        shutil.rmtree(self.tmp, ignore_errors=True)


def timed(out):
    """Per statement, the rows before each `Time: X ms` line of psql's
    \\timing, and the total of those times."""
    groups, rows, ms = [], [], 0.0
    for line in out.splitlines():
        m = re.match(r"Time: ([0-9.]+) ms", line)
        if m:
            ms += float(m.group(1))
            groups.append(rows)
            rows = []
        elif line:
            rows.append(line.split("|"))
    return groups, ms / 1000.0


def distinct_runs(batch):
    """The batch cut into consecutive groups without a repeated node: a
    source that occurs twice (exports cycle their sources when a region has
    fewer facilities than K) is searched twice, as the other peers do."""
    groups, cur = [], []
    for s in batch:
        if s in cur:
            groups.append(cur)
            cur = []
        cur.append(int(s))
    if cur:
        groups.append(cur)
    return groups


def main():
    args = common.parse_args("pgrouting", "pgRouting pgr_drivingDistance.")
    common.on_signals()
    bindir = find_pg()
    ex = common.Export(args.dir)
    cl = Cluster(bindir)
    try:
        t0 = time.perf_counter()
        cl.start()
        server_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        cl.psql("CREATE EXTENSION pgrouting CASCADE; CREATE TABLE edges (id bigint "
                "GENERATED ALWAYS AS IDENTITY, source bigint NOT NULL, target "
                "bigint NOT NULL, cost float8 NOT NULL)")
        with open(os.path.join(args.dir, "graph.csv"), "rb") as f:
            cl.psql("\\copy edges(source, target, cost) FROM STDIN WITH (FORMAT csv, HEADER true)",
                    stdin=f)
        n = int(cl.psql("ANALYZE edges; SELECT count(*) FROM edges").strip())
        if n != ex.m:
            common.die(f"COPY loaded {n} arcs, graph.csv has {ex.m}")
        version = cl.psql("SELECT pgr_version()").strip()
        cols = cl.psql("SELECT string_agg(parameter_name, ',') FROM "
                       "information_schema.parameters p JOIN "
                       "information_schema.routines r USING (specific_name) "
                       "WHERE r.routine_name = 'pgr_drivingdistance' AND "
                       "p.parameter_mode = 'OUT'").strip().split(",")
        start_col = "from_v" if "from_v" in cols else "start_vid"
        setup_s = time.perf_counter() - t0

        def call(batch, dist):
            """One pgr_drivingDistance call per group of distinct sources;
            the reached counts in batch order and the time of the calls."""
            groups = distinct_runs(batch)
            sql = "\\timing on\n" + "".join(
                f"SELECT {start_col}, count(*) FROM pgr_drivingDistance("
                f"'{EDGES_SQL}', ARRAY[{','.join(map(str, g))}]::bigint[], "
                f"{dist}::float8, directed => true) GROUP BY 1;\n" for g in groups)
            results, secs = timed(cl.psql(sql))
            if len(results) != len(groups):
                common.die(f"psql: {len(results)} results for {len(groups)} calls")
            counts = []
            for g, rows in zip(groups, results):
                got = {int(a): int(b) for a, b in rows}
                counts += [got.get(s, 0) for s in g]
            calls[0] += len(groups)
            return counts, secs

        calls = [0]
        _, overhead = call(ex.sources[:1], 0)
        calls[0] = 0
        srcs = ex.sources if args.max_sources == 0 else ex.sources[:args.max_sources]
        counts, spent, batches, k = [], 0.0, [], 1
        while len(counts) < len(srcs) and spent < args.budget:
            batch = srcs[len(counts):len(counts) + k]
            c, secs = call(batch, ex.limit)
            counts += c
            spent += secs
            batches.append(len(batch))
            per = max(secs, 1e-6) / len(batch)  # graph building included
            fit = int((args.budget - spent) / per)
            if fit < 1:
                break
            k = min(4 * k, fit)
        times = [spent]
        for _ in range(args.trials - 1):
            t = 0.0
            i = 0
            for b in batches:
                t += call(srcs[i:i + b], ex.limit)[1]
                i += b
            times.append(t)
        ncalls = calls[0] // len(times)
        note = (f"{ncalls} pgr_drivingDistance calls (batches of "
                f"{'+'.join(map(str, batches))} sources, cut where a source repeats), "
                "each building its graph from the edges table: included in the "
                "search time")
        rest = times[0] - ncalls * overhead
        excl = round(sum(counts) / rest, 1) if rest > 0.25 * times[0] else None
        return common.report(args, ex, counts, times, setup_s, version, note,
                             {"server_start_s": round(server_s, 3),
                              "call_overhead_s": round(overhead, 3),
                              # an estimate: the rate with each call's graph
                              # building (the distance-0 call) taken out;
                              # null where that building is most of the time
                              "settled_per_s_excl_overhead": excl})
    finally:
        cl.stop()


if __name__ == "__main__":
    common.run(main)
