/*
 * referral.c: referral times between facility tiers (see engine/
 * referral.h and kernels/referral.h for the method).
 *
 * For every set L with a tier and every set H of a higher tier: for each
 * facility i of L, the time up to the nearest facility of H (i left
 * through its origin links: it is snapped again here with the role
 * people have) and the time back from that facility to i (reached
 * through i's destination links, as the people who travel to it). Both
 * are searched to AM_REFERRAL_MAX_MIN (24 h); beyond: unreachable. Ties
 * go to the lowest row of H. Facilities snapped to the same position (the
 * same foot on the same road, kernels/referral.h) are compared first and
 * joined on foot: the geodesic distance between them at the walking speed
 * (0 min for the same point), both ways.
 *
 * Cost: per higher set, one multi-source search on the reverse graph
 * (O(n_nodes) labels, freed before the next set), and one bounded forward
 * search per facility of H that some lower facility chose.
 */
#include "engine/referral.h"

#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/units.h"
#include "geo/geodesic.h"
#include "geo/snap.h"
#include "kernels/nearest.h"
#include "kernels/referral.h"

/* The back search's first depth: 2 x the longest way up + 30 min
 * (kernels/referral.h); deeper only when needed. */
#define AM_REFERRAL_SLACK_DS 18000u

void am_tiers_out_free(am_tiers_out *o)
{
    for (int p = 0; o->pairs != NULL && p < o->n_pairs; p++) {
        am_free(o->pairs[p].to);
        am_free(o->pairs[p].up_ds);
        am_free(o->pairs[p].back_ds);
    }
    am_free(o->pairs);
    am_free(o->combined_value);
    am_free(o->combined_pop);
    am_free(o->combined_cells);
    memset(o, 0, sizeof *o);
}

static am_status nomem(am_error *err)
{
    return am_error_set(err, AM_ERR_NOMEM, NULL,
                        "out of memory for the referral times");
}

/* The pairs, by lower set then higher set, with their arrays. */
static am_status make_pairs(const am_model *m, am_sites *const *sites,
                            am_tiers_out *o, am_error *err)
{
    const am_scenario *s = m->s;
    int n = 0;
    for (int pass = 0; pass < 2; pass++) {
        int p = 0;
        for (int L = 0; L < s->n_facility_sets; L++) {
            const int tl = s->facility_sets[L].tier;
            for (int H = 0; tl > 0 && H < s->n_facility_sets; H++) {
                if (s->facility_sets[H].tier <= tl)
                    continue;
                if (pass == 1) {
                    am_referral_pair *q = &o->pairs[p];
                    const size_t nf = (size_t)sites[L]->fac->n;
                    q->lower = L;
                    q->higher = H;
                    q->n = sites[L]->fac->n;
                    q->to = am_alloc_array(nf > 0 ? nf : 1, sizeof *q->to);
                    q->up_ds =
                        am_alloc_array(nf > 0 ? nf : 1, sizeof *q->up_ds);
                    q->back_ds =
                        am_alloc_array(nf > 0 ? nf : 1, sizeof *q->back_ds);
                    if (!q->to || !q->up_ds || !q->back_ds)
                        return nomem(err);
                }
                p++;
            }
        }
        if (pass == 0) {
            n = p;
            if (n == 0)
                return AM_OK;
            o->pairs = am_calloc_array((size_t)n, sizeof *o->pairs);
            if (o->pairs == NULL)
                return nomem(err);
            o->n_pairs = n;
        }
    }
    return AM_OK;
}

/* Where each facility of a set meets the road (kernels/referral.h): its
 * destination links less the walking leg. place caller-allocated [n]. */
static void places_of(const am_sites *st, double walk_kmh,
                      am_referral_place *place)
{
    for (int32_t i = 0; i < st->fac->n; i++) {
        const uint32_t walk = am_snap_walk_ds(st->snap.dist_m[i], walk_kmh);
        for (int k = 0; k < 2; k++) {
            const int32_t v = st->snap.node[2 * (int64_t)i + k];
            const uint32_t off = st->snap.offset_ds[2 * (int64_t)i + k];
            place[i].node[k] = v;
            /* off = walk + drive (geo/snap.h), so off >= walk */
            place[i].drive_ds[k] = v < 0 || walk == AM_TIME_INF ? AM_TIME_INF
                                   : off >= walk                ? off - walk
                                                                : 0;
        }
    }
}

/* The walk between lower facility i and higher facility j. */
typedef struct walk_ctx {
    const am_facility_set *lo, *hi;
    double walk_kmh;
} walk_ctx;

static uint32_t walk_between(int32_t i, int32_t j, void *user)
{
    const walk_ctx *c = user;
    const double d = am_geodesic_distance_m(c->lo->lon[i], c->lo->lat[i],
                                            c->hi->lon[j], c->hi->lat[j]);
    return am_snap_walk_ds(d, c->walk_kmh);
}

/* The pairs of higher set H: up times from the labels, then back times
 * for all their lower facilities at once (each facility of H searched
 * once). osnap: the origin links of every set ([n_sets], node NULL where
 * the set has no tier). */
static am_status pairs_of_higher(const am_model *m, am_sites *const *sites,
                                 const am_snapped *osnap,
                                 am_referral_place *const *place, int H,
                                 int threads, const uint32_t *node_ds,
                                 const int32_t *node_src, am_tiers_out *o,
                                 am_error *err)
{
    const uint32_t limit = am_minutes_to_ds(AM_REFERRAL_MAX_MIN);
    const am_sites *hi = sites[H];
    int64_t total = 0;
    for (int p = 0; p < o->n_pairs; p++) {
        const am_referral_pair *q = &o->pairs[p];
        if (q->higher == H)
            total += q->n;
    }
    if (total == 0)
        return AM_OK;
    if (total > INT32_MAX / 2)
        return nomem(err);
    /* the lower facilities of every pair of H, concatenated */
    const size_t nt = (size_t)total;
    int32_t *to = am_alloc_array(nt, sizeof *to);
    uint32_t *up = am_alloc_array(nt, sizeof *up);
    int32_t *node = am_alloc_array(2 * nt, sizeof *node);
    uint32_t *off = am_alloc_array(2 * nt, sizeof *off);
    uint32_t *back = am_alloc_array(nt, sizeof *back);
    uint32_t *direct = am_alloc_array(nt, sizeof *direct);
    am_status rc = AM_OK;
    if (to == NULL || up == NULL || node == NULL || off == NULL ||
        back == NULL || direct == NULL) {
        rc = nomem(err);
        goto done;
    }
    size_t at = 0;
    for (int p = 0; rc == AM_OK && p < o->n_pairs; p++) {
        am_referral_pair *q = &o->pairs[p];
        if (q->higher != H)
            continue;
        const am_snapped *lo = &osnap[q->lower];
        am_referral_up(q->n, lo->node, lo->offset_ds, node_ds, node_src, limit,
                       q->up_ds, q->to);
        walk_ctx c = {sites[q->lower]->fac, hi->fac, m->s->walk_speed_kmh};
        rc = am_referral_same_place(q->n, place[q->lower], hi->fac->n, place[H],
                                    walk_between, &c, limit, q->up_ds, q->to,
                                    direct + at, err);
        at += (size_t)q->n;
    }
    if (rc != AM_OK)
        goto done;
    at = 0;
    for (int p = 0; p < o->n_pairs; p++) {
        const am_referral_pair *q = &o->pairs[p];
        if (q->higher != H)
            continue;
        const am_snapped *dst = &sites[q->lower]->snap; /* destination */
        memcpy(to + at, q->to, (size_t)q->n * sizeof *to);
        memcpy(up + at, q->up_ds, (size_t)q->n * sizeof *up);
        memcpy(node + 2 * at, dst->node, 2 * (size_t)q->n * sizeof *node);
        memcpy(off + 2 * at, dst->offset_ds, 2 * (size_t)q->n * sizeof *off);
        at += (size_t)q->n;
    }
    rc = am_referral_back(m->graph, hi->fac->n, osnap[H].node,
                          osnap[H].offset_ds, (int32_t)total, to, up, node, off,
                          limit, AM_REFERRAL_SLACK_DS, threads, back, err);
    at = 0;
    for (int p = 0; rc == AM_OK && p < o->n_pairs; p++) {
        am_referral_pair *q = &o->pairs[p];
        if (q->higher != H)
            continue;
        for (int32_t i = 0; i < q->n; i++) /* on foot, the same both ways */
            q->back_ds[i] = back[at + (size_t)i] < direct[at + (size_t)i]
                                ? back[at + (size_t)i]
                                : direct[at + (size_t)i];
        at += (size_t)q->n;
    }
done:
    am_free(direct);
    am_free(to);
    am_free(up);
    am_free(node);
    am_free(off);
    am_free(back);
    return rc;
}

am_status am_referrals_compute(const am_model *m, am_sites *const *sites,
                               int threads, am_tiers_out *o, am_error *err)
{
    const am_scenario *s = m->s;
    const int ns = s->n_facility_sets;
    am_status rc = make_pairs(m, sites, o, err);
    if (rc != AM_OK || o->n_pairs == 0)
        return rc;
    const uint32_t limit = am_minutes_to_ds(AM_REFERRAL_MAX_MIN);
    const int32_t n_nodes = m->graph_rev->n_nodes;
    am_snapped *osnap = am_calloc_array((size_t)ns, sizeof *osnap);
    am_referral_place **place = am_calloc_array((size_t)ns, sizeof *place);
    uint32_t *node_ds = am_alloc_array((size_t)n_nodes, sizeof *node_ds);
    int32_t *node_src = am_alloc_array((size_t)n_nodes, sizeof *node_src);
    if (osnap == NULL || place == NULL || node_ds == NULL || node_src == NULL) {
        rc = nomem(err);
        goto done;
    }
    /* the tiered sets' origin links: the facility as a starting point */
    for (int k = 0; rc == AM_OK && k < ns; k++) {
        if (s->facility_sets[k].tier <= 0)
            continue;
        const am_facility_set *fac = sites[k]->fac;
        int32_t n_on = 0;
        rc = am_model_snap_points(m, fac->n, fac->lon, fac->lat, AM_SNAP_ORIGIN,
                                  &osnap[k], &n_on, NULL, err);
        place[k] =
            am_alloc_array((size_t)(fac->n > 0 ? fac->n : 1), sizeof *place[k]);
        if (rc == AM_OK && place[k] == NULL)
            rc = nomem(err);
        if (rc == AM_OK)
            places_of(sites[k], s->walk_speed_kmh, place[k]);
    }
    for (int H = 0; rc == AM_OK && H < ns; H++) {
        int used = 0;
        for (int p = 0; p < o->n_pairs; p++)
            used |= o->pairs[p].higher == H;
        if (!used)
            continue;
        const am_sites *hi = sites[H];
        rc =
            am_nearest_nodes(m->graph_rev, hi->fac->n, hi->snap.node,
                             hi->snap.offset_ds, limit, node_ds, node_src, err);
        if (rc == AM_OK)
            rc = pairs_of_higher(m, sites, osnap, place, H, threads, node_ds,
                                 node_src, o, err);
    }
done:
    for (int k = 0; osnap != NULL && k < ns; k++)
        am_snapped_free(&osnap[k]);
    am_free(osnap);
    for (int k = 0; place != NULL && k < ns; k++)
        am_free(place[k]);
    am_free(place);
    am_free(node_ds);
    am_free(node_src);
    return rc;
}
