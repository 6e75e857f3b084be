/*
 * net_components: the strongly connected components of a road network
 * under the car profile, for choosing and documenting the scenario's
 * snap.components default (docs/networks.md). Not part of ctest.
 *
 *   net_components ROADS [LAYER]
 *
 * Prints nodes, arcs, the component count, the largest sizes, a size
 * histogram, the nodes on components under a few thresholds, and each of
 * the largest components' lon/lat extent (islands show as disjoint boxes).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "inputs/road_profile.h"
#include "inputs/roads.h"
#include "kernels/components.h"
#include "kernels/graph.h"

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: net_components ROADS [LAYER]\n");
        return 2;
    }
    am_error err = {0};
    am_road_options ro = {0};
    ro.path = argv[1];
    ro.layer = argc > 2 ? argv[2] : NULL;
    am_road_network *r = NULL;
    am_graph *g = NULL;
    am_components *c = NULL;
    ro.profile = NULL; /* car */
    if (am_roads_load(&ro, NULL, NULL, &r, &err) != AM_OK ||
        am_graph_build(r->n_nodes, r->n_arcs, r->tail, r->head, r->time_ds, &g,
                       &err) != AM_OK ||
        am_components_compute(g, &c, &err) != AM_OK) {
        fprintf(stderr, "net_components: %s\n", err.msg);
        return 1;
    }
    printf("%s: %d nodes, %lld arcs, %d components\n", argv[1], (int)g->n_nodes,
           (long long)g->n_arcs, (int)c->n_components);
    printf("largest:");
    for (int32_t k = 0; k < c->n_components && k < 10; k++)
        printf(" %d", (int)c->size[k]);
    printf("\n");
    const int32_t bins[] = {1, 2, 10, 100, 1000, 10000, INT32_MAX};
    for (int b = 0; b + 1 < 7; b++) {
        int32_t nc = 0;
        int64_t nn = 0;
        for (int32_t k = 0; k < c->n_components; k++)
            if (c->size[k] >= bins[b] && c->size[k] < bins[b + 1]) {
                nc++;
                nn += c->size[k];
            }
        printf("  size %d..%d: %d components, %lld nodes\n", (int)bins[b],
               (int)bins[b + 1] - 1, (int)nc, (long long)nn);
    }
    const int32_t th[] = {10, 50, 100, 200, 500, 1000};
    for (int t = 0; t < 6; t++) {
        int64_t nn = 0;
        for (int32_t k = 0; k < c->n_components; k++)
            nn += c->size[k] < th[t] ? c->size[k] : 0;
        printf("  nodes on components < %d: %lld (%.2f %%)\n", (int)th[t],
               (long long)nn, 100.0 * (double)nn / (double)g->n_nodes);
    }
    for (int32_t k = 0; k < c->n_components && k < 6; k++) {
        double b[4] = {INFINITY, INFINITY, -INFINITY, -INFINITY};
        for (int32_t v = 0; v < g->n_nodes; v++)
            if (c->comp[v] == k) {
                b[0] = fmin(b[0], r->lon[v]);
                b[1] = fmin(b[1], r->lat[v]);
                b[2] = fmax(b[2], r->lon[v]);
                b[3] = fmax(b[3], r->lat[v]);
            }
        printf("  component %d: %d nodes, lon %.4f..%.4f lat %.4f..%.4f\n",
               (int)k, (int)c->size[k], b[0], b[2], b[1], b[3]);
    }
    am_components_destroy(c);
    am_graph_destroy(g);
    am_road_network_destroy(r);
    return 0;
}
