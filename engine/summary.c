/*
 * summary.c: the end-of-run report (see accessim.h). Plain text meant for
 * people; the numbers are the same as in the output file's tables.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common/numparse.h"
#include "engine/dist.h"
#include "engine/measure_registry.h"
#include "engine/summary.h"
#include <accessim.h>

/* 1234567.8 -> "1,234,568"; any double, inf and nan included (a total of
 * 1e24 used to overflow a fixed buffer here). */
static const char *thousands(double v, char buf[AM_COUNT_BUF])
{
    return am_format_count(v, buf);
}

static double pct(double part, double whole)
{
    return whole > 0 ? 100.0 * part / whole : 0.0;
}

int am_summary_nth_note(FILE *f, double mean, double left_out, int zones)
{
    char a[AM_COUNT_BUF];
    const char *dests = zones ? "destinations" : "facilities";
    if (isnan(mean)) {
        fprintf(f, "%s n %s within the measure's reach",
                zones ? "no zone reaches" : "no one reaches", dests);
        return 0;
    }
    if (left_out > 0)
        fprintf(f, "%s %s reaching fewer than n %s left out",
                thousands(left_out, a),
                !zones          ? "people"
                : left_out == 1 ? "zone"
                                : "zones",
                dests);
    return 1;
}

void am_summary_cover_split(FILE *f, double served, double beyond, double none,
                            double total)
{
    char a[AM_COUNT_BUF], b[AM_COUNT_BUF], c[AM_COUNT_BUF];
    fprintf(f,
            "served %s (%.1f %%), within reach beyond capacity %s (%.1f %%), "
            "not within reach %s (%.1f %%)",
            thousands(served, a), pct(served, total), thousands(beyond, b),
            pct(beyond, total), thousands(none, c), pct(none, total));
}

void am_summary_fixed_point(FILE *f, int iterations, int converged,
                            double residual)
{
    if (iterations <= 0)
        fprintf(f, "proportional allocation (one pass)");
    else
        fprintf(f, "fixed point: %s after %d rounds (residual %.2g)",
                converged ? "converged" : "NOT converged", iterations,
                residual);
}

/* issue 9, capacity_coverage: the split of the population (the four
 * figures add up to the population) and how the allocation ended. */
static void cover_lines(const am_run_summary *r, const am_set_summary *s, int m,
                        FILE *f)
{
    char d[AM_COUNT_BUF];
    if (s->cov_served == NULL || isnan(s->cov_served[m]))
        return;
    const double pop = r->pop_total;
    fprintf(f, "      %s allocation, %g persons per unit of capacity\n",
            s->cov_allocation[m] != NULL ? s->cov_allocation[m] : "",
            s->cov_persons_per_capacity[m]);
    fprintf(f, "      ");
    am_summary_cover_split(f, s->cov_served[m], s->cov_beyond[m],
                           s->cov_none[m], pop);
    fprintf(f, ", off network %s (%.1f %%)\n", thousands(s->cov_off[m], d),
            pct(s->cov_off[m], pop));
    if (s->cov_iterations[m] > 0) {
        fprintf(f, "      ");
        am_summary_fixed_point(f, s->cov_iterations[m], s->cov_converged[m],
                               s->cov_residual[m]);
        fputc('\n', f);
    }
}

void am_summary_bfca_words(FILE *f, int zones)
{
    fprintf(f,
            zones ? "a zone's share of the destinations' level of service "
                    "(balanced FCA: sum over zones = sum_j R_j; not per person)"
                  : "a cell's share of the facilities' level of service "
                    "(balanced FCA: sum over cells = sum_j R_j; not per "
                    "person: compare cells of one grid, or sum over zones)");
}

/*
 * Measure m of set s: its mean and median as today (ratio methods in
 * capacity per person, with the identity sum P A = sum S where it holds:
 * 2SFCA with any decay and 3SFCA; not M2SFCA; BFCA as a cell's share of
 * the facilities' level of service, no per-10,000 figures), then its
 * decay, the facilities with no demand in reach and the people with
 * nothing in reach (engine/measure_registry.h names the type).
 */
static void measure_lines(const am_run_summary *r, const am_set_summary *s,
                          int m, FILE *f)
{
    char a[AM_COUNT_BUF];
    const am_measure_info *info =
        r->measure_types != NULL ? am_measure_info_of(r->measure_types[m])
                                 : am_measure_info_of(AM_MEASURE_TYPE_2SFCA);
    if (info == NULL)
        return;
    if (s->measure_on != NULL && !s->measure_on[m]) { /* issue 9, tiers */
        fprintf(f, "    %s: - (not computed for this set)\n",
                r->measure_names[m]);
        return;
    }
    if (info->method == AM_FCA_BFCA) { /* not per person */
        fprintf(f, "    %s: ", r->measure_names[m]);
        am_summary_bfca_words(f, 0);
        fprintf(f, ", population-weighted mean %.6g, median %.6g\n",
                s->access_mean[m], s->access_median[m]);
    } else if (info->has_ratio)
        fprintf(f,
                "    %s: capacity per person, population-weighted mean "
                "%.6g%s, median %.6g; per 10,000 people: mean %.4g, median "
                "%.4g\n",
                r->measure_names[m], s->access_mean[m],
                am_measure_has_supply_identity(info)
                    ? " (= capacity within reach of someone / population)"
                    : "",
                s->access_median[m], s->access_mean[m] * 1e4,
                s->access_median[m] * 1e4);
    else if (info->method == AM_FCA_NTH_NEAREST) { /* issue 9 */
        const double left =
            s->mean_left_out != NULL ? s->mean_left_out[m] : 0.0;
        fprintf(f, "    %s: %s", r->measure_names[m], info->long_name);
        if (isnan(s->access_mean[m])) {
            fprintf(f, ": ");
            am_summary_nth_note(f, s->access_mean[m], left, 0);
        } else {
            fprintf(f,
                    ", population-weighted mean %.6g, median %.6g (minutes, "
                    "over the people who reach n facilities",
                    s->access_mean[m], s->access_median[m]);
            if (left > 0)
                fprintf(f, "; ");
            am_summary_nth_note(f, s->access_mean[m], left, 0);
            fprintf(f, ")");
        }
        fprintf(f, "\n");
    } else
        fprintf(f, "    %s: %s, population-weighted mean %.6g, median %.6g\n",
                r->measure_names[m], info->long_name, s->access_mean[m],
                s->access_median[m]);
    if (r->measure_decays == NULL || s->fac_no_demand == NULL ||
        s->pop_none == NULL)
        return;
    fprintf(f, "      %s (%s); %s people on the network with %s within reach",
            info->name,
            s->measure_decays != NULL ? s->measure_decays[m]
                                      : r->measure_decays[m],
            thousands(s->pop_none[m], a),
            r->measure_types != NULL &&
                    r->measure_types[m] == AM_MEASURE_TYPE_NEAREST_N
                ? "fewer than n facilities"
                : "nothing");
    if (s->fac_no_demand[m] >= 0)
        fprintf(f,
                "; %d facilit%s with no demand within reach (ratio "
                "undefined, excluded)",
                (int)s->fac_no_demand[m],
                s->fac_no_demand[m] == 1 ? "y" : "ies");
    fprintf(f, "\n");
    if (s->equity_gini != NULL) /* issue 9 */
        fprintf(f, "      equity overall: Gini %.4g, Palma ratio %.4g\n",
                s->equity_gini[m], s->equity_palma[m]);
    cover_lines(r, s, m, f); /* issue 9 */
}

/* "45 m", "1.2 km": a snap distance. */
static const char *metres(double m, char *buf, size_t n)
{
    if (isnan(m))
        snprintf(buf, n, "n/a");
    else if (m < 1000.0)
        snprintf(buf, n, "%.0f m", m);
    else
        snprintf(buf, n, "%.1f km", m / 1000.0);
    return buf;
}

static void snap_line(const char *what, const char *unit,
                      const am_snap_diagnostics *d, FILE *f)
{
    char a[24], b[24], c[24], e[24], w[AM_COUNT_BUF];
    fprintf(f,
            "                 snap distance, %s: median %s, p90 %s, p99 %s, "
            "max %s; %s %s beyond %g km\n",
            what, metres(d->median_m, a, sizeof a),
            metres(d->p90_m, b, sizeof b), metres(d->p99_m, c, sizeof c),
            metres(d->max_m, e, sizeof e), thousands(d->beyond_weight, w), unit,
            AM_SNAP_FAR_M / 1000.0);
}

/*
 * Issue 9, a set's diagnostics block (engine/diagnostics.h): how many
 * measures' identities held and the largest relative difference, the
 * demand inflation of the ratio methods, the supply M2SFCA keeps, and the
 * snap distances; a few lines whatever the number of measures.
 */
/* Whether set s computes measure m (issue 9, tiers: a set's measures). */
#define ON(s, m) ((s)->measure_on == NULL || (s)->measure_on[m])

/* Whether measure m prints a "supply kept": not for a type with
 * identities, nor for BFCA (its A_i is not per person, so sum P A is no
 * part of the supply), whatever its diagnostics hold. */
static int shows_kept(const am_run_summary *r, const am_measure_diagnostics *d,
                      int m)
{
    return !d->identity && !isnan(d->supply_kept) &&
           !(r->measure_types != NULL &&
             r->measure_types[m] == AM_MEASURE_TYPE_BFCA);
}

static void diagnostics_lines(const am_run_summary *r, const am_set_summary *s,
                              FILE *f)
{
    if (s->diagnostics == NULL)
        return;
    int held = 0, inflation = 0, kept = 0, computed = 0;
    double worst = 0.0, tol = NAN;
    for (int m = 0; m < r->n_measures; m++) {
        const am_measure_diagnostics *d = &s->diagnostics[m];
        if (!ON(s, m)) /* issue 9, tiers: not computed for this set */
            continue;
        computed++;
        if (d->identity) {
            held++;
            if (d->relative_difference > worst)
                worst = d->relative_difference;
            tol = d->tolerance;
        }
        inflation += !isnan(d->demand_inflation);
        kept += shows_kept(r, d, m);
    }
    fprintf(f,
            "    diagnostics  identities checked and holding for %d of %d "
            "measures (the others have none)",
            held, computed);
    if (held > 0)
        fprintf(f, " (largest relative difference %.2g, tolerance %.2g)", worst,
                tol);
    fputc('\n', f);
    if (inflation > 0) {
        fprintf(f, "                 demand counted (sum D_j / population "
                   "within reach):");
        for (int m = 0, k = 0; m < r->n_measures; m++)
            if (ON(s, m) && !isnan(s->diagnostics[m].demand_inflation))
                fprintf(f, "%s %s %.3g", k++ ? "," : "", r->measure_names[m],
                        s->diagnostics[m].demand_inflation);
        fputc('\n', f);
    }
    if (kept > 0) {
        fprintf(f, "                 supply kept (sum P_i A_i / supply with "
                   "demand in reach):");
        for (int m = 0, k = 0; m < r->n_measures; m++) {
            const am_measure_diagnostics *d = &s->diagnostics[m];
            if (ON(s, m) && shows_kept(r, d, m))
                fprintf(f, "%s %s %.1f %%", k++ ? "," : "", r->measure_names[m],
                        100.0 * d->supply_kept);
        }
        fputc('\n', f);
    }
    snap_line("cells (population-weighted)", "people", &s->snap_cells, f);
    snap_line("facilities", "facilities", &s->snap_facilities, f);
}

/* A chosen site's head: its rank, id and position (the model's values
 * follow on the line). */
static void site_head(const am_selection_summary *q, int32_t k, FILE *f)
{
    fprintf(f, "    %2d. %-20s lon %10.5f lat %10.5f  ", (int)k + 1, q->id[k],
            q->lon[k], q->lat[k]);
}

/* Each measure's mean (and Gini, where the set has one) on the base set,
 * then with the chosen sites added (the selection's scenario). */
static void measure_change_lines(const am_run_summary *r,
                                 const am_selection_summary *q, FILE *f)
{
    const am_set_summary *bs =
        q->base_set < r->n_sets ? &r->sets[q->base_set] : NULL;
    for (int k = 0; bs != NULL && k < q->n_measures && k < r->n_measures; k++) {
        if (isnan(q->access_mean[k]) ||
            (bs->measure_on != NULL && !bs->measure_on[k]))
            continue;
        fprintf(f, "    %s mean: %.6g -> %.6g", r->measure_names[k],
                bs->access_mean[k], q->access_mean[k]);
        if (bs->equity_gini != NULL && !isnan(q->gini[k]))
            fprintf(f, "; Gini %.4f -> %.4f", bs->equity_gini[k], q->gini[k]);
        fputc('\n', f);
    }
}

/* issue 10, the equity models: the chosen sites with their sizes and
 * gains, the objective of the 2SFCA measure, the tie rule's population at
 * the minimum and the coverage floor. */
static void equity_lines(const am_run_summary *r, const am_selection_summary *q,
                         FILE *f)
{
    char a[AM_COUNT_BUF], b[AM_COUNT_BUF];
    const char *mname = q->measure >= 0 && q->measure < r->n_measures
                            ? r->measure_names[q->measure]
                            : "2SFCA";
    const char *what = strcmp(q->model, "maxmin") == 0 ? "minimum"
                       : strcmp(q->model, "bottom_decile") == 0
                           ? "bottom-decile mean"
                           : "weighted variance";
    for (int32_t k = 0; k < q->n_chosen; k++) {
        site_head(q, k, f);
        fprintf(f, "capacity %g", q->capacity[k]);
        if (q->size[k] >= 0)
            fprintf(f, " (size %d)", (int)q->size[k]);
        /* the change of the value (the variance falls as it improves) */
        fprintf(f, "  %s %+.6g -> %.6g\n", what,
                strcmp(q->model, "variance") == 0 ? -q->gain[k] : q->gain[k],
                q->objective_after[k]);
    }
    fprintf(f, "    %s %s: %.6g -> %.6g", mname, what, q->base_objective,
            q->objective);
    if (!isnan(q->at_min))
        fprintf(f, " (people at the minimum: %s -> %s)",
                thousands(q->base_at_min, a), thousands(q->at_min, b));
    fputc('\n', f);
    if (q->coverage_floor > 0)
        fprintf(f, "    within %g min: %.2f %% -> %.2f %% (floor %.2f %%)\n",
                q->cutoff_min, 100.0 * q->base_coverage, 100.0 * q->coverage,
                100.0 * q->coverage_floor);
    measure_change_lines(r, q, f);
}

/* issue 10: the chosen sites with their gains, baseline vs final. */
static void selection_lines(const am_run_summary *r,
                            const am_selection_summary *q, FILE *f)
{
    char a[AM_COUNT_BUF], b[AM_COUNT_BUF], d[AM_COUNT_BUF], e[AM_COUNT_BUF];
    const int pmed = q->penalty_min > 0;
    fprintf(f,
            "  selection    '%s': %s adding %d site%s to '%s'; %s "
            "candidates (%s near a facility, %s off the network), %s "
            "(cell, site) pairs within %g min (planned %.1f MiB)\n",
            q->name, q->model, (int)q->n_chosen, q->n_chosen == 1 ? "" : "s",
            q->facilities, thousands((double)q->candidates, a),
            thousands((double)q->excluded_near, b),
            thousands((double)q->off_network, d),
            thousands((double)q->pairs, e), q->depth_min,
            (double)q->plan_bytes / 1048576.0);
    if (q->on_demand)
        fprintf(f,
                "               rows on demand: %s candidates' rows held "
                "(a cache of at most %.1f MiB)%s\n",
                thousands((double)q->shortlist, a),
                (double)q->cache_bytes / 1048576.0,
                q->local_search ? "; swaps among those and the chosen" : "");
    if (q->equity) { /* issue 10, the equity models */
        equity_lines(r, q, f);
        return;
    }
    for (int32_t k = 0; k < q->n_chosen; k++) {
        site_head(q, k, f);
        if (pmed)
            fprintf(f, "saves %s person-min, total %s person-min\n",
                    thousands(q->gain[k], a),
                    thousands(q->objective_after[k], b));
        else
            fprintf(f, "+%s people, %s within %g min\n",
                    thousands(q->gain[k], a),
                    thousands(q->objective_after[k], b), q->cutoff_min);
    }
    if (pmed)
        fprintf(f,
                "    weighted time (beyond %g min: %g): %s -> %s "
                "person-min\n",
                q->penalty_min, q->penalty_min, thousands(q->base_objective, a),
                thousands(q->objective, b));
    else
        fprintf(f, "    within %g min: %s (%.2f %%) -> %s people (%.2f %%)\n",
                q->cutoff_min, thousands(q->base_objective, a),
                pct(q->base_objective, r->pop_total),
                thousands(q->objective, b), pct(q->objective, r->pop_total));
    measure_change_lines(r, q, f);
    if (q->exact_run) {
        const double hg = pmed ? q->base_objective - q->objective
                               : q->objective - q->base_objective;
        const double eg = pmed ? q->base_objective - q->exact_objective
                               : q->exact_objective - q->base_objective;
        fprintf(f,
                "    exact (GLPK%s, %.1f s): objective %s; the heuristic's "
                "gain is %.2f %% of the exact gain",
                q->exact_proven ? ", proven optimal"
                                : ", stopped at its time limit: not proven "
                                  "optimal",
                q->exact_s, thousands(q->exact_objective, a),
                eg > 0 ? 100.0 * hg / eg : 100.0);
        if (!q->exact_proven && isfinite(q->exact_bound) && q->exact_bound > 0)
            fprintf(f,
                    ", at least %.2f %% of the optimal gain (GLPK's bound "
                    "on it: %s)",
                    100.0 * hg / q->exact_bound, thousands(q->exact_bound, a));
        fputc('\n', f);
    }
}

/* issue 12, scenario ensembles: one line per unit, then per set the
 * distribution of the persons within each of the baseline's cutoffs. */
static void variant_lines(const am_run_summary *r, FILE *f)
{
    char a[AM_COUNT_BUF], b[AM_COUNT_BUF], c[AM_COUNT_BUF], d[AM_COUNT_BUF],
        e[AM_COUNT_BUF];
    const int nc = r->n_cutoffs;
    for (int i = 0; i < r->n_variants; i++) {
        const am_variant_summary *v = &r->variants[i];
        fprintf(f, "  variant      %d/%d '%s': %.2f s, %s, fingerprint %.12s;",
                i + 1, r->n_variants, v->name, v->wall_s,
                v->reused_model ? "baseline network" : "network rebuilt",
                v->fingerprint);
        for (int k = 0; k < r->n_sets; k++)
            for (int ci = 0; ci < nc; ci++)
                fprintf(f, " %s%s %g min %.1f %%",
                        ci == 0 && r->n_sets > 1 ? r->sets[k].name : "",
                        ci == 0 && r->n_sets > 1 ? ":" : "", r->cutoffs_min[ci],
                        pct(v->pop_within[(size_t)k * (size_t)nc + ci],
                            v->pop_total));
        fprintf(f, "\n");
    }
    for (int k = 0; k < r->n_sets; k++)
        for (int ci = 0; ci < nc; ci++) {
            const double *w =
                r->variant_within + ((size_t)k * (size_t)nc + ci) * 5;
            fprintf(f,
                    "  ensemble     '%s' within %g min across %d variants: "
                    "min %s, p10 %s, p50 %s, p90 %s, max %s persons\n",
                    r->sets[k].name, r->cutoffs_min[ci], r->n_variants,
                    thousands(w[0], a), thousands(w[1], b), thousands(w[2], c),
                    thousands(w[3], d), thousands(w[4], e));
        }
    if (r->n_robust > 0) { /* the robust choices, as chosen most */
        fprintf(f, "  robust       %d sites chosen across %d variants:",
                (int)r->n_robust, r->n_variants);
        for (int32_t k = 0; k < r->n_robust; k++)
            fprintf(f, "%s %s %d/%d", k > 0 ? "," : "", r->robust_id[k],
                    (int)r->robust_count[k], r->n_variants);
        fprintf(f, "\n");
    }
}

void am_run_summary_write(const am_run_summary *r, FILE *f)
{
    char a[AM_COUNT_BUF], b[AM_COUNT_BUF], d[AM_COUNT_BUF], e[AM_COUNT_BUF];
    if (r == NULL)
        return;
    fprintf(f, "accessim %s: scenario '%s' (%d thread%s)\n", AM_VERSION_STRING,
            r->scenario_name, r->threads, r->threads == 1 ? "" : "s");
    if (r->mpi_ranks > 1) /* issue 12, engine/dist.h */
        fprintf(f,
                "  mpi          %d ranks: each set's catchment searches "
                "split by blocks of %d facilities, gathered in facility "
                "order; rank 0 wrote the output\n",
                r->mpi_ranks, AM_DIST_BLOCK);
    fprintf(f,
            "  roads        %s of %s features routable, %.1f km; %s vertices, "
            "%s arcs\n",
            thousands((double)r->road_routable, a),
            thousands((double)r->road_features, b), r->road_km,
            thousands((double)r->nodes, d), thousands((double)r->arcs, e));
    if (r->graph_nodes > 0)
        fprintf(f,
                "  graph        %s nodes, %s arcs (degree-2 chains "
                "contracted: %.1f %% of the vertices are not nodes)\n",
                thousands((double)r->graph_nodes, a),
                thousands((double)r->graph_arcs, b),
                r->nodes > 0
                    ? 100.0 * (1.0 - (double)r->graph_nodes / (double)r->nodes)
                    : 0.0);
    for (int k = 0; k < r->n_speed_zones; k++) {
        const am_speed_zone_summary *z = &r->speed_zones[k];
        char mult[64];
        if (z->multiplier_min == z->multiplier_max)
            snprintf(mult, sizeof mult, "%g", z->multiplier_min);
        else
            snprintf(mult, sizeof mult, "%g to %g", z->multiplier_min,
                     z->multiplier_max);
        fprintf(f,
                "  speed zone   %s (layer '%s'): %s features, speed x %s on "
                "%s arcs, %.1f arc-km\n",
                z->path, z->layer, thousands((double)z->features, a), mult,
                thousands((double)z->arcs, b), z->arc_km);
    }
    if (r->road_vertices_joined > 0)
        fprintf(f,
                "               %s vertices joined to a node of another "
                "line within roads.join_tolerance_m\n",
                thousands((double)r->road_vertices_joined, a));
    if (r->road_join_crossings)
        fprintf(f,
                "               %s crossings joined (roads.join_crossings: "
                "nodes where crossing lines now meet)\n",
                thousands((double)r->road_crossings_joined, a));
    fprintf(f,
            "  profile      %s: %lld one-way, maxspeed used on %lld (%lld "
            "not understood, %lld implausible), %lld closed by access "
            "tags, %lld areas, %lld reversible, %lld ferries, %lld with "
            "missing nodes (%lld ways dropped by GDAL)\n",
            r->road_profile, (long long)r->road_oneway,
            (long long)r->road_maxspeed_used,
            (long long)r->road_maxspeed_unparsable,
            (long long)r->road_maxspeed_implausible,
            (long long)r->road_closed_access, (long long)r->road_areas,
            (long long)r->road_reversible, (long long)r->road_ferries,
            (long long)r->road_missing_nodes_kept,
            (long long)r->road_missing_nodes_dropped);
    if (r->roads_from_cache)
        fprintf(f, "  prepared     the road network was loaded from the "
                   "prepared graph (accessim prepare)\n");
    fprintf(f, "  population   %s people in %s cells\n",
            thousands(r->pop_total, a), thousands((double)r->pop_cells, b));
    if (r->pop_negative_cells > 0 || r->pop_nonfinite_cells > 0 ||
        r->pop_implausible_cells > 0)
        fprintf(f,
                "               refused (not summed): %lld negative, %lld "
                "NaN/infinite, %lld implausible cells\n",
                (long long)r->pop_negative_cells,
                (long long)r->pop_nonfinite_cells,
                (long long)r->pop_implausible_cells);
    for (int k = 0; k < r->n_zone_layers; k++) { /* issue 9 */
        const am_zone_layer_summary *z = &r->zone_layers[k];
        if (z->raster_band > 0) /* a settlement raster: classes */
            fprintf(f,
                    "  zones        '%s' (raster band %d): %d classes; %s "
                    "cells (%s people) in no class\n",
                    z->name, z->raster_band, (int)z->n_zones,
                    thousands((double)z->cells_outside, a),
                    thousands(z->pop_outside, b));
        else
            fprintf(f,
                    "  zones        '%s' (layer '%s'): %d zones; %s cells (%s "
                    "people) in no zone\n",
                    z->name, z->layer, (int)z->n_zones,
                    thousands((double)z->cells_outside, a),
                    thousands(z->pop_outside, b));
    }
    fprintf(f,
            "  off network  %s people (%.2f %%) in %s cells farther than "
            "the snap distance from a road\n",
            thousands(r->pop_off_network, a),
            pct(r->pop_off_network, r->pop_total),
            thousands((double)r->cells_off_network, b));
    if (r->components > 0) {
        fprintf(f,
                "  components   %s strongly connected; snapping onto %s "
                "(%s):",
                thousands((double)r->components, a),
                thousands((double)r->components_allowed, b),
                r->components_rule);
        for (int k = 0; k < AM_SUMMARY_COMPONENTS && r->component_sizes[k] > 0;
             k++)
            fprintf(f, "%s %s", k == 0 ? " largest" : ",",
                    thousands((double)r->component_sizes[k], a));
        fprintf(f, " vertices; %s vertices, %s arcs on the %s others\n",
                thousands((double)r->nodes_disallowed, a),
                thousands((double)r->arcs_disallowed, b),
                thousands((double)(r->components - r->components_allowed), d));
        fprintf(f,
                "  fragments    %s people in %s cells nearest to a small "
                "component moved to an allowed one",
                thousands(r->pop_moved, a),
                thousands((double)r->cells_moved, b));
        if (r->cells_moved > 0)
            fprintf(f, " (extra distance median %.0f m, max %.0f m)",
                    r->moved_median_m, r->moved_max_m);
        fprintf(f,
                "; %s people in %s cells left off network (no allowed "
                "road within the snap distance)\n",
                thousands(r->pop_stranded, a),
                thousands((double)r->cells_stranded, b));
    }
    for (int k = 0; k < r->n_sets; k++) {
        const am_set_summary *s = &r->sets[k];
        /* issue 9, tiers: the set's own cutoffs when it has them */
        const int nc = s->cutoffs_min != NULL ? s->n_cutoffs : r->n_cutoffs;
        const double *cut =
            s->cutoffs_min != NULL ? s->cutoffs_min : r->cutoffs_min;
        /* not within the largest cutoff, off-network people included */
        const double beyond = r->pop_total - s->pop_within[nc - 1];
        fprintf(f,
                "  facilities '%s': %d used (%d on the network), total "
                "capacity %g",
                s->name, (int)s->n_facilities, (int)s->n_on_network,
                s->capacity_total);
        if (s->tier > 0)
            fprintf(f, ", tier %d", s->tier);
        fprintf(f, "\n");
        if (s->near_duplicate_pairs > 0)
            fprintf(f,
                    "    %lld pair%s of facilities within %g m of each other "
                    "(possible duplicates, kept: see the warning)\n",
                    (long long)s->near_duplicate_pairs,
                    s->near_duplicate_pairs == 1 ? "" : "s",
                    AM_NEAR_DUPLICATE_M);
        if (s->moved > 0 || s->stranded > 0)
            fprintf(f,
                    "    %d facilit%s nearest to a small component moved to "
                    "an allowed one (extra distance median %.0f m, max "
                    "%.0f m), %d left off network\n",
                    (int)s->moved, s->moved == 1 ? "y" : "ies",
                    s->moved_median_m, s->moved_max_m, (int)s->stranded);
        for (int i = 0; i < nc; i++)
            fprintf(f, "    within %3g min  %12s people  %6.2f %%\n", cut[i],
                    thousands(s->pop_within[i], a),
                    pct(s->pop_within[i], r->pop_total));
        fprintf(f,
                "    unreachable    %12s people  %6.2f %%  (not within "
                "%g min, off network included)\n",
                thousands(beyond, a), pct(beyond, r->pop_total), cut[nc - 1]);
        for (int m = 0; m < r->n_measures; m++)
            measure_lines(r, s, m, f);
        diagnostics_lines(r, s, f); /* issue 9 */
        if (s->surface_max_min > 0) /* issue 9 */
            fprintf(f,
                    "    surface: %s of %s raster cells within the snap "
                    "distance of a road, %s with a facility within %g min "
                    "(%.2f s)\n",
                    thousands((double)s->surface_within, a),
                    thousands((double)s->surface_cells, b),
                    thousands((double)s->surface_reached, d),
                    s->surface_max_min, s->surface_s);
    }
    for (int k = 0; k < r->n_referrals; k++) { /* issue 9, facility tiers */
        const am_referral_summary *q = &r->referrals[k];
        fprintf(f,
                "  referrals    '%s' (tier %d) -> nearest '%s' (tier %d): %d "
                "facilities, time up median %.1f min, max %.1f min; %d "
                "unreachable within %g min\n",
                q->lower, q->lower_tier, q->higher, q->higher_tier,
                (int)q->n_facilities, q->up_median_min, q->up_max_min,
                (int)q->n_unreachable, AM_REFERRAL_MAX_MIN);
    }
    for (int k = 0; k < r->n_combined; k++)
        fprintf(f,
                "  combined     '%s': %s people (%.2f %%) meet every "
                "condition\n",
                r->combined[k].name, thousands(r->combined[k].pop_all, a),
                pct(r->combined[k].pop_all, r->pop_total));
    if (r->selection != NULL) /* issue 10, site selection */
        selection_lines(r, r->selection, f);
    if (r->n_variants > 0) /* issue 12, scenario ensembles */
        variant_lines(r, f);
    fprintf(f, "  phases      ");
    for (int p = 0; p < r->n_phases; p++)
        fprintf(f, " %s %.2fs%s", r->phases[p].name, r->phases[p].wall_s,
                p + 1 < r->n_phases ? "," : "\n");
    fprintf(f, "  memory       peak RSS after each phase (MiB):");
    for (int p = 0; p < r->n_phases; p++)
        fprintf(f, " %s %.0f%s", r->phases[p].name, r->phases[p].peak_rss_mib,
                p + 1 < r->n_phases ? "," : "\n");
    if (r->memory_estimate > 0)
        fprintf(
            f,
            "  estimate     %.0f MiB of memory estimated before the "
            "computation (catchments get what the cap leaves), cap %.0f MiB, "
            "GDAL block cache %.0f MiB\n",
            (double)r->memory_estimate / 1048576.0,
            (double)r->memory_cap / 1048576.0,
            (double)r->gdal_cache / 1048576.0);
    fprintf(f, "  total        %.2f s wall, peak RSS %.0f MiB\n", r->wall_s,
            r->peak_rss_mib);
    fprintf(f, "  output       %s\n", r->output_path);
}
