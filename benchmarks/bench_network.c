/*
 * bench_network.c: what contraction does to real road networks.
 *
 *   build/benchmarks/bench_network [--limit-min M] [--sources K]
 *                                  [--max-chain-s S | --max-chain-m M]
 *                                  SOURCE...
 *
 * SOURCE is a road file (OSM PBF/XML, GeoPackage, ...) optionally followed
 * by ":LAYER". For each it loads the roads with the car profile
 * (inputs/roads.h), builds the graph, contracts it (kernels/contract.h) and
 * runs K bounded searches (limit M minutes, default 30) from the same
 * pseudo-random junctions on both graphs, checking that every junction's
 * time is the same on both. Prints one JSON line per source: nodes and arcs
 * before and after, the share of nodes removed, self-loops and parallel
 * chains dropped, bytes per node and per arc of the arrays a search
 * touches, the contraction's wall time and the searches' median time on
 * each graph. Not part of ctest.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/alloc.h"
#include "common/units.h"
#include "inputs/roads.h"
#include "kernels/contract.h"
#include "kernels/graph.h"
#include "kernels/search.h"
#include "bench_util.h"

/* Times K searches on both graphs; returns mismatching junction times. */
static long compare_searches(const am_graph *g0, const am_contraction *c, int k,
                             uint32_t limit, double *med0, double *med1)
{
    am_search *s0 = NULL, *s1 = NULL;
    double *t0 = am_alloc_array((size_t)k, sizeof *t0);
    double *t1 = am_alloc_array((size_t)k, sizeof *t1);
    long bad = 0;
    if (am_search_create(g0->n_nodes, &s0) != AM_OK ||
        am_search_create(c->g->n_nodes, &s1) != AM_OK || t0 == NULL ||
        t1 == NULL || c->g->n_nodes == 0) {
        bad = -1;
        goto done;
    }
    uint64_t seed = 12345;
    for (int i = 0; i < k; i++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        const int32_t j = (int32_t)((seed >> 33) % (uint64_t)c->g->n_nodes);
        const int32_t v = c->old_id[j];
        const uint32_t zero = 0;
        double a = now_s();
        am_search_run(s0, g0, 1, &v, &zero, limit);
        double b = now_s();
        const int32_t n1 = am_search_run(s1, c->g, 1, &j, &zero, limit);
        double e = now_s();
        t0[i] = b - a;
        t1[i] = e - b;
        const int32_t *nodes;
        const uint32_t *times;
        am_search_result(s1, &nodes, &times);
        for (int32_t x = 0; x < n1; x++)
            if (am_search_time(s0, c->old_id[nodes[x]]) != times[x])
                bad++;
    }
    *med0 = median_sort(t0, k);
    *med1 = median_sort(t1, k);
done:
    am_search_destroy(s0);
    am_search_destroy(s1);
    am_free(t0);
    am_free(t1);
    return bad;
}

static double max_chain_s = 0.0, max_chain_m = 0.0;

static int one_source(const char *arg, double limit_min, int k)
{
    char path[4096];
    snprintf(path, sizeof path, "%s", arg);
    char *colon = strrchr(path, ':');
    const char *layer = NULL;
    if (colon != NULL && strchr(colon, '/') == NULL) {
        *colon = '\0';
        layer = colon + 1;
    }
    am_error err;
    am_error_clear(&err);
    am_road_options ro;
    memset(&ro, 0, sizeof ro);
    ro.path = path;
    ro.layer = layer;
    ro.profile = NULL; /* car */
    am_road_network *r = NULL;
    am_graph *g = NULL;
    am_contraction *c = NULL;
    int rc = 1;
    double t_load = now_s();
    if (am_roads_load(&ro, NULL, NULL, &r, &err) != AM_OK ||
        am_graph_build(r->n_nodes, r->n_arcs, r->tail, r->head, r->time_ds, &g,
                       &err) != AM_OK)
        goto fail;
    t_load = now_s() - t_load;
    double t_c = now_s();
    uint32_t *len = NULL;
    if (max_chain_m > 0.0) { /* a cap on lengths, in whole metres */
        len = am_alloc_array((size_t)r->n_arcs, sizeof *len);
        if (len == NULL)
            goto fail;
        for (int64_t a = 0; a < r->n_arcs; a++)
            len[a] = (uint32_t)ceil((double)r->len_m[a]);
    }
    rc = am_graph_contract(r->n_nodes, r->n_arcs, r->tail, r->head, r->time_ds,
                           NULL, len,
                           len != NULL ? (uint32_t)max_chain_m
                                       : (uint32_t)(max_chain_s * 10.0),
                           &c, &err) != AM_OK;
    am_free(len);
    if (rc)
        goto fail;
    t_c = now_s() - t_c;
    double m0 = 0, m1 = 0;
    const long bad =
        compare_searches(g, c, k, (uint32_t)(limit_min * 600.0), &m0, &m1);
    /* A search touches first_out (8 B/node), head and time (4 + 4 B/arc)
     * and its own workspace (distance 4 B/node, heap position 4 B/node). */
    const double bpn = 8.0 + 8.0, bpa = 8.0;
    printf("{\"source\":\"%s\",\"layer\":\"%s\",\"nodes\":%ld,\"arcs\":%lld,"
           "\"nodes_contracted\":%ld,\"arcs_contracted\":%lld,"
           "\"nodes_removed_pct\":%.1f,\"arcs_removed_pct\":%.1f,"
           "\"self_loops\":%lld,\"parallel\":%lld,\"rings\":%lld,"
           "\"bytes_per_node\":%.0f,\"bytes_per_arc\":%.0f,"
           "\"search_bytes_before\":%.0f,\"search_bytes_after\":%.0f,"
           "\"load_graph_s\":%.3f,\"contract_s\":%.4f,"
           "\"search_median_s_before\":%.6f,\"search_median_s_after\":%.6f,"
           "\"max_chain_s\":%g,\"max_chain_m\":%g,\"cuts\":%lld,\"searches\":%"
           "d,\"limit_min\":%g,"
           "\"mismatches\":%ld}\n",
           path, layer != NULL ? layer : "", (long)r->n_nodes,
           (long long)r->n_arcs, (long)c->g->n_nodes, (long long)c->g->n_arcs,
           100.0 * (1.0 - (double)c->g->n_nodes / (double)r->n_nodes),
           100.0 * (1.0 - (double)c->g->n_arcs / (double)r->n_arcs),
           (long long)c->n_self_loops, (long long)c->n_parallel,
           (long long)c->n_rings, bpn, bpa,
           bpn * r->n_nodes + bpa * (double)r->n_arcs,
           bpn * c->g->n_nodes + bpa * (double)c->g->n_arcs, t_load, t_c, m0,
           m1, max_chain_s, max_chain_m, (long long)c->n_cuts, k, limit_min,
           bad);
    rc = bad == 0 ? 0 : 1;
    goto done;
fail:
    fprintf(stderr, "bench_network: %s: %s\n", arg, err.msg);
done:
    am_contraction_destroy(c);
    am_graph_destroy(g);
    am_road_network_destroy(r);
    return rc;
}

int main(int argc, char **argv)
{
    double limit_min = 30.0;
    int k = 50, rc = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--limit-min") == 0 && i + 1 < argc)
            limit_min = atof(argv[++i]);
        else if (strcmp(argv[i], "--max-chain-m") == 0 && i + 1 < argc)
            max_chain_m = atof(argv[++i]);
        else if (strcmp(argv[i], "--max-chain-s") == 0 && i + 1 < argc)
            max_chain_s = atof(argv[++i]);
        else if (strcmp(argv[i], "--sources") == 0 && i + 1 < argc)
            k = atoi(argv[++i]);
        else
            rc |= one_source(argv[i], limit_min, k > 0 ? k : 1);
    }
    return rc;
}
