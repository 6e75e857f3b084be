/*
 * components.c: the scenario's snap.components policy (issue 7, strongly
 * connected components), between the graph's components
 * (kernels/components) and snapping.
 *
 * Why: a point snapped onto a small strongly connected component (a
 * fragment cut off by the extract's edge, a one-way stub, a road mapped
 * without its junction) reaches nothing beyond it, and its people would be
 * counted as having no access for a reason that has nothing to do with
 * health care. The policy chooses the components points may snap onto
 * (am_snap_allowed_mask); everything else only serves to report who was
 * moved and how far (am_model_fragment_moves, from the fragment check made
 * in the same pass as the snap: geo/snap.h, am_snap_fragments).
 *
 * The mask is over the roads' vertices (components are computed before
 * the chains are contracted, so sizes count road vertices); points snap
 * onto the segments whose chain's two ends are allowed (model.c).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/numparse.h"
#include "engine/internal.h"
#include "geo/snap.h"

int32_t am_snap_allowed_mask(const am_components *c, const am_scenario *s,
                             uint8_t *allowed, int32_t *n_components)
{
    int32_t n_comp = 0, n_nodes = 0;
    for (int32_t k = 0; k < c->n_components; k++) {
        int ok;
        switch (s->components_rule) {
        case AM_COMPONENTS_ALL:
            ok = 1;
            break;
        case AM_COMPONENTS_LARGEST:
            ok = k < s->components_n;
            break;
        default:
            ok = c->size[k] >= s->components_n;
            break;
        }
        if (k == 0) /* the largest is always allowed */
            ok = 1;
        if (!ok)
            break; /* sizes are non-increasing: no later one qualifies */
        n_comp++;
        n_nodes += c->size[k];
    }
    for (int32_t v = 0; v < c->n_nodes; v++)
        allowed[v] = c->comp[v] < n_comp;
    if (n_components != NULL)
        *n_components = n_comp;
    return n_nodes;
}

void am_snap_rule_describe(const am_scenario *s, char *buf, size_t size)
{
    switch (s->components_rule) {
    case AM_COMPONENTS_ALL:
        snprintf(buf, size, "all components");
        break;
    case AM_COMPONENTS_LARGEST:
        snprintf(buf, size, "the largest %d component%s", (int)s->components_n,
                 s->components_n == 1 ? "" : "s");
        break;
    default:
        snprintf(buf, size, "components of at least %d vertices",
                 (int)s->components_n);
        break;
    }
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

am_status am_model_fragment_moves(const am_model *m, int32_t n,
                                  const double *weight, const am_snapped *snap,
                                  am_fragment_moves *out, am_error *err)
{
    am_status rc = AM_OK;
    double *extra = NULL;
    memset(out, 0, sizeof *out);
    out->first = -1;
    out->extra_median_m = NAN;
    out->extra_max_m = NAN;
    if (m->frag_index == NULL || n == 0)
        return AM_OK;
    if (snap->frag_dist_m == NULL || snap->frag_node == NULL)
        return am_error_set(err, AM_ERR_INTERNAL, NULL,
                            "small road components: the points were snapped "
                            "without the fragment check");
    /* The snap pass marked the points whose nearest small component's road
     * is strictly nearer than their snap, or that are off the allowed
     * network with one in reach (geo/snap.h, am_snap_fragments). */
    int64_t n_extra = 0;
    for (int32_t i = 0; i < n; i++) {
        const double w = weight != NULL ? weight[i] : 1.0;
        if (snap->frag_node[i] < 0 || !(w > 0))
            continue;
        n_extra += snap->node[2 * i] >= 0;
    }
    extra = am_alloc_array((size_t)(n_extra > 0 ? n_extra : 1), sizeof *extra);
    if (extra == NULL) {
        rc = am_error_set(err, AM_ERR_NOMEM, NULL,
                          "out of memory checking %d points against small "
                          "road components",
                          (int)n);
        goto done;
    }
    n_extra = 0;
    for (int32_t i = 0; i < n; i++) {
        const double w = weight != NULL ? weight[i] : 1.0;
        /* a snapped point's first link is always present (snap.h) */
        const int on_allowed = snap->node[2 * i] >= 0;
        if (snap->frag_node[i] < 0 || !(w > 0))
            continue;
        if (out->first < 0) {
            out->first = i;
            const int32_t v = m->node_vertex[snap->frag_node[i]];
            out->first_size = m->components->size[m->components->comp[v]];
        }
        if (!on_allowed) {
            out->stranded++;
            out->stranded_weight += w;
            continue;
        }
        out->moved++;
        out->moved_weight += w;
        extra[n_extra++] = snap->dist_m[i] - snap->frag_dist_m[i];
    }
    if (n_extra > 0) {
        qsort(extra, (size_t)n_extra, sizeof *extra, cmp_double);
        out->extra_max_m = extra[n_extra - 1];
        out->extra_median_m =
            n_extra % 2 == 1
                ? extra[n_extra / 2]
                : 0.5 * (extra[n_extra / 2 - 1] + extra[n_extra / 2]);
    }
done:
    am_free(extra);
    return rc;
}

am_status am_fragment_error(const am_model *m, const am_fragment_moves *mv,
                            const char *what, const char *path,
                            const double *lon, const double *lat, am_error *err)
{
    char rule[96], a[AM_COUNT_BUF], b[AM_COUNT_BUF];
    am_snap_rule_describe(m->s, rule, sizeof rule);
    const int64_t pts = mv->moved + mv->stranded;
    const double w = mv->moved_weight + mv->stranded_weight;
    const int64_t i = mv->first;
    char people[96] = "";
    if (strcmp(what, "cells") == 0)
        snprintf(people, sizeof people, "%s people in ", am_format_count(w, a));
    return am_error_set(
        err, AM_ERR_INVALID, path,
        "snap.components is 'error': %s%s %s are nearest to a small road "
        "component that the rule (%s) does not allow (the first at lon "
        "%.6f, lat %.6f, on a component of %d vertices); with on_small: move "
        "(the default) they snap onto the nearest allowed component "
        "instead, or fix the roads in %s",
        people, am_format_count((double)pts, b), what, rule, lon[i], lat[i],
        (int)mv->first_size, m->roads_path);
}
