/*
 * snap_dump.c: the engine's snap of every populated cell, dumped, and two
 * dumps compared (the metric frame change of issue 8: aeqd -> tmerc).
 *
 *   snap_dump dump SCENARIO.yaml OUT.bin
 *   snap_dump compare OLD.bin NEW.bin SNAP_MAX_M
 *
 * A dump holds, per cell: its id and lon/lat, the segment the model's
 * frame finds nearest (road vertex ids, fraction, the vertices' lon/lat,
 * the planar distance), the links as road VERTEX ids (so that a graph
 * renumbering does not count as a change), their offsets, the snap's
 * geodesic distance and fragment distance; then the graph's node_vertex.
 * compare counts what changed and, for cells whose segment changed,
 * measures both segments on the ground (golden-section search of the
 * geodesic distance along each), to tell near-ties from errors.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "engine/internal.h"
#include "geo/geodesic.h"

typedef struct rec {
    int64_t cell;
    double lon, lat;
    int32_t v0, v1;
    double f, planar_m;
    double slon[2], slat[2];
    int32_t link_v[2];
    uint32_t off[2];
    double dist, frag_dist;
} rec;

static void die(const char *what, const am_error *err)
{
    fprintf(stderr, "snap_dump: %s: %s\n", what, err ? err->msg : "");
    exit(1);
}

static int dump(const char *scen, const char *out)
{
    am_error err;
    am_scenario *s = NULL;
    am_model *m = NULL;
    if (am_scenario_read_file(scen, &s, &err) != AM_OK)
        die("scenario", &err);
    am_model_options mo = am_model_options_default();
    mo.threads = 2;
    if (am_model_create(s, &mo, &m, &err) != AM_OK)
        die("model", &err);
    if (am_model_build(m, &err) != AM_OK)
        die("build", &err);
    const am_population *p = m->pop;
    const int32_t n = p->n_cells;
    am_transform *to_ll = NULL;
    double *lon = malloc(sizeof *lon * n), *lat = malloc(sizeof *lat * n);
    if (am_transform_create(p->crs_wkt, AM_CRS_WGS84, &to_ll, &err) != AM_OK ||
        am_snap_cell_centers(&p->grid, to_ll, n, p->cell, 2, lon, lat, NULL,
                             &err) != AM_OK)
        die("centres", &err);
    FILE *fo = fopen(out, "wb");
    const int32_t nn = m->graph->n_nodes;
    fwrite(&n, sizeof n, 1, fo);
    fwrite(&nn, sizeof nn, 1, fo);
    const am_snapped *cs = &m->cell_snap;
    for (int32_t i = 0; i < n; i++) {
        rec r;
        memset(&r, 0, sizeof r);
        r.cell = p->cell[i];
        r.lon = lon[i];
        r.lat = lat[i];
        double x = lon[i], y = lat[i], d = NAN, f = NAN;
        am_transform_points(m->to_metric, 1, &x, &y, NULL, NULL);
        int32_t sid =
            am_segment_index_nearest(m->seg_index, x, y, INFINITY, &d, &f);
        r.v0 = r.v1 = -1;
        if (sid >= 0) {
            r.v0 = m->seg[sid].v0;
            r.v1 = m->seg[sid].v1;
            r.slon[0] = m->roads->lon[r.v0];
            r.slat[0] = m->roads->lat[r.v0];
            r.slon[1] = m->roads->lon[r.v1];
            r.slat[1] = m->roads->lat[r.v1];
        }
        r.f = f;
        r.planar_m = d;
        for (int k = 0; k < 2; k++) {
            const int32_t nd = cs->node[2 * i + k];
            r.link_v[k] = nd >= 0 ? m->node_vertex[nd] : -1;
            r.off[k] = cs->offset_ds[2 * i + k];
        }
        r.dist = cs->dist_m[i];
        r.frag_dist = cs->frag_dist_m != NULL ? cs->frag_dist_m[i] : NAN;
        fwrite(&r, sizeof r, 1, fo);
    }
    fwrite(m->node_vertex, sizeof *m->node_vertex, nn, fo);
    fclose(fo);
    printf("frame %s; %d cells, %d nodes\n", m->frame, n, nn);
    am_transform_destroy(to_ll);
    am_model_destroy(m);
    am_scenario_destroy(s);
    return 0;
}

/* geodesic distance to a segment interpolated linearly in lon/lat */
static double to_segment(double plon, double plat, const double slon[2],
                         const double slat[2])
{
    const double g = 0.6180339887498949;
    const double dl = remainder(slon[1] - slon[0], 360.0);
    double a = 0.0, b = 1.0;
#define AT(t)                                                                  \
    am_geodesic_distance_m(plon, plat, slon[0] + (t)*dl,                       \
                           slat[0] + (t) * (slat[1] - slat[0]))
    for (int it = 0; it < 60; it++) {
        const double c = b - g * (b - a), e = a + g * (b - a);
        if (AT(c) <= AT(e))
            b = e;
        else
            a = c;
    }
    double best = AT(0.5 * (a + b));
    best = fmin(best, AT(0.0));
    return fmin(best, AT(1.0));
#undef AT
}

static rec *load(const char *path, int32_t *n, int32_t *nn, int32_t **nv)
{
    FILE *f = fopen(path, "rb");
    if (!f || fread(n, sizeof *n, 1, f) != 1 ||
        fread(nn, sizeof *nn, 1, f) != 1)
        die(path, NULL);
    rec *r = malloc(sizeof *r * (size_t)*n);
    *nv = malloc(sizeof **nv * (size_t)*nn);
    if (fread(r, sizeof *r, (size_t)*n, f) != (size_t)*n ||
        fread(*nv, sizeof **nv, (size_t)*nn, f) != (size_t)*nn)
        die(path, NULL);
    fclose(f);
    return r;
}

static int cmpd(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int compare(const char *pa, const char *pb, double max_m)
{
    int32_t n, m, nna, nnb, *nva, *nvb;
    rec *a = load(pa, &n, &nna, &nva), *b = load(pb, &m, &nnb, &nvb);
    if (n != m || nna != nnb)
        die("different cells or node counts", NULL);
    int32_t renum = 0;
    for (int32_t k = 0; k < nna; k++)
        renum += nva[k] != nvb[k];
    printf("graph nodes %d, ids renumbered (Hilbert order): %d\n", nna, renum);
    long on_off = 0, off_on = 0, seg_changed = 0, links_changed = 0,
         off_changed = 0, dist_changed = 0, same_seg_off = 0, frag_changed = 0;
    double max_dd_same = 0.0, max_df = 0.0;
    long off_by_one = 0;
    double *rel = malloc(sizeof *rel * (size_t)n);
    long n_rel = 0, new_better = 0, old_better = 0, equal = 0;
    int shown = 0;
    for (int32_t i = 0; i < n; i++) {
        const rec *x = &a[i], *y = &b[i];
        const int ona = x->link_v[0] >= 0, onb = y->link_v[0] >= 0;
        on_off += ona && !onb;
        off_on += !ona && onb;
        const int segc = !((x->v0 == y->v0 && x->v1 == y->v1) ||
                           (x->v0 == y->v1 && x->v1 == y->v0));
        const int linkc =
            x->link_v[0] != y->link_v[0] || x->link_v[1] != y->link_v[1];
        const int offc = x->off[0] != y->off[0] || x->off[1] != y->off[1];
        const int distc =
            !(x->dist == y->dist || (isnan(x->dist) && isnan(y->dist)));
        const int fragc = !(x->frag_dist == y->frag_dist ||
                            (isnan(x->frag_dist) && isnan(y->frag_dist)));
        seg_changed += segc && ona && onb;
        links_changed += linkc;
        off_changed += offc;
        dist_changed += distc;
        frag_changed += fragc;
        if (!segc && ona && onb) {
            max_dd_same = fmax(max_dd_same, fabs(x->dist - y->dist));
            /* the same segment, maybe the other way round */
            const double fb = x->v0 == y->v0 ? y->f : 1.0 - y->f;
            max_df = fmax(max_df, fabs(x->f - fb));
            same_seg_off += offc;
            for (int k = 0; offc && k < 2; k++)
                off_by_one +=
                    x->off[k] != y->off[k] &&
                    (x->off[k] + 1 == y->off[k] || y->off[k] + 1 == x->off[k]);
        }
        if (segc && ona && onb) {
            const double ga = to_segment(x->lon, x->lat, x->slon, x->slat);
            const double gb = to_segment(y->lon, y->lat, y->slon, y->slat);
            const double r = (gb - ga) / fmax(fmax(ga, gb), 1.0);
            rel[n_rel++] = fabs(r);
            if (fabs(gb - ga) < 1e-6)
                equal++;
            else if (gb < ga)
                new_better++;
            else
                old_better++;
            if (shown < 8) {
                printf("  seg change: cell %lld: old seg (%d,%d) %.4f m "
                       "(planar %.4f), new seg (%d,%d) %.4f m (planar %.4f); "
                       "ground: old %.6f new %.6f, rel %.2e\n",
                       (long long)x->cell, x->v0, x->v1, x->dist, x->planar_m,
                       y->v0, y->v1, y->dist, y->planar_m, ga, gb, r);
                shown++;
            }
        }
        if (ona != onb)
            printf("  on/off: cell %lld (%.6f, %.6f): old dist %.4f planar "
                   "%.4f, new dist %.4f planar %.4f (max %g)\n",
                   (long long)x->cell, x->lon, x->lat, x->dist, x->planar_m,
                   y->dist, y->planar_m, max_m);
    }
    printf("cells %d: on->off %ld, off->on %ld; link vertices changed %ld; "
           "offsets changed %ld (of which on the same segment %ld, links "
           "off by 1 ds %ld; max |f diff| there %.3g); dist "
           "changed %ld (max |diff| on the same segment %.3g m); fragment "
           "distance changed %ld; segment changed %ld: new nearer on the "
           "ground %ld, old nearer %ld, equal %ld\n",
           n, on_off, off_on, links_changed, off_changed, same_seg_off,
           off_by_one, max_df, dist_changed, max_dd_same, frag_changed,
           seg_changed, new_better, old_better, equal);
    if (n_rel > 0) {
        qsort(rel, (size_t)n_rel, sizeof *rel, cmpd);
        printf(
            "segment changes: |ground difference| / max(distance, 1 m): median "
            "%.2e, 90 %% %.2e, max %.2e\n",
            rel[n_rel / 2], rel[n_rel * 9 / 10], rel[n_rel - 1]);
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "dump") == 0)
        return dump(argv[2], argv[3]);
    if (argc == 5 && strcmp(argv[1], "compare") == 0)
        return compare(argv[2], argv[3], atof(argv[4]));
    fprintf(stderr,
            "usage: snap_dump dump SCENARIO OUT | compare OLD NEW MAX\n");
    return 2;
}
