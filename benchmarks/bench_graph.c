/*
 * bench_graph.c: the graph phase's kernels alone (issue 8), on a
 * scenario's road network, against the serial code they replaced.
 *
 *   build/benchmarks/bench_graph SCENARIO.yaml [--trials N] [THREADS...]
 *
 * Reads the roads (from the prepared graph when there is one), then times,
 * per trial and interleaved: the serial contraction and segment table as
 * they were before they ran in parallel (tests/kernels/contract_ref.c,
 * tests/geo/segments_ref.c), and for each thread count (default 1 2) the
 * CSR build of all arcs (am_graph_build_threads), the contraction
 * (am_graph_contract_threads, the engine's cap on lengths), the reverse
 * graph (am_graph_reverse_threads), the segment table
 * (am_segments_from_chains_threads), the strongly connected components of
 * all arcs by the parallel method (am_components_compute_fb, against the
 * serial DFS am_components_compute), the Hilbert order of the vertices'
 * lon/lat (am_order_hilbert, against its own 1-thread result) and the
 * graph renumbered by it (am_graph_permute). One JSON line per step and thread
 * count: median and min wall seconds, median process CPU seconds, and
 * whether the result's bytes equal the serial reference's. Not in ctest.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/units.h"
#include "engine/internal.h"
#include "geo/segments.h"
#include "kernels/components.h"
#include "kernels/contract.h"
#include "kernels/graph.h"
#include "kernels/order.h"
#include "bench_util.h"
#include "contract_ref.h"
#include "segments_ref.h"

#define MAX_TRIALS 32
#define MAX_T 8

typedef struct stat_ {
    double wall[MAX_TRIALS], cpu[MAX_TRIALS];
    int n, same;
} stat_;

static void put(stat_ *s, double w, double c, int same)
{
    if (s->n == 0)
        s->same = 1;
    s->wall[s->n] = w;
    s->cpu[s->n] = c;
    s->n++;
    s->same &= same;
}

static void report(const char *step, int threads, stat_ *s)
{
    if (s->n == 0)
        return;
    double mn = s->wall[0];
    for (int i = 1; i < s->n; i++)
        mn = s->wall[i] < mn ? s->wall[i] : mn;
    const double mw = median_sort(s->wall, s->n);
    const double mc = median_sort(s->cpu, s->n);
    printf("{\"step\": \"%s\", \"threads\": %d, \"trials\": %d, "
           "\"median_s\": %.4f, \"min_s\": %.4f, \"cpu_median_s\": %.4f, "
           "\"same_as_serial\": %s}\n",
           step, threads, s->n, mw, mn, mc, s->same ? "true" : "false");
}

static int same_contraction(const am_contraction *a, const am_contraction *b)
{
    const size_t n = (size_t)a->g->n_nodes, m = (size_t)a->g->n_arcs;
    const size_t m0 = (size_t)a->n_old_arcs;
    return a->g->n_nodes == b->g->n_nodes && a->g->n_arcs == b->g->n_arcs &&
           !memcmp(a->g->first_out, b->g->first_out, (n + 1) * 8) &&
           !memcmp(a->g->head, b->g->head, m * 4) &&
           !memcmp(a->g->time_ds, b->g->time_ds, m * 4) &&
           !memcmp(a->old_id, b->old_id, n * 4) &&
           !memcmp(a->in_node, b->in_node, m0 * 4) &&
           !memcmp(a->in_ds, b->in_ds, m0 * 4) &&
           !memcmp(a->out_node, b->out_node, m0 * 4) &&
           !memcmp(a->out_ds, b->out_ds, m0 * 4) && a->n_cuts == b->n_cuts &&
           a->n_rings == b->n_rings;
}

int main(int argc, char **argv)
{
    const char *path = NULL;
    int trials = 3, nth = 0, th[MAX_T];
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--trials") == 0 && i + 1 < argc)
            trials = atoi(argv[++i]);
        else if (path == NULL)
            path = argv[i];
        else if (nth < MAX_T)
            th[nth++] = atoi(argv[i]);
    }
    if (path == NULL || trials < 1 || trials > MAX_TRIALS) {
        fprintf(stderr, "usage: bench_graph SCENARIO.yaml [--trials N] "
                        "[THREADS...]\n");
        return 2;
    }
    if (nth == 0) {
        th[0] = 1;
        th[1] = 2;
        nth = 2;
    }
    am_error err;
    am_error_clear(&err);
    am_scenario *s = NULL;
    am_model *m = NULL;
    am_model_options o = am_model_options_default();
    if (am_scenario_read_file(path, &s, &err) != AM_OK ||
        am_model_create(s, &o, &m, &err) != AM_OK ||
        am_model_build_to(m, AM_STAGE_ROADS, &err) != AM_OK) {
        char buf[2048];
        fprintf(stderr, "bench_graph: %s\n",
                am_error_format(&err, buf, sizeof buf));
        return 1;
    }
    const am_road_network *r = m->roads;
    const int64_t na = r->n_arcs;
    uint32_t *len = malloc((size_t)na * sizeof *len);
    for (int64_t a = 0; a < na; a++) {
        const double l = ceil((double)r->len_m[a]);
        len[a] = l >= 0.0 && l < 4e9 ? (uint32_t)l : 4000000000u;
    }
    stat_ st[7][MAX_T + 1];
    memset(st, 0, sizeof st);
    am_contraction *ref = NULL;
    am_components *cref = NULL;
    am_graph *gall = NULL;
    am_graph_build_threads(r->n_nodes, na, r->tail, r->head, r->time_ds, 0,
                           &gall, NULL);
    int32_t *ord_ref = malloc(((size_t)r->n_nodes + 1) * sizeof *ord_ref);
    int32_t *ord = malloc(((size_t)r->n_nodes + 1) * sizeof *ord);
    am_segment *sref = NULL;
    int32_t n_sref = 0;
    for (int k = 0; k < trials; k++) {
        /* the serial references */
        am_contraction_destroy(ref);
        double w0 = now_s(), c0 = cpu_s();
        ref_graph_contract(r->n_nodes, na, r->tail, r->head, r->time_ds, NULL,
                           len, AM_CHAIN_MAX_M, &ref, NULL);
        put(&st[1][MAX_T], now_s() - w0, cpu_s() - c0, 1);
        const am_segment_chains ch = {ref->g->n_nodes, ref->in_node,
                                      ref->in_ds,      ref->out_node,
                                      ref->out_ds,     r->arc_flags};
        am_free(sref);
        w0 = now_s();
        c0 = cpu_s();
        ref_segments_from_chains(r->n_nodes, na, r->tail, r->head, r->time_ds,
                                 &ch, NULL, &sref, &n_sref, NULL);
        put(&st[3][MAX_T], now_s() - w0, cpu_s() - c0, 1);
        am_components_destroy(cref);
        w0 = now_s();
        c0 = cpu_s();
        am_components_compute(gall, &cref, NULL);
        put(&st[4][MAX_T], now_s() - w0, cpu_s() - c0, 1);
        w0 = now_s();
        c0 = cpu_s();
        am_order_hilbert(r->n_nodes, r->lon, r->lat, 1, ord_ref, NULL);
        put(&st[5][MAX_T], now_s() - w0, cpu_s() - c0, 1);
        for (int i = 0; i < nth; i++) {
            am_graph *g = NULL, *rev = NULL;
            am_contraction *c = NULL;
            am_segment *sg = NULL;
            int32_t n_sg = 0;
            w0 = now_s();
            c0 = cpu_s();
            am_graph_build_threads(r->n_nodes, na, r->tail, r->head, r->time_ds,
                                   th[i], &g, NULL);
            put(&st[0][i], now_s() - w0, cpu_s() - c0, g != NULL);
            w0 = now_s();
            c0 = cpu_s();
            am_graph_contract_threads(r->n_nodes, na, r->tail, r->head,
                                      r->time_ds, NULL, len, AM_CHAIN_MAX_M,
                                      th[i], &c, NULL);
            put(&st[1][i], now_s() - w0, cpu_s() - c0,
                c != NULL && same_contraction(ref, c));
            w0 = now_s();
            c0 = cpu_s();
            am_graph_reverse_threads(c->g, th[i], &rev, NULL);
            put(&st[2][i], now_s() - w0, cpu_s() - c0, rev != NULL);
            w0 = now_s();
            c0 = cpu_s();
            am_segments_from_chains_threads(r->n_nodes, na, r->tail, r->head,
                                            r->time_ds, &ch, NULL, th[i], &sg,
                                            &n_sg, NULL);
            put(&st[3][i], now_s() - w0, cpu_s() - c0,
                n_sg == n_sref && !memcmp(sg, sref, (size_t)n_sg * sizeof *sg));
            am_components *cc = NULL;
            w0 = now_s();
            c0 = cpu_s();
            am_components_compute_fb(gall, th[i], &cc, NULL);
            put(&st[4][i], now_s() - w0, cpu_s() - c0,
                cc != NULL && cc->n_components == cref->n_components &&
                    !memcmp(cc->comp, cref->comp,
                            (size_t)r->n_nodes * sizeof *cc->comp));
            am_components_destroy(cc);
            w0 = now_s();
            c0 = cpu_s();
            am_order_hilbert(r->n_nodes, r->lon, r->lat, th[i], ord, NULL);
            put(&st[5][i], now_s() - w0, cpu_s() - c0,
                !memcmp(ord, ord_ref, (size_t)r->n_nodes * sizeof *ord));
            am_graph *pg = NULL;
            w0 = now_s();
            c0 = cpu_s();
            am_graph_permute(gall, ord, th[i], NULL, &pg, NULL);
            put(&st[6][i], now_s() - w0, cpu_s() - c0, pg != NULL);
            am_graph_destroy(pg);
            am_free(sg);
            am_graph_destroy(g);
            am_graph_destroy(rev);
            am_contraction_destroy(c);
        }
    }
    static const char *names[7] = {
        "csr_build",     "contract",      "reverse", "segments",
        "components_fb", "hilbert_order", "permute"};
    static const char *refs[7] = {NULL,
                                  "contract_serial_ref",
                                  NULL,
                                  "segments_serial_ref",
                                  "components_tarjan",
                                  "hilbert_order_1t",
                                  NULL};
    for (int j = 0; j < 7; j++) {
        if (refs[j] != NULL)
            report(refs[j], 1, &st[j][MAX_T]);
        for (int i = 0; i < nth; i++)
            report(names[j], th[i], &st[j][i]);
    }
    am_contraction_destroy(ref);
    am_components_destroy(cref);
    am_graph_destroy(gall);
    free(ord_ref);
    free(ord);
    am_free(sref);
    free(len);
    am_model_destroy(m);
    am_scenario_destroy(s);
    return 0;
}
