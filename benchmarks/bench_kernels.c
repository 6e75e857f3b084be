/*
 * bench_kernels.c: the search kernels alone, on a graph the engine built.
 *
 *   accessim-bench-kernels export SCENARIO.yaml DIR [--sources K]
 *                          [--limit-min M]
 *   accessim-bench-kernels run DIR [--threads T] [--trials N]
 *                          [--commit HASH] [--reorder none|bfs|both]
 *                          [--only search|nearest]
 *
 * export builds the scenario's model through the engine (am_model_build:
 * roads, contraction, snapping) and writes the contract files that the
 * peers' scripts read too (do not change their format):
 *   DIR/graph.csv    "tail,head,time_ds": every arc of the REVERSE
 *                    contracted graph the catchment searches run on, node
 *                    ids 0..n-1, in CSR order;
 *   DIR/sources.csv  "node": K source nodes (default 1000): the first link
 *                    node of each facility of set 0, in facility order,
 *                    facilities off the network skipped, cycled when fewer
 *                    than K;
 *   DIR/meta.json    {"dataset", "n_nodes", "n_arcs", "limit_ds",
 *                    "sources"} (default limit 30 min = 18000 ds);
 *   DIR/reached.csv  "source,reached": for each line of sources.csv
 *                    (0-based) the number of nodes with time <= limit_ds
 *                    from that node alone (start time 0).
 *
 * run reads them back, builds the am_graph and times, N trials each
 * (median and min): the K single-source bounded searches on one thread and
 * on T threads in parallel over sources (every reached count checked
 * against reached.csv: exit 1 on a mismatch), and the multi-source nearest
 * search seeded at all K sources. With --reorder bfs (or both) the same
 * searches also run on the graph with its nodes renumbered in
 * breadth-first order (a cheap spatial order) to show what node order does
 * to speed. One JSON line per measurement (dataset, kernel, threads,
 * trials, median_s, min_s, settled, settled_per_s_per_core, n_nodes,
 * n_arcs, commit) and then a table. The commit is --commit, else
 * $ACCESSIM_COMMIT, else the one CMake saw at configure time, else
 * "unknown". Not part of ctest. Built with -DAM_BENCH_RUN_ONLY it has only
 * the run mode and needs only the kernels (for a machine without GDAL).
 */
#include <errno.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "common/alloc.h"
#include "common/units.h"
#ifndef AM_BENCH_RUN_ONLY
#include "engine/internal.h"
#else
#define AM_PATH_MAX 4096
#endif
#include "kernels/graph.h"
#include "kernels/nearest.h"
#include "kernels/search.h"
#include "bench_util.h"

#ifndef AM_BENCH_COMMIT
#define AM_BENCH_COMMIT "unknown"
#endif

/* The median of v[0..n) without reordering v. */
static double median_of(const double *v, int n)
{
    double *w = malloc((size_t)n * sizeof *w);
    if (w == NULL)
        return v[0];
    memcpy(w, v, (size_t)n * sizeof *w);
    double m = median_sort(w, n);
    free(w);
    return m;
}

static double min_of(const double *v, int n)
{
    double m = v[0];
    for (int i = 1; i < n; i++)
        if (v[i] < m)
            m = v[i];
    return m;
}

static void usage(void)
{
    fprintf(stderr, "usage: accessim-bench-kernels export SCENARIO.yaml DIR "
                    "[--sources K] [--limit-min M]\n"
                    "       accessim-bench-kernels run DIR [--threads T] "
                    "[--trials N] [--commit HASH] [--reorder none|bfs|both] "
                    "[--only search|nearest]\n");
}

static int parse_int(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
        return 0;
    *out = v;
    return 1;
}

static void path_join(char *buf, size_t n, const char *dir, const char *name)
{
    snprintf(buf, n, "%s/%s", dir, name);
}

/* ---- export -------------------------------------------------------------- */

#ifndef AM_BENCH_RUN_ONLY

/* Counts of nodes reached within limit from each source, in parallel. */
static int count_reached(const am_graph *g, int32_t k, const int32_t *src,
                         uint32_t limit, int32_t *reached)
{
    int failed = 0;
#pragma omp parallel default(none) shared(g, k, src, limit, reached)           \
    reduction(|                                                                \
              : failed)
    {
        am_search *s = NULL;
        if (am_search_create(g->n_nodes, &s) != AM_OK)
            failed = 1;
#pragma omp for schedule(dynamic, 4)
        for (int32_t i = 0; i < k; i++) {
            if (s == NULL)
                continue;
            const uint32_t zero = 0;
            reached[i] = am_search_run(s, g, 1, &src[i], &zero, limit);
        }
        am_search_destroy(s);
    }
    return !failed;
}

static int write_export(const char *dir, const char *dataset, const am_graph *g,
                        int32_t k, const int32_t *src, uint32_t limit,
                        const int32_t *reached)
{
    char path[AM_PATH_MAX + 32];
    FILE *f;

    path_join(path, sizeof path, dir, "graph.csv");
    if ((f = fopen(path, "w")) == NULL)
        goto io;
    fprintf(f, "tail,head,time_ds\n");
    for (int32_t u = 0; u < g->n_nodes; u++)
        for (int64_t a = g->first_out[u]; a < g->first_out[u + 1]; a++)
            fprintf(f, "%ld,%ld,%lu\n", (long)u, (long)g->head[a],
                    (unsigned long)g->time_ds[a]);
    if (fclose(f) != 0)
        goto io;

    path_join(path, sizeof path, dir, "sources.csv");
    if ((f = fopen(path, "w")) == NULL)
        goto io;
    fprintf(f, "node\n");
    for (int32_t i = 0; i < k; i++)
        fprintf(f, "%ld\n", (long)src[i]);
    if (fclose(f) != 0)
        goto io;

    path_join(path, sizeof path, dir, "reached.csv");
    if ((f = fopen(path, "w")) == NULL)
        goto io;
    fprintf(f, "source,reached\n");
    for (int32_t i = 0; i < k; i++)
        fprintf(f, "%ld,%ld\n", (long)i, (long)reached[i]);
    if (fclose(f) != 0)
        goto io;

    path_join(path, sizeof path, dir, "meta.json");
    if ((f = fopen(path, "w")) == NULL)
        goto io;
    fprintf(f,
            "{\"dataset\": \"%s\", \"n_nodes\": %ld, \"n_arcs\": %lld, "
            "\"limit_ds\": %lu, \"sources\": %ld}\n",
            dataset, (long)g->n_nodes, (long long)g->n_arcs,
            (unsigned long)limit, (long)k);
    if (fclose(f) != 0)
        goto io;
    return 1;
io:
    fprintf(stderr, "accessim-bench-kernels: cannot write %s: %s\n", path,
            strerror(errno));
    return 0;
}

static int cmd_export(int argc, char **argv)
{
    if (argc < 4) {
        usage();
        return 2;
    }
    const char *yaml = argv[2], *dir = argv[3];
    long k = 1000, limit_min = 30;
    for (int i = 4; i < argc; i++) {
        if (strcmp(argv[i], "--sources") == 0 && i + 1 < argc &&
            parse_int(argv[i + 1], 1, 100000000, &k))
            i++;
        else if (strcmp(argv[i], "--limit-min") == 0 && i + 1 < argc &&
                 parse_int(argv[i + 1], 0, 100000, &limit_min))
            i++;
        else {
            usage();
            return 2;
        }
    }
    const uint32_t limit = am_minutes_to_ds((double)limit_min);
    am_error err;
    am_error_clear(&err);
    am_scenario *sc = NULL;
    am_model *m = NULL;
    am_sites *f = NULL;
    int32_t *src = NULL, *reached = NULL;
    int rc = 1;
    char msg[1024];

    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "accessim-bench-kernels: cannot create %s: %s\n", dir,
                strerror(errno));
        return 1;
    }
    am_model_options mo = am_model_options_default();
    double t0 = now_s();
    if (am_scenario_read_file(yaml, &sc, &err) != AM_OK ||
        am_model_create(sc, &mo, &m, &err) != AM_OK ||
        am_model_build(m, &err) != AM_OK ||
        am_sites_from_scenario(m, 0, &f, &err) != AM_OK) {
        fprintf(stderr, "accessim-bench-kernels: error: %s\n",
                am_error_format(&err, msg, sizeof msg));
        goto done;
    }
    const am_graph *g = m->graph_rev;
    const int32_t n_fac = am_sites_count(f);
    const int32_t *link = am_sites_link_nodes(f);
    int32_t n_on = 0;
    for (int32_t j = 0; j < n_fac; j++)
        n_on += link[AM_LINKS * j] >= 0;
    if (n_on == 0) {
        fprintf(stderr, "accessim-bench-kernels: no facility of set 0 is on "
                        "the network\n");
        goto done;
    }
    src = malloc((size_t)k * sizeof *src);
    reached = malloc((size_t)k * sizeof *reached);
    if (src == NULL || reached == NULL)
        goto nomem;
    for (int32_t i = 0, j = 0; i < (int32_t)k; j = (j + 1) % n_fac)
        if (link[AM_LINKS * j] >= 0)
            src[i++] = link[AM_LINKS * j];
    if (!count_reached(g, (int32_t)k, src, limit, reached))
        goto nomem;
    if (!write_export(dir, sc->name != NULL ? sc->name : "unnamed", g,
                      (int32_t)k, src, limit, reached))
        goto done;
    fprintf(stderr,
            "accessim-bench-kernels: wrote %s: %ld nodes, %lld arcs, %ld "
            "sources, limit %lu ds (%.1f s)\n",
            dir, (long)g->n_nodes, (long long)g->n_arcs, k,
            (unsigned long)limit, now_s() - t0);
    rc = 0;
    goto done;
nomem:
    fprintf(stderr, "accessim-bench-kernels: out of memory\n");
done:
    free(src);
    free(reached);
    am_sites_destroy(f);
    am_model_destroy(m);
    am_scenario_destroy(sc);
    return rc;
}

#endif /* AM_BENCH_RUN_ONLY */

/* ---- run ----------------------------------------------------------------- */

typedef struct bench_data {
    char dataset[256];
    uint32_t limit;
    int32_t n_nodes;
    int64_t n_arcs;
    am_graph *g;
    int32_t k;
    int32_t *src;     /* [k] */
    int32_t *reached; /* [k] expected */
} bench_data;

/* Reads "a,b[,c]" integer lines after a header; returns lines or -1. */
static int64_t read_csv(const char *path, int cols, int64_t max_lines,
                        int64_t *out)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "accessim-bench-kernels: cannot read %s: %s\n", path,
                strerror(errno));
        return -1;
    }
    char line[256];
    int64_t n = 0;
    if (fgets(line, sizeof line, f) == NULL)
        goto bad;
    while (fgets(line, sizeof line, f) != NULL) {
        if (n >= max_lines)
            goto bad;
        char *p = line, *end;
        for (int c = 0; c < cols; c++) {
            errno = 0;
            out[n * cols + c] = strtoll(p, &end, 10);
            if (end == p || errno != 0)
                goto bad;
            p = end + (c + 1 < cols ? 1 : 0);
        }
        n++;
    }
    fclose(f);
    return n;
bad:
    fprintf(stderr, "accessim-bench-kernels: %s: bad line %lld\n", path,
            (long long)n + 2);
    fclose(f);
    return -1;
}

/* Pulls `"key": value` out of meta.json (flat, as export writes it). */
static int json_field(const char *text, const char *key, char *out, size_t n)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = strstr(text, pat);
    if (p == NULL)
        return 0;
    p += strlen(pat);
    while (*p == ' ')
        p++;
    size_t i = 0;
    if (*p == '"') {
        p++;
        while (*p != '\0' && *p != '"' && i + 1 < n)
            out[i++] = *p++;
    } else {
        while (*p != '\0' && *p != ',' && *p != '}' && i + 1 < n)
            out[i++] = *p++;
    }
    out[i] = '\0';
    return 1;
}

static int load_dir(const char *dir, bench_data *d)
{
    char path[AM_PATH_MAX + 32], text[4096], v[256];
    memset(d, 0, sizeof *d);
    path_join(path, sizeof path, dir, "meta.json");
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "accessim-bench-kernels: cannot read %s\n", path);
        return 0;
    }
    size_t len = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[len] = '\0';
    long nn, lim, k;
    if (!json_field(text, "dataset", d->dataset, sizeof d->dataset) ||
        !json_field(text, "n_nodes", v, sizeof v) ||
        !parse_int(v, 0, INT32_MAX, &nn) ||
        !json_field(text, "limit_ds", v, sizeof v) ||
        !parse_int(v, 0, AM_TIME_INF, &lim) ||
        !json_field(text, "sources", v, sizeof v) ||
        !parse_int(v, 1, INT32_MAX, &k) ||
        !json_field(text, "n_arcs", v, sizeof v)) {
        fprintf(stderr, "accessim-bench-kernels: %s: missing field\n", path);
        return 0;
    }
    d->n_arcs = strtoll(v, NULL, 10);
    d->n_nodes = (int32_t)nn;
    d->limit = (uint32_t)lim;
    d->k = (int32_t)k;

    int64_t *buf =
        malloc((size_t)(d->n_arcs > k ? d->n_arcs : k) * 3 * sizeof *buf);
    int32_t *tail = malloc((size_t)d->n_arcs * sizeof *tail);
    int32_t *head = malloc((size_t)d->n_arcs * sizeof *head);
    uint32_t *tds = malloc((size_t)d->n_arcs * sizeof *tds);
    d->src = malloc((size_t)k * sizeof *d->src);
    d->reached = malloc((size_t)k * sizeof *d->reached);
    int ok = 0;
    if (buf == NULL || tail == NULL || head == NULL || tds == NULL ||
        d->src == NULL || d->reached == NULL)
        goto done;
    path_join(path, sizeof path, dir, "graph.csv");
    if (read_csv(path, 3, d->n_arcs, buf) != d->n_arcs)
        goto done;
    for (int64_t a = 0; a < d->n_arcs; a++) {
        tail[a] = (int32_t)buf[3 * a];
        head[a] = (int32_t)buf[3 * a + 1];
        tds[a] = (uint32_t)buf[3 * a + 2];
    }
    am_error err;
    am_error_clear(&err);
    /* packed as the engine's search graph is (am_graph_reverse) */
    if (am_graph_build(d->n_nodes, d->n_arcs, tail, head, tds, &d->g, &err) !=
            AM_OK ||
        am_graph_pack(d->g, 0, &err) != AM_OK) {
        fprintf(stderr, "accessim-bench-kernels: %s: %s\n", path, err.msg);
        goto done;
    }
    path_join(path, sizeof path, dir, "sources.csv");
    if (read_csv(path, 1, k, buf) != k)
        goto done;
    for (int32_t i = 0; i < d->k; i++) {
        if (buf[i] < 0 || buf[i] >= d->n_nodes)
            goto done;
        d->src[i] = (int32_t)buf[i];
    }
    path_join(path, sizeof path, dir, "reached.csv");
    if (read_csv(path, 2, k, buf) != k)
        goto done;
    for (int32_t i = 0; i < d->k; i++)
        d->reached[i] = (int32_t)buf[2 * i + 1];
    ok = 1;
done:
    free(buf);
    free(tail);
    free(head);
    free(tds);
    return ok;
}

/* The graph with node v renamed perm[v] (arcs keep their order per node). */
static am_graph *renumber(const am_graph *g, const int32_t *perm)
{
    const int64_t m = g->n_arcs;
    int32_t *tail = malloc((size_t)m * sizeof *tail);
    int32_t *head = malloc((size_t)m * sizeof *head);
    uint32_t *tds = malloc((size_t)m * sizeof *tds);
    int32_t *inv = malloc((size_t)g->n_nodes * sizeof *inv);
    am_graph *r = NULL;
    if (tail != NULL && head != NULL && tds != NULL && inv != NULL) {
        for (int32_t v = 0; v < g->n_nodes; v++)
            inv[perm[v]] = v;
        int64_t e = 0;
        for (int32_t nv = 0; nv < g->n_nodes; nv++) {
            const int32_t u = inv[nv];
            for (int64_t a = g->first_out[u]; a < g->first_out[u + 1]; a++) {
                tail[e] = nv;
                head[e] = perm[g->head[a]];
                tds[e] = g->time_ds[a];
                e++;
            }
        }
        if (am_graph_build(g->n_nodes, m, tail, head, tds, &r, NULL) != AM_OK ||
            am_graph_pack(r, 0, NULL) != AM_OK) {
            am_graph_destroy(r);
            r = NULL;
        }
    }
    free(tail);
    free(head);
    free(tds);
    free(inv);
    return r;
}

/* perm[v]: v's position in a breadth-first order over the arcs taken both
 * ways (g and its reverse), restarted at the lowest unvisited node. */
static int32_t *bfs_order(const am_graph *g)
{
    const int32_t n = g->n_nodes;
    am_graph *rev = NULL;
    int32_t *perm = malloc((size_t)n * sizeof *perm);
    int32_t *queue = malloc((size_t)n * sizeof *queue);
    if (perm == NULL || queue == NULL ||
        am_graph_reverse(g, &rev, NULL) != AM_OK) {
        free(perm);
        free(queue);
        return NULL;
    }
    for (int32_t v = 0; v < n; v++)
        perm[v] = -1;
    int32_t next = 0;
    for (int32_t r = 0; r < n; r++) {
        if (perm[r] >= 0)
            continue;
        int32_t qh = 0, qt = 0;
        queue[qt++] = r;
        perm[r] = next++;
        while (qh < qt) {
            const int32_t u = queue[qh++];
            for (int dir = 0; dir < 2; dir++) {
                const am_graph *h = dir == 0 ? g : rev;
                for (int64_t a = h->first_out[u]; a < h->first_out[u + 1];
                     a++) {
                    const int32_t v = h->head[a];
                    if (perm[v] < 0) {
                        perm[v] = next++;
                        queue[qt++] = v;
                    }
                }
            }
        }
    }
    free(queue);
    am_graph_destroy(rev);
    return perm;
}

typedef struct measurement {
    char kernel[32];
    int threads, trials;
    double median_s, min_s;
    double cpu_median_s; /* process CPU time, all threads */
    int64_t settled;
} measurement;

/* K single-source searches over T threads; settled total; -1: mismatch or
 * out of memory. */
static int64_t run_searches(const am_graph *g, const bench_data *d,
                            const int32_t *src, int nt, double *wall,
                            double *cpu)
{
    int64_t settled = 0;
    int32_t bad = -1;
    double t0 = 0;
    am_search **ws = calloc((size_t)nt, sizeof *ws);
    if (ws == NULL)
        return -1;
    for (int t = 0; t < nt; t++)
        if (am_search_create(g->n_nodes, &ws[t]) != AM_OK)
            goto done;
    const int32_t k = d->k;
    const uint32_t limit = d->limit;
    t0 = now_s();
    const double c0 = cpu_s();
#pragma omp parallel for schedule(dynamic, 8) num_threads(nt) default(none)   \
    shared(g, d, src, ws, k, limit) reduction(+ : settled) reduction(max : bad)
    for (int32_t i = 0; i < k; i++) {
        const uint32_t zero = 0;
        const int32_t n = am_search_run(ws[omp_get_thread_num()], g, 1, &src[i],
                                        &zero, limit);
        settled += n;
        if (n != d->reached[i] && i > bad)
            bad = i;
    }
    *wall = now_s() - t0;
    *cpu = cpu_s() - c0;
    if (bad >= 0) {
        const uint32_t zero = 0;
        fprintf(stderr,
                "accessim-bench-kernels: source %ld (node %ld): reached %ld "
                "nodes, reached.csv says %ld\n",
                (long)bad, (long)src[bad],
                (long)am_search_run(ws[0], g, 1, &src[bad], &zero, limit),
                (long)d->reached[bad]);
        settled = -1;
    }
done:
    for (int t = 0; t < nt; t++)
        am_search_destroy(ws[t]);
    free(ws);
    return settled;
}

static int bench_searches(const am_graph *g, const bench_data *d,
                          const int32_t *src, int nt, int trials,
                          const char *kernel, measurement *out)
{
    double *w = malloc((size_t)trials * 2 * sizeof *w);
    if (w == NULL)
        return 0;
    double *c = w + trials;
    int64_t settled = 0;
    double warm, warm_cpu;
    if (run_searches(g, d, src, nt, &warm, &warm_cpu) < 0) { /* checked */
        free(w);
        return 0;
    }
    for (int t = 0; t < trials; t++) {
        settled = run_searches(g, d, src, nt, &w[t], &c[t]);
        if (settled < 0) {
            free(w);
            return 0;
        }
    }
    out->cpu_median_s = median_of(c, trials);
    snprintf(out->kernel, sizeof out->kernel, "%s", kernel);
    out->threads = nt;
    out->trials = trials;
    out->median_s = median_of(w, trials);
    out->min_s = min_of(w, trials);
    out->settled = settled;
    free(w);
    return 1;
}

static int bench_nearest(const am_graph *g, const bench_data *d,
                         const int32_t *src, int trials, const char *kernel,
                         measurement *out)
{
    const int32_t n = g->n_nodes;
    int32_t *links = malloc((size_t)d->k * 2 * sizeof *links);
    uint32_t *tds = malloc((size_t)n * sizeof *tds);
    int32_t *lab = malloc((size_t)n * sizeof *lab);
    double *w = malloc((size_t)(trials + 1) * 2 * sizeof *w);
    int ok = 0;
    if (links == NULL || tds == NULL || lab == NULL || w == NULL)
        goto done;
    for (int32_t j = 0; j < d->k; j++) {
        links[2 * j] = src[j];
        links[2 * j + 1] = -1;
    }
    int64_t settled = 0;
    for (int t = 0; t <= trials; t++) {
        am_error err;
        am_error_clear(&err);
        const double t0 = now_s(), c0 = cpu_s();
        if (am_nearest_nodes(g, d->k, links, NULL, d->limit, tds, lab, &err) !=
            AM_OK)
            goto done;
        w[t] = now_s() - t0;
        w[trials + 1 + t] = cpu_s() - c0;
    }
    out->cpu_median_s = median_of(w + trials + 2, trials);
    for (int32_t v = 0; v < n; v++)
        settled += tds[v] != AM_TIME_INF;
    snprintf(out->kernel, sizeof out->kernel, "%s", kernel);
    out->threads = 1;
    out->trials = trials;
    out->median_s = median_of(w + 1, trials);
    out->min_s = min_of(w + 1, trials);
    out->settled = settled;
    ok = 1;
done:
    free(links);
    free(tds);
    free(lab);
    free(w);
    return ok;
}

static void print_json(const bench_data *d, const measurement *m,
                       const char *commit)
{
    printf("{\"dataset\": \"%s\", \"kernel\": \"%s\", \"threads\": %d, "
           "\"trials\": %d, \"median_s\": %.6f, \"min_s\": %.6f, "
           "\"settled\": %lld, \"settled_per_s_per_core\": %.0f, "
           "\"n_nodes\": %ld, \"n_arcs\": %lld, \"limit_ds\": %lu, "
           "\"sources\": %ld, \"cpu_median_s\": %.6f, \"commit\": "
           "\"%s\"}\n",
           d->dataset, m->kernel, m->threads, m->trials, m->median_s, m->min_s,
           (long long)m->settled,
           (double)m->settled / (m->median_s * m->threads), (long)d->n_nodes,
           (long long)d->n_arcs, (unsigned long)d->limit, (long)d->k,
           m->cpu_median_s, commit);
    fflush(stdout);
}

static int cmd_run(int argc, char **argv)
{
    if (argc < 3) {
        usage();
        return 2;
    }
    const char *dir = argv[2];
    long nt = 2, trials = 5;
    const char *commit = getenv("ACCESSIM_COMMIT");
    const char *reorder = "none";
    const char *only = "all";
    if (commit == NULL || commit[0] == '\0')
        commit = AM_BENCH_COMMIT;
    for (int i = 3; i < argc; i++) {
        if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc &&
            parse_int(argv[i + 1], 1, 4096, &nt))
            i++;
        else if (strcmp(argv[i], "--trials") == 0 && i + 1 < argc &&
                 parse_int(argv[i + 1], 1, 1000, &trials))
            i++;
        else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc &&
                 (strcmp(argv[i + 1], "search") == 0 ||
                  strcmp(argv[i + 1], "nearest") == 0))
            only = argv[++i];
        else if (strcmp(argv[i], "--commit") == 0 && i + 1 < argc)
            commit = argv[++i];
        else if (strcmp(argv[i], "--reorder") == 0 && i + 1 < argc &&
                 (strcmp(argv[i + 1], "none") == 0 ||
                  strcmp(argv[i + 1], "bfs") == 0 ||
                  strcmp(argv[i + 1], "both") == 0))
            reorder = argv[++i];
        else {
            usage();
            return 2;
        }
    }
    bench_data d;
    if (!load_dir(dir, &d))
        return 1;
    measurement ms[8];
    int nm = 0, rc = 1;
    am_graph *gb = NULL;
    int32_t *perm = NULL, *src_b = NULL;
    const int plain = strcmp(reorder, "bfs") != 0;
    const int bfs = strcmp(reorder, "none") != 0;
    const int do_search = strcmp(only, "nearest") != 0;
    const int do_nearest = strcmp(only, "search") != 0;
    if (plain && do_search) {
        if (!bench_searches(d.g, &d, d.src, 1, (int)trials, "search", &ms[nm]))
            goto done;
        print_json(&d, &ms[nm++], commit);
        if (nt > 1) {
            if (!bench_searches(d.g, &d, d.src, (int)nt, (int)trials, "search",
                                &ms[nm]))
                goto done;
            print_json(&d, &ms[nm++], commit);
        }
    }
    if (plain && do_nearest) {
        if (!bench_nearest(d.g, &d, d.src, (int)trials, "nearest", &ms[nm]))
            goto done;
        print_json(&d, &ms[nm++], commit);
    }
    if (bfs) {
        perm = bfs_order(d.g);
        src_b = malloc((size_t)d.k * sizeof *src_b);
        if (perm == NULL || src_b == NULL || (gb = renumber(d.g, perm)) == NULL)
            goto done;
        for (int32_t i = 0; i < d.k; i++)
            src_b[i] = perm[d.src[i]];
        if (do_search) {
            if (!bench_searches(gb, &d, src_b, 1, (int)trials, "search_bfs",
                                &ms[nm]))
                goto done;
            print_json(&d, &ms[nm++], commit);
        }
        if (do_search && nt > 1) {
            if (!bench_searches(gb, &d, src_b, (int)nt, (int)trials,
                                "search_bfs", &ms[nm]))
                goto done;
            print_json(&d, &ms[nm++], commit);
        }
        if (do_nearest) {
            if (!bench_nearest(gb, &d, src_b, (int)trials, "nearest_bfs",
                               &ms[nm]))
                goto done;
            print_json(&d, &ms[nm++], commit);
        }
    }
    printf("\n%s: %ld nodes, %lld arcs, %ld sources, limit %lu ds, commit "
           "%s\n",
           d.dataset, (long)d.n_nodes, (long long)d.n_arcs, (long)d.k,
           (unsigned long)d.limit, commit);
    printf("| kernel | threads | median s | min s | settled | M settled/s/core "
           "| speed-up |\n|---|---|---|---|---|---|---|\n");
    for (int i = 0; i < nm; i++) {
        double base = ms[i].median_s;
        for (int j = 0; j < nm; j++)
            if (strcmp(ms[j].kernel, ms[i].kernel) == 0 && ms[j].threads == 1)
                base = ms[j].median_s;
        printf("| %s | %d | %.4f | %.4f | %lld | %.1f | %.2fx |\n",
               ms[i].kernel, ms[i].threads, ms[i].median_s, ms[i].min_s,
               (long long)ms[i].settled,
               (double)ms[i].settled / (ms[i].median_s * ms[i].threads * 1e6),
               base / ms[i].median_s);
    }
    rc = 0;
done:
    if (rc != 0)
        fprintf(stderr, "accessim-bench-kernels: run failed\n");
    am_graph_destroy(gb);
    free(perm);
    free(src_b);
    am_graph_destroy(d.g);
    free(d.src);
    free(d.reached);
    return rc;
}

int main(int argc, char **argv)
{
#ifndef AM_BENCH_RUN_ONLY
    if (argc >= 2 && strcmp(argv[1], "export") == 0)
        return cmd_export(argc, argv);
#endif
    if (argc >= 2 && strcmp(argv[1], "run") == 0)
        return cmd_run(argc, argv);
    usage();
    return 2;
}
