/*
 * bench_measures.c: the "measures" phase alone (engine/results.c), step by
 * step, on a region's real catchments and demand.
 *
 *   build/benchmarks/bench_measures dump SCENARIO.yaml DUMP [THREADS]
 *   build/benchmarks/bench_measures run DUMP [--trials N] [--catchments]
 *                                   [--only-fca] [--only-catchments]
 *                                   [THREADS...]
 *
 * dump builds the scenario's model (roads to snap) and its first facility
 * set, computes the catchments to the deepest measure threshold as a run
 * does, and writes everything the measures read (reverse graph, demand
 * links and population, site links and capacities, cutoffs, threshold,
 * catchments) to DUMP, a raw native-endian file for this machine only.
 * run loads DUMP and times, per thread count (default 1 2), the median and
 * min over N trials (default 3), and the median process CPU time, of: the
 * multi-source nearest search (am_nearest_nodes), nearest per cell, coverage,
 * 2SFCA (am_fca_run) and the weighted summary; with --catchments also
 * am_catchments_compute; --only-fca times am_fca_run alone and
 * --only-catchments am_catchments_compute alone (the result's FNV-1a hash
 * on stderr: equal across versions and thread counts means byte-identical
 * catchments); --fca-measures times am_fca_pairs_build and
 * am_fca_measure_run per method and decay at the dump's threshold (2SFCA
 * with a step, with exponential beta 0.1 and with Luo & Qi's zones, 3SFCA,
 * M2SFCA, BFCA and spatial availability with exponential, BFCA with a step,
 * gravity, the 3rd nearest), each with the median and min wall time, the
 * median process CPU time and an FNV-1a hash of its outputs. It prints one JSON
 * line per thread count, with an FNV-1a hash of every output's bytes: equal
 * hashes across thread counts (and before / after a change) mean byte-identical
 * results. Not part of ctest.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/alloc.h"
#include "common/units.h"
#include "engine/internal.h"
#include "kernels/catchment.h"
#include "kernels/decay.h"
#include "kernels/demand.h"
#include "kernels/fca.h"
#include "kernels/measures.h"
#include "kernels/nearest.h"
#include "bench_util.h"

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 1099511628211ull;
    }
    return h;
}

static int wr(FILE *f, const void *p, size_t size, size_t n)
{
    return n == 0 || fwrite(p, size, n, f) == n ? 0 : -1;
}

static void *rd(FILE *f, size_t size, size_t n, int *bad)
{
    void *p = malloc(size * (n > 0 ? n : 1));
    if (p == NULL || (n > 0 && fread(p, size, n, f) != n))
        *bad = 1;
    return p;
}

typedef struct dump {
    am_graph g;
    int32_t n_sites;
    int32_t *site_node;
    uint32_t *site_off;
    double *capacity;
    int32_t n_cells;
    int32_t *link_node;
    uint32_t *link_off;
    double *pop;
    double *weight;
    uint8_t *keep;
    int32_t n_cut;
    uint32_t cut_ds[16];
    uint32_t thr_ds;
    am_catchments c;
} dump;

static int do_dump(const char *scen, const char *out, int threads)
{
    am_error err;
    memset(&err, 0, sizeof err);
    am_scenario *s = NULL;
    am_model *m = NULL;
    am_sites *f = NULL;
    am_catchments *c = NULL;
    if (am_scenario_read_file(scen, &s, &err) != AM_OK)
        goto fail;
    am_model_options o = am_model_options_default();
    o.threads = threads;
    if (am_model_create(s, &o, &m, &err) != AM_OK ||
        am_model_build(m, &err) != AM_OK ||
        am_sites_from_scenario(m, 0, &f, &err) != AM_OK)
        goto fail;
    uint32_t thr = 0;
    for (int k = 0; k < s->n_measures; k++) {
        uint32_t t = am_minutes_to_ds(s->measures[k].threshold_min);
        thr = t > thr ? t : thr;
    }
    double t0 = now_s();
    if (am_catchments_compute(m->graph_rev, f->fac->n, f->snap.node,
                              f->snap.offset_ds, thr, m->demand_nodes, 0,
                              threads, NULL, NULL, &c, &err) != AM_OK)
        goto fail;
    fprintf(stderr, "catchments %.3f s, %lld entries\n", now_s() - t0,
            (long long)am_catchments_nnz(c));
    FILE *fo = fopen(out, "wb");
    if (fo == NULL) {
        perror(out);
        return 1;
    }
    const am_graph *g = m->graph_rev;
    const am_demand *d = m->demand;
    const int32_t ns = f->fac->n, nc = d->n_cells;
    const int32_t ncut = s->n_cutoffs;
    uint32_t cut[16];
    for (int i = 0; i < ncut && i < 16; i++)
        cut[i] = am_minutes_to_ds(s->cutoffs_min[i]);
    const int64_t nnz = am_catchments_nnz(c);
    const int t16 = c->time16 != NULL;
    int bad = 0;
    bad |= wr(fo, &g->n_nodes, sizeof g->n_nodes, 1);
    bad |= wr(fo, &g->n_arcs, sizeof g->n_arcs, 1);
    bad |= wr(fo, g->first_out, sizeof(int64_t), (size_t)g->n_nodes + 1);
    bad |= wr(fo, g->head, sizeof(int32_t), (size_t)g->n_arcs);
    bad |= wr(fo, g->time_ds, sizeof(uint32_t), (size_t)g->n_arcs);
    bad |= wr(fo, &ns, sizeof ns, 1);
    bad |= wr(fo, f->snap.node, sizeof(int32_t), 2 * (size_t)ns);
    bad |= wr(fo, f->snap.offset_ds, sizeof(uint32_t), 2 * (size_t)ns);
    bad |= wr(fo, f->fac->capacity, sizeof(double), (size_t)ns);
    bad |= wr(fo, &nc, sizeof nc, 1);
    bad |= wr(fo, d->link_node, sizeof(int32_t), 2 * (size_t)nc);
    bad |= wr(fo, d->link_offset_ds, sizeof(uint32_t), 2 * (size_t)nc);
    bad |= wr(fo, d->pop, sizeof(double), (size_t)nc);
    bad |= wr(fo, m->pop->pop, sizeof(double), (size_t)nc);
    bad |= wr(fo, m->demand_nodes, 1, (size_t)g->n_nodes);
    bad |= wr(fo, &ncut, sizeof ncut, 1);
    bad |= wr(fo, cut, sizeof(uint32_t), 16);
    bad |= wr(fo, &thr, sizeof thr, 1);
    bad |= wr(fo, &c->n_rows, sizeof c->n_rows, 1);
    bad |= wr(fo, &c->n_cols, sizeof c->n_cols, 1);
    bad |= wr(fo, &c->limit_ds, sizeof c->limit_ds, 1);
    bad |= wr(fo, &nnz, sizeof nnz, 1);
    bad |= wr(fo, &t16, sizeof t16, 1);
    bad |= wr(fo, c->first, sizeof(int64_t), (size_t)c->n_rows + 1);
    bad |= wr(fo, c->col, sizeof(int32_t), (size_t)nnz);
    if (t16)
        bad |= wr(fo, c->time16, sizeof(uint16_t), (size_t)nnz);
    else
        bad |= wr(fo, c->time_ds, sizeof(uint32_t), (size_t)nnz);
    if (fclose(fo) != 0 || bad) {
        fprintf(stderr, "%s: write failed\n", out);
        return 1;
    }
    am_catchments_destroy(c);
    am_sites_destroy(f);
    am_model_destroy(m);
    am_scenario_destroy(s);
    return 0;
fail:
    fprintf(stderr, "error: %s\n", err.msg);
    return 1;
}

static int load(const char *path, dump *x)
{
    FILE *fi = fopen(path, "rb");
    if (fi == NULL) {
        perror(path);
        return 1;
    }
    int bad = 0;
    int64_t nnz = 0;
    int t16 = 0;
    memset(x, 0, sizeof *x);
    bad |= fread(&x->g.n_nodes, sizeof x->g.n_nodes, 1, fi) != 1;
    bad |= fread(&x->g.n_arcs, sizeof x->g.n_arcs, 1, fi) != 1;
    x->g.first_out = rd(fi, sizeof(int64_t), (size_t)x->g.n_nodes + 1, &bad);
    x->g.head = rd(fi, sizeof(int32_t), (size_t)x->g.n_arcs, &bad);
    x->g.time_ds = rd(fi, sizeof(uint32_t), (size_t)x->g.n_arcs, &bad);
    bad |= fread(&x->n_sites, sizeof x->n_sites, 1, fi) != 1;
    x->site_node = rd(fi, sizeof(int32_t), 2 * (size_t)x->n_sites, &bad);
    x->site_off = rd(fi, sizeof(uint32_t), 2 * (size_t)x->n_sites, &bad);
    x->capacity = rd(fi, sizeof(double), (size_t)x->n_sites, &bad);
    bad |= fread(&x->n_cells, sizeof x->n_cells, 1, fi) != 1;
    x->link_node = rd(fi, sizeof(int32_t), 2 * (size_t)x->n_cells, &bad);
    x->link_off = rd(fi, sizeof(uint32_t), 2 * (size_t)x->n_cells, &bad);
    x->pop = rd(fi, sizeof(double), (size_t)x->n_cells, &bad);
    x->weight = rd(fi, sizeof(double), (size_t)x->n_cells, &bad);
    x->keep = rd(fi, 1, (size_t)x->g.n_nodes, &bad);
    bad |= fread(&x->n_cut, sizeof x->n_cut, 1, fi) != 1;
    bad |= fread(x->cut_ds, sizeof(uint32_t), 16, fi) != 16;
    bad |= fread(&x->thr_ds, sizeof x->thr_ds, 1, fi) != 1;
    bad |= fread(&x->c.n_rows, sizeof x->c.n_rows, 1, fi) != 1;
    bad |= fread(&x->c.n_cols, sizeof x->c.n_cols, 1, fi) != 1;
    bad |= fread(&x->c.limit_ds, sizeof x->c.limit_ds, 1, fi) != 1;
    bad |= fread(&nnz, sizeof nnz, 1, fi) != 1;
    bad |= fread(&t16, sizeof t16, 1, fi) != 1;
    x->c.first = rd(fi, sizeof(int64_t), (size_t)x->c.n_rows + 1, &bad);
    x->c.col = rd(fi, sizeof(int32_t), (size_t)nnz, &bad);
    if (t16)
        x->c.time16 = rd(fi, sizeof(uint16_t), (size_t)nnz, &bad);
    else
        x->c.time_ds = rd(fi, sizeof(uint32_t), (size_t)nnz, &bad);
    fclose(fi);
    if (bad)
        fprintf(stderr, "%s: truncated or unreadable\n", path);
    return bad;
}

#define N_STEPS 6
static const char *step_name[N_STEPS] = {"nearest_nodes", "nearest_cells",
                                         "coverage",      "fca",
                                         "summary",       "catchments"};

static int only_fca = 0;
static int only_catch = 0;
static int fca_measures = 0;

static double median_of(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(double), cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* am_fca_pairs_build and am_fca_measure_run per method and decay. */
static int do_fca_measures(const dump *x, int trials, int threads)
{
    am_error err;
    memset(&err, 0, sizeof err);
    am_demand *d = NULL;
    if (am_demand_build(x->n_cells, x->g.n_nodes, x->link_node, x->link_off,
                        x->pop, &d, &err) != AM_OK) {
        fprintf(stderr, "error: %s\n", err.msg);
        return 1;
    }
    const uint32_t L = x->thr_ds;
    const int32_t nc = x->n_cells, ns = x->n_sites;
    double *w_step = malloc(((size_t)L + 1) * sizeof(double));
    double *w_exp = malloc(((size_t)L + 1) * sizeof(double));
    double *w_zones = malloc(((size_t)L + 1) * sizeof(double));
    double *val = malloc((size_t)nc * sizeof(double));
    uint8_t *flag = malloc((size_t)nc);
    double *dem = malloc((size_t)ns * sizeof(double));
    double *ratio = malloc((size_t)ns * sizeof(double));
    am_decay dc;
    memset(&dc, 0, sizeof dc);
    dc.type = AM_DECAY_STEP;
    dc.cutoff_min = L / 600.0;
    am_decay_table(&dc, L, w_step);
    memset(&dc, 0, sizeof dc);
    dc.type = AM_DECAY_EXPONENTIAL;
    dc.beta = 0.1;
    am_decay_table(&dc, L, w_exp);
    memset(&dc, 0, sizeof dc);
    dc.type = AM_DECAY_ZONES;
    dc.n_zones = 3;
    for (int k = 0; k < 3; k++)
        dc.zone_upper_min[k] = (k + 1) * (L / 600.0) / 3;
    dc.zone_weight[0] = 1.0;
    dc.zone_weight[1] = 0.68;
    dc.zone_weight[2] = 0.22;
    am_decay_table(&dc, L, w_zones);
    const struct {
        const char *name;
        am_fca_method method;
        const double *w;
    } runs[] = {
        {"2sfca_step", AM_FCA_2SFCA, w_step},
        {"2sfca_exp", AM_FCA_2SFCA, w_exp},
        {"e2sfca_zones", AM_FCA_2SFCA, w_zones},
        {"3sfca_exp", AM_FCA_3SFCA, w_exp},
        {"m2sfca_exp", AM_FCA_M2SFCA, w_exp},
        {"bfca_step", AM_FCA_BFCA, w_step},
        {"bfca_exp", AM_FCA_BFCA, w_exp},
        {"spav_exp", AM_FCA_SPAV, w_exp},
        {"gravity_exp", AM_FCA_GRAVITY, w_exp},
        {"nearest_3", AM_FCA_NTH_NEAREST, w_step},
    };
    const int n_runs = (int)(sizeof runs / sizeof runs[0]);
    double tp[64], tm[64], um[64];
    am_fca_pairs *p = NULL;
    int bad = 0;
    for (int k = 0; k < trials && !bad; k++) {
        am_fca_pairs_free(p);
        p = NULL;
        double a = now_s();
        bad |= am_fca_pairs_build(&x->c, d, L, threads, &p, &err) != AM_OK;
        tp[k] = now_s() - a;
    }
    printf("{\"threads\": %d, \"cells\": %d, \"facilities\": %d, "
           "\"limit_ds\": %u, \"pairs_build_s\": [%.4f",
           threads, nc, ns, L, bad ? -1.0 : median_of(tp, trials));
    printf(", %.4f]", tp[0]); /* sorted: the min */
    for (int r = 0; r < n_runs && !bad; r++) {
        am_fca_measure m;
        memset(&m, 0, sizeof m);
        m.method = runs[r].method;
        m.w = runs[r].w;
        m.limit_ds = L;
        m.alpha = 1.0;
        m.nth = 3;
        am_fca_out o;
        memset(&o, 0, sizeof o);
        o.cell_value = val;
        o.cell_flag = flag;
        o.fac_demand = dem;
        o.fac_ratio = ratio;
        for (int k = 0; k < trials && !bad; k++) {
            double a = now_s(), ua = cpu_s();
            bad |= am_fca_measure_run(&m, p, x->capacity, threads, &o, &err) !=
                   AM_OK;
            tm[k] = now_s() - a;
            um[k] = cpu_s() - ua;
        }
        uint64_t h = 1469598103934665603ull;
        h = fnv(h, val, (size_t)nc * sizeof *val);
        h = fnv(h, flag, (size_t)nc);
        h = fnv(h, dem, (size_t)ns * sizeof *dem);
        h = fnv(h, ratio, (size_t)ns * sizeof *ratio);
        const double md = median_of(tm, trials), mn = tm[0];
        const double mu = median_of(um, trials);
        printf(", \"%s_s\": [%.4f, %.4f, %.4f], \"%s_hash\": \"%016llx\"",
               runs[r].name, md, mn, mu, runs[r].name, (unsigned long long)h);
    }
    printf("}\n");
    fflush(stdout);
    if (bad)
        fprintf(stderr, "error: %s\n", err.msg);
    am_fca_pairs_free(p);
    free(w_step);
    free(w_exp);
    free(w_zones);
    free(val);
    free(flag);
    free(dem);
    free(ratio);
    am_demand_destroy(d);
    return bad;
}

static int do_run(const dump *x, int trials, int with_catch, int threads)
{
    am_error err;
    memset(&err, 0, sizeof err);
    am_demand *d = NULL;
    if (am_demand_build(x->n_cells, x->g.n_nodes, x->link_node, x->link_off,
                        x->pop, &d, &err) != AM_OK) {
        fprintf(stderr, "error: %s\n", err.msg);
        return 1;
    }
    const int32_t nn = x->g.n_nodes, nc = x->n_cells, ns = x->n_sites;
    uint32_t *node_ds = malloc((size_t)nn * sizeof *node_ds);
    int32_t *node_site = malloc((size_t)nn * sizeof *node_site);
    uint32_t *near_ds = malloc((size_t)nc * sizeof *near_ds);
    int32_t *near = malloc((size_t)nc * sizeof *near);
    double *within = calloc(16, sizeof *within);
    double *dem = malloc((size_t)ns * sizeof *dem);
    double *ratio = malloc((size_t)ns * sizeof *ratio);
    double *acc = malloc((size_t)nc * sizeof *acc);
    double mean = 0, med = 0;
    double t[N_STEPS][64], u[N_STEPS][64];
    const uint32_t limit = x->cut_ds[x->n_cut - 1];
    am_fca_params p = {AM_MEASURE_2SFCA, x->thr_ds};
    int bad = 0;
    if (trials > 64)
        trials = 64;
    for (int k = 0; k < trials && !bad; k++) {
        if (only_catch) {
            double a = now_s(), ua = cpu_s();
            am_catchments *cc = NULL;
            bad |= am_catchments_compute(&x->g, ns, x->site_node, x->site_off,
                                         x->thr_ds, x->keep, 0, threads, NULL,
                                         NULL, &cc, &err) != AM_OK;
            for (int q = 0; q < N_STEPS; q++)
                t[q][k] = u[q][k] = 0.0;
            t[5][k] = now_s() - a;
            u[5][k] = cpu_s() - ua;
            if (cc != NULL) {
                uint64_t hc = 1469598103934665603ull;
                const int64_t nz = am_catchments_nnz(cc);
                hc = fnv(hc, cc->first, ((size_t)cc->n_rows + 1) * 8);
                hc = fnv(hc, cc->col, (size_t)nz * sizeof *cc->col);
                if (cc->time16 != NULL)
                    hc = fnv(hc, cc->time16, (size_t)nz * 2);
                else
                    hc = fnv(hc, cc->time_ds, (size_t)nz * 4);
                fprintf(stderr, "catchments hash %016llx\n",
                        (unsigned long long)hc);
            }
            am_catchments_destroy(cc);
            continue;
        }
        if (only_fca) {
            double a = now_s(), ua = cpu_s();
            bad |= am_fca_run(&p, &x->c, d, x->capacity, threads, dem, ratio,
                              acc, &err) != AM_OK;
            for (int q = 0; q < N_STEPS; q++)
                t[q][k] = u[q][k] = 0.0;
            t[3][k] = now_s() - a;
            u[3][k] = cpu_s() - ua;
            continue;
        }
        double ua = cpu_s();
        double a = now_s();
        bad |= am_nearest_nodes(&x->g, ns, x->site_node, x->site_off, limit,
                                node_ds, node_site, &err) != AM_OK;
        double b = now_s(), ub = cpu_s();
        bad |= am_nearest_cells(d, node_ds, node_site, limit, threads, near_ds,
                                near, &err) != AM_OK;
        double c = now_s(), uc = cpu_s();
        bad |= am_coverage_run(d, near_ds, x->n_cut, x->cut_ds, within, &err) !=
               AM_OK;
        double e = now_s(), ue = cpu_s();
        bad |= am_fca_run(&p, &x->c, d, x->capacity, threads, dem, ratio, acc,
                          &err) != AM_OK;
        double f = now_s(), uf = cpu_s();
        bad |= am_weighted_summary(nc, acc, x->weight, threads, &mean, &med) !=
               AM_OK;
        double g = now_s(), ug = cpu_s();
        double h = g, uh = ug;
        if (with_catch) {
            am_catchments *cc = NULL;
            bad |= am_catchments_compute(&x->g, ns, x->site_node, x->site_off,
                                         x->thr_ds, x->keep, 0, threads, NULL,
                                         NULL, &cc, &err) != AM_OK;
            h = now_s();
            uh = cpu_s();
            am_catchments_destroy(cc);
        }
        t[0][k] = b - a;
        t[1][k] = c - b;
        t[2][k] = e - c;
        t[3][k] = f - e;
        t[4][k] = g - f;
        t[5][k] = h - g;
        u[0][k] = ub - ua;
        u[1][k] = uc - ub;
        u[2][k] = ue - uc;
        u[3][k] = uf - ue;
        u[4][k] = ug - uf;
        u[5][k] = uh - ug;
    }
    if (bad) {
        fprintf(stderr, "error: %s\n", err.msg);
        return 1;
    }
    uint64_t hn = 1469598103934665603ull, hf = hn;
    hn = fnv(hn, near_ds, (size_t)nc * sizeof *near_ds);
    hn = fnv(hn, near, (size_t)nc * sizeof *near);
    hn = fnv(hn, within, (size_t)x->n_cut * sizeof *within);
    hf = fnv(hf, dem, (size_t)ns * sizeof *dem);
    hf = fnv(hf, ratio, (size_t)ns * sizeof *ratio);
    hf = fnv(hf, acc, (size_t)nc * sizeof *acc);
    hf = fnv(hf, &mean, sizeof mean);
    hf = fnv(hf, &med, sizeof med);
    printf("{\"threads\": %d, \"facilities\": %d, \"cells\": %d, "
           "\"nodes\": %d, \"entries\": %lld, \"trials\": %d",
           threads, ns, nc, nn, (long long)am_catchments_nnz(&x->c), trials);
    double total = 0.0;
    for (int s = 0; s < N_STEPS; s++) {
        if (s == 5 && !with_catch)
            continue;
        qsort(t[s], (size_t)trials, sizeof(double), cmp_double);
        qsort(u[s], (size_t)trials, sizeof(double), cmp_double);
        double md = trials % 2
                        ? t[s][trials / 2]
                        : 0.5 * (t[s][trials / 2 - 1] + t[s][trials / 2]);
        double mu = trials % 2
                        ? u[s][trials / 2]
                        : 0.5 * (u[s][trials / 2 - 1] + u[s][trials / 2]);
        if (s < 5)
            total += md;
        printf(", \"%s_s\": [%.4f, %.4f, %.4f]", step_name[s], md, t[s][0], mu);
    }
    printf(", \"phase_median_sum_s\": %.4f, \"mean\": %.9g, \"median\": %.9g, "
           "\"hash_nearest\": \"%016llx\", \"hash_fca\": \"%016llx\"}\n",
           total, mean, med, (unsigned long long)hn, (unsigned long long)hf);
    fflush(stdout);
    free(node_ds);
    free(node_site);
    free(near_ds);
    free(near);
    free(within);
    free(dem);
    free(ratio);
    free(acc);
    am_demand_destroy(d);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 4 && strcmp(argv[1], "dump") == 0)
        return do_dump(argv[2], argv[3], argc > 4 ? atoi(argv[4]) : 0);
    if (argc >= 3 && strcmp(argv[1], "run") == 0) {
        dump x;
        if (load(argv[2], &x) != 0)
            return 1;
        int trials = 3, with_catch = 0, nth = 0, th[16];
        for (int i = 3; i < argc; i++) {
            if (strcmp(argv[i], "--trials") == 0 && i + 1 < argc)
                trials = atoi(argv[++i]);
            else if (strcmp(argv[i], "--only-catchments") == 0)
                only_catch = with_catch = 1;
            else if (strcmp(argv[i], "--only-fca") == 0)
                only_fca = 1;
            else if (strcmp(argv[i], "--fca-measures") == 0)
                fca_measures = 1;
            else if (strcmp(argv[i], "--catchments") == 0)
                with_catch = 1;
            else if (nth < 16)
                th[nth++] = atoi(argv[i]);
        }
        if (nth == 0) {
            th[0] = 1;
            th[1] = 2;
            nth = 2;
        }
        if (trials < 1)
            trials = 1;
        if (trials > 64)
            trials = 64;
        for (int i = 0; i < nth; i++)
            if ((fca_measures ? do_fca_measures(&x, trials, th[i])
                              : do_run(&x, trials, with_catch, th[i])) != 0)
                return 1;
        return 0;
    }
    fprintf(stderr,
            "usage: %s dump SCENARIO.yaml DUMP [THREADS]\n"
            "       %s run DUMP [--trials N] [--catchments] [--only-fca] "
            "[--only-catchments] [--fca-measures] [THREADS...]\n",
            argv[0], argv[0]);
    return 2;
}
