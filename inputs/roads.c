/*
 * roads.c: a routable road graph from any OGR line layer (see roads.h).
 *
 * Why: accessibility needs travel times along real roads. Road data comes
 * as OSM extracts (PBF/XML, through GDAL's OSM driver) or as plain GIS line
 * layers (GeoPackage, Shapefile, GeoJSON) with OSM-like attributes; this
 * file turns either into one node/arc list in WGS 84 with geodesic lengths
 * and car travel times, ready for the CSR graph builder in kernels/.
 *
 * Method:
 *  - One pass over the features of one layer. Each routable line's
 *    vertices become nodes; vertices with bitwise-identical (lon, lat)
 *    doubles are the same node (an open-addressing hash table keyed on the
 *    two bit patterns, storing node ids, probing linearly), so ways connect
 *    exactly where they share an OSM node or a digitised vertex. Node ids
 *    are given in first-seen order, so the result is deterministic for a
 *    given file. -0.0 is folded onto +0.0 before hashing.
 *  - With join_tolerance_m > 0, a vertex without an identical node joins
 *    the nearest node of another feature within the tolerance when either
 *    is a line end (or any vertex with join_all_vertices), through a grid
 *    of Earth-centred cells (geo/join_grid.h); never the node its line's
 *    previous vertex became. Lines that only cross are not joined.
 *  - Plain GIS layers may give speeds through a field mapping (a class
 *    field and a table, a speed field, or a time field split along the
 *    line by length; road_fields.h) instead of OSM tags.
 *  - Each consecutive vertex pair is one arc, or two unless one-way, with
 *    len_m = geodesic length on WGS 84 and the time at speed v (the
 *    maxspeed when valid, else the class speed, in m/s) in whole
 *    deciseconds, rounded along the feature (time_by_speed): each arc gets
 *    round(time so far) - what the earlier arcs got, so a feature's arcs
 *    sum to its rounded time however densely it is drawn.
 *    Repeated vertices (zero-length self-loops) are skipped.
 *  - Coordinates are transformed to WGS 84 lon/lat unless the layer is
 *    already geographic on the WGS 84 datum. Geometries come in the
 *    layer's data axis order; when that is the reverse of the traditional
 *    GIS order (x = lon/easting) the two are swapped before transforming.
 *  - Arrays grow by doubling and are trimmed at the end.
 *  - Speed (issue 8): features are read in batches on the calling thread
 *    (GDAL, tags, coordinates); a batch's segment lengths (the geodesic
 *    is ~half the work) and node hashes are then computed on the run's
 *    threads (kernels/tasks.h) while the previous batch is added, in
 *    feature order, as one task of the same region, with the node table
 *    slots prefetched from those hashes; the arrays it may grow are
 *    reserved before the region. Every array, count and warning is what
 *    adding each feature as it is read gives, for any thread count.
 *  - GeoPackage, Shapefile and FlatGeobuf layers of at least RANGE_MIN
 *    features without a filter, on more than one thread (a GeoPackage
 *    only with dense FIDs: a span under twice the count, within +-2^53),
 *    are read in FID ranges instead, one GDAL dataset per thread, each range
 * into its own batch and counts, and added strictly in FID order (see "Ranges"
 *    below): the same arrays, counts, warnings and errors as reading them
 *    one by one.
 *
 * OSM tag semantics (OpenStreetMap wiki: Key:highway, Key:oneway,
 * Key:maxspeed, Key:junction) are interpreted by road_profile.c. GDAL's OSM
 * driver puts `highway` in its own field and the other tags in
 * `other_tags`, an hstore-like string ("oneway"=>"yes","maxspeed"=>"50",
 * with \" and \\ escapes inside quotes). With its default osmconf.ini,
 * closed ways tagged highway (roundabouts) stay in the `lines` layer, since
 * highway is not in closed_ways_are_polygons (only highway=platform is),
 * unless the way also has area=yes. The driver parses the whole file for
 * any layer and, in its default non-interleaved mode, may make a reader
 * of one layer drain the others; with the documented
 * "SET interest_layers = lines" statement it discards the other layers'
 * features instead. (GDAL 3.6 on the Comoros, Monaco and Andorra PBFs
 * gave the same `lines` count with and without it, and the same as
 * ogrinfo's; the statement keeps it so for larger files and saves memory.)
 */
#include "inputs/roads.h"

#include <cpl_conv.h>
#include <cpl_error.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <ogr_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/units.h"
#include "geo/crossings.h"
#include "geo/crs.h"
#include "geo/geodesic.h"
#include "geo/join_grid.h"
#include "inputs/gdal_util.h"
#include "kernels/tasks.h"

/* Sample ids in an aggregated warning. */
#define AM_ROADS_SAMPLE_IDS 5
/* Features between two progress calls. */
#define PROGRESS_EVERY 1000
/* Longest tag value we keep; longer ones are treated as absent. */
#define TAG_MAX 64
/* Feature ids (and classes) named in a warning about skipped features. */
#define FIRST_IDS 5

/* ---------------------------------------------------------------------- */
/* Growable arrays and the node table                                      */
/* ---------------------------------------------------------------------- */

/* A set of OSM ids (open addressing; 0 marks a free slot, so id 0 is
 * stored as a flag). */
typedef struct idset {
    long long *slot;
    size_t mask; /* capacity - 1, capacity a power of two; 0: none */
    size_t n;
    int has_zero;
} idset;

static size_t id_hash(long long id, size_t mask)
{
    uint64_t h = (uint64_t)id * 0x9E3779B97F4A7C15ull;
    return (size_t)(h ^ (h >> 29)) & mask;
}

static int idset_has(const idset *s, long long id)
{
    if (id == 0)
        return s->has_zero;
    if (s->slot == NULL)
        return 0;
    for (size_t i = id_hash(id, s->mask);; i = (i + 1) & s->mask) {
        if (s->slot[i] == id)
            return 1;
        if (s->slot[i] == 0)
            return 0;
    }
}

/* 0 when out of memory. */
static int idset_add(idset *s, long long id)
{
    if (id == 0) {
        s->has_zero = 1;
        return 1;
    }
    if (s->slot == NULL || (s->n + 1) * 2 > s->mask + 1) {
        size_t cap = s->slot == NULL ? 256 : (s->mask + 1) * 2;
        long long *t = am_calloc(cap, sizeof *t);
        if (t == NULL)
            return 0;
        for (size_t i = 0; s->slot != NULL && i <= s->mask; i++) {
            if (s->slot[i] == 0)
                continue;
            size_t j = id_hash(s->slot[i], cap - 1);
            while (t[j] != 0)
                j = (j + 1) & (cap - 1);
            t[j] = s->slot[i];
        }
        am_free(s->slot);
        s->slot = t;
        s->mask = cap - 1;
    }
    size_t i = id_hash(id, s->mask);
    for (; s->slot[i] != 0; i = (i + 1) & s->mask)
        if (s->slot[i] == id)
            return 1;
    s->slot[i] = id;
    s->n++;
    return 1;
}

/* Reasons counted with a warning and the first few ids. */
enum { S_UNPARSABLE, S_IMPLAUSIBLE, S_DURATION, S_MISSING, S_DROPPED, S_COUNT };

typedef struct sample_list {
    int n;
    char text[AM_ROADS_SAMPLE_IDS][TAG_MAX + 48];
} sample_list;

typedef struct builder {
    am_road_network *net;
    const am_profile *prof; /* borrowed */
    idset missing;          /* OSM ways with nodes missing (GDAL's word) */
    int oom;                /* idset_add failed in the debug hook */
    sample_list samples[S_COUNT];
    size_t node_cap;
    size_t arc_cap;
    uint64_t *slots; /* SLOT_FREE, or slot_of(node id, its hash); size
                        mask + 1 (a power of two) */
    size_t mask;
    uint64_t *spare; /* NULL, or room for a table of spare_cap slots,
                        allocated before a parallel region */
    size_t spare_cap;
    /* joining within a tolerance (NULL: identical vertices only) */
    am_join_grid *join;
    int join_all;       /* every vertex may join, not only line ends */
    int64_t feature_ix; /* the feature being added (owner of new nodes) */
    /* join_crossings: every segment, in arc order */
    int crossings;      /* on */
    int32_t level;      /* the feature's level (bridge, tunnel, layer) */
    int64_t *seg_arc0;  /* [n_segs] its first arc; tail -> head is a -> b */
    uint8_t *seg_narcs; /* [n_segs] 1, or 2 (the second is b -> a) */
    int64_t *seg_owner; /* [n_segs] feature_ix */
    int32_t *seg_level; /* [n_segs] */
    size_t n_segs, seg_cap;
    /* features skipped by the field mapping, for the warnings */
    long long first_unlisted[FIRST_IDS];
    char first_class[FIRST_IDS][TAG_MAX]; /* distinct unlisted classes */
    int n_first_class;
    long long first_bad_value[FIRST_IDS];
    long long first_bad_oneway[FIRST_IDS];
    long long first_collapsed[FIRST_IDS]; /* features joined into a node */
    int64_t n_nonline;          /* features whose geometry is not a line */
    OGRwkbGeometryType nonline; /* the first such type */
} builder;

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
    return am_grow_array(p, cap, need, elem, 1024);
}

static uint64_t dbl_bits(double v)
{
    uint64_t u;
    v += 0.0; /* -0.0 -> +0.0 */
    memcpy(&u, &v, sizeof u);
    return u;
}

static uint64_t hash_xy(double x, double y)
{
    /* splitmix64 finaliser over a combination of both bit patterns */
    uint64_t h = dbl_bits(x) * 0x9E3779B97F4A7C15ull ^ dbl_bits(y);
    h ^= h >> 30;
    h *= 0xBF58476D1CE4E5B9ull;
    h ^= h >> 27;
    h *= 0x94D049BB133111EBull;
    h ^= h >> 31;
    return h;
}

static int same_xy(double ax, double ay, double bx, double by)
{
    return dbl_bits(ax) == dbl_bits(bx) && dbl_bits(ay) == dbl_bits(by);
}

/* A free slot of the node table; an occupied one holds the node id in
 * its low 32 bits (never all ones: ids are < INT32_MAX) and the high 32
 * bits of the node's hash, so that a probe reads a node's coordinates
 * only when the hashes agree (a cache miss saved per colliding slot). */
#define SLOT_FREE UINT64_MAX

static uint64_t slot_of(int32_t id, uint64_t h)
{
    return (h >> 32) << 32 | (uint64_t)(uint32_t)id;
}

/* The table rebuilt with cap slots (in b->spare when it is that size). */
static am_status table_resize(builder *b, size_t cap)
{
    uint64_t *s = NULL;
    if (b->spare != NULL && cap == b->spare_cap) {
        s = b->spare;
    } else {
        s = am_alloc_array(cap, sizeof *s);
        am_free(b->spare); /* a table of the wrong size */
    }
    b->spare = NULL;
    if (s == NULL)
        return AM_ERR_NOMEM;
    memset(s, 0xFF, cap * sizeof *s); /* all SLOT_FREE */
    size_t mask = cap - 1;
    const am_road_network *n = b->net;
    for (int32_t id = 0; id < n->n_nodes; id++) {
        uint64_t h = hash_xy(n->lon[id], n->lat[id]);
        size_t i = (size_t)h & mask;
        while (s[i] != SLOT_FREE)
            i = (i + 1) & mask;
        s[i] = slot_of(id, h);
    }
    am_free(b->slots);
    b->slots = s;
    b->mask = mask;
    return AM_OK;
}

/*
 * The node at (x, y) (h: hash_xy(x, y)), created if new. With a join
 * grid, a vertex with no node at identical coordinates joins the nearest
 * node of another feature within the tolerance (is_end: a line end; see
 * geo/join_grid.h), unless that node is `prev` (the line's previous
 * vertex: joining would collapse the segment between them; -1: none).
 */
static am_status node_get(builder *b, double x, double y, uint64_t h,
                          int is_end, int32_t prev, int32_t *id)
{
    am_road_network *n = b->net;
    if ((size_t)n->n_nodes + 1 > (b->mask + 1) / 2) {
        am_status rc = table_resize(b, (b->mask + 1) * 2);
        if (rc != AM_OK)
            return rc;
    }
    size_t i = (size_t)h & b->mask;
    const uint64_t tag = h >> 32;
    for (;;) {
        uint64_t s = b->slots[i];
        if (s == SLOT_FREE)
            break;
        int32_t sid = (int32_t)(uint32_t)s;
        if ((s >> 32) == tag && same_xy(n->lon[sid], n->lat[sid], x, y)) {
            *id = sid;
            if (is_end)
                am_join_grid_mark_end(b->join, sid);
            return AM_OK;
        }
        i = (i + 1) & b->mask;
    }
    if (b->join != NULL) {
        int32_t near = am_join_grid_find(b->join, x, y, b->feature_ix, is_end,
                                         b->join_all);
        if (near >= 0 && near != prev) {
            if (is_end)
                am_join_grid_mark_end(b->join, near);
            n->n_joined++;
            *id = near;
            return AM_OK;
        }
    }
    if (n->n_nodes == INT32_MAX)
        return AM_ERR_INVALID;
    size_t need = (size_t)n->n_nodes + 1;
    size_t cap = b->node_cap;
    if (!grow((void **)&n->lon, &cap, need, sizeof *n->lon))
        return AM_ERR_NOMEM;
    cap = b->node_cap;
    if (!grow((void **)&n->lat, &cap, need, sizeof *n->lat))
        return AM_ERR_NOMEM;
    b->node_cap = cap;
    if (b->join != NULL) {
        am_status rc =
            am_join_grid_add(b->join, n->n_nodes, x, y, b->feature_ix, is_end);
        if (rc != AM_OK)
            return rc;
    }
    int32_t nid = n->n_nodes++;
    n->lon[nid] = x + 0.0;
    n->lat[nid] = y + 0.0;
    b->slots[i] = slot_of(nid, h);
    *id = nid;
    return AM_OK;
}

static am_status arc_add(builder *b, int32_t t, int32_t h, float len,
                         uint32_t time)
{
    am_road_network *n = b->net;
    size_t need = (size_t)n->n_arcs + 1;
    if (need > b->arc_cap) {
        size_t cap = b->arc_cap;
        if (!grow((void **)&n->tail, &cap, need, sizeof *n->tail))
            return AM_ERR_NOMEM;
        cap = b->arc_cap;
        if (!grow((void **)&n->head, &cap, need, sizeof *n->head))
            return AM_ERR_NOMEM;
        cap = b->arc_cap;
        if (!grow((void **)&n->time_ds, &cap, need, sizeof *n->time_ds))
            return AM_ERR_NOMEM;
        cap = b->arc_cap;
        if (!grow((void **)&n->len_m, &cap, need, sizeof *n->len_m))
            return AM_ERR_NOMEM;
        cap = b->arc_cap;
        if (!grow((void **)&n->arc_flags, &cap, need, sizeof *n->arc_flags))
            return AM_ERR_NOMEM;
        b->arc_cap = cap;
    }
    int64_t a = n->n_arcs++;
    n->tail[a] = t;
    n->head[a] = h;
    n->len_m[a] = len;
    n->time_ds[a] = time;
    n->arc_flags[a] = 0;
    return AM_OK;
}

/* Trims the arrays to their final size (a failure here is harmless). */
static void shrink(void **p, size_t count, size_t elem)
{
    if (count == 0)
        return;
    void *q = am_realloc_array(*p, count, elem);
    if (q != NULL)
        *p = q;
}

/* ---------------------------------------------------------------------- */
/* Attributes                                                              */
/* ---------------------------------------------------------------------- */

/*
 * The tags a profile reads: fixed keys first (T_*), then the profile's own
 * oneway key and its access keys. Each comes from a field of that name
 * when the layer has one, else from the OSM driver's other_tags.
 */
enum {
    T_HIGHWAY,
    T_ONEWAY,
    T_MAXSPEED,
    T_JUNCTION,
    T_AREA,
    T_ROUTE,
    T_DURATION,
    T_BRIDGE, /* the level tags: read only with join_crossings */
    T_TUNNEL,
    T_LAYER,
    T_MODE_ONEWAY,
    T_ACCESS0,
    T_SLOTS = T_ACCESS0 + AM_PROFILE_MAX_ACCESS
};

typedef struct tags {
    char val[T_SLOTS][TAG_MAX]; /* "" when absent */
} tags;

/* The keys and their field indices (-1 when absent), per layer. */
typedef struct fields {
    int n;                    /* keys in use */
    const char *key[T_SLOTS]; /* NULL for an unused slot */
    int field[T_SLOTS];
    int other_tags;
    int mapped;        /* opt->speed_field (field mapping), -1: none */
    int mapped_oneway; /* opt->oneway_field, -1: none */
} fields;

/*
 * Fills the tags still empty in t from an OSM driver other_tags string
 * (am_hstore_next, road_profile.h). Malformed text ends the parse: what
 * was read before it is kept; a key or value too long for a slot is
 * skipped.
 */
static void hstore_read(const char *s, const fields *fi, tags *t)
{
    char key[TAG_MAX];
    char val[TAG_MAX];
    int too_long = 0;
    while (am_hstore_next(&s, key, sizeof key, val, sizeof val, &too_long))
        if (!too_long)
            for (int i = 0; i < T_SLOTS; i++)
                if (fi->key[i] != NULL && t->val[i][0] == '\0' &&
                    strcmp(key, fi->key[i]) == 0)
                    memcpy(t->val[i], val, strlen(val) + 1); /* fits */
}

static void field_copy(OGRFeatureH f, int idx, char *dst)
{
    dst[0] = '\0';
    if (idx < 0 || !OGR_F_IsFieldSetAndNotNull(f, idx))
        return;
    const char *v = OGR_F_GetFieldAsString(f, idx);
    size_t len = v != NULL ? strlen(v) : TAG_MAX;
    if (len < TAG_MAX)
        memcpy(dst, v, len + 1);
}

static void tags_read(OGRFeatureH f, const fields *fi, tags *t)
{
    for (int i = 0; i < T_SLOTS; i++)
        field_copy(f, fi->key[i] != NULL ? fi->field[i] : -1, t->val[i]);
    if (fi->other_tags >= 0 && OGR_F_IsFieldSetAndNotNull(f, fi->other_tags))
        hstore_read(OGR_F_GetFieldAsString(f, fi->other_tags), fi, t);
}

/* The profile's view of t (NULL for absent tags). */
static void tags_view(const tags *t, const fields *fi, am_way_tags *v)
{
#define TAG(i) (t->val[i][0] != '\0' ? t->val[i] : NULL)
    memset(v, 0, sizeof *v);
    v->highway = TAG(T_HIGHWAY);
    v->oneway = TAG(T_ONEWAY);
    v->maxspeed = TAG(T_MAXSPEED);
    v->junction = TAG(T_JUNCTION);
    v->area = TAG(T_AREA);
    v->route = TAG(T_ROUTE);
    v->duration = TAG(T_DURATION);
    v->oneway_mode = fi->key[T_MODE_ONEWAY] != NULL ? TAG(T_MODE_ONEWAY) : NULL;
    for (int i = 0; i < AM_PROFILE_MAX_ACCESS; i++)
        v->access[i] =
            fi->key[T_ACCESS0 + i] != NULL ? TAG(T_ACCESS0 + i) : NULL;
#undef TAG
}

/*
 * A way's level for join_crossings: its `layer` when an integer (OSM
 * Key:layer), else 1 on a bridge, -1 in a tunnel (any value but "no";
 * tunnel=building_passage is at ground level), else 0.
 */
static int32_t way_level(const tags *t)
{
    const char *l = t->val[T_LAYER];
    if (l[0] != '\0') {
        char *end = NULL;
        long v = strtol(l, &end, 10);
        while (end != NULL && (*end == ' ' || *end == '\t'))
            end++;
        if (end != l && end != NULL && *end == '\0' && v >= -100 && v <= 100)
            return (int32_t)v;
    }
    const char *br = t->val[T_BRIDGE], *tu = t->val[T_TUNNEL];
    if (br[0] != '\0' && strcmp(br, "no") != 0)
        return 1;
    if (tu[0] != '\0' && strcmp(tu, "no") != 0 &&
        strcmp(tu, "building_passage") != 0)
        return -1;
    return 0;
}

/* ---------------------------------------------------------------------- */
/* Coordinates                                                             */
/* ---------------------------------------------------------------------- */

typedef struct frame {
    am_transform *to_wgs84; /* NULL: already WGS 84 lon/lat */
    int swap_xy;            /* data axes are the reverse of GIS order */
} frame;

static am_status frame_setup(OGRLayerH layer, const char *path,
                             const char *lname, frame *fr, am_error *err)
{
    fr->to_wgs84 = NULL;
    fr->swap_xy = 0;
    OGRSpatialReferenceH srs = OGR_L_GetSpatialRef(layer);
    char what[AM_ERROR_LAYER_MAX + 16];
    snprintf(what, sizeof what, "layer '%s'", lname);
    char *wkt = NULL;
    am_status rc = am_gdal_srs_wkt(srs, path, what, &wkt, err);
    if (rc != AM_OK)
        goto done;
    /* GeoPackage stores a layer written without a CRS under srs_id 0 or
     * -1, which GDAL reads back as these placeholders: no CRS either. */
    const char *sname = OSRGetName(srs);
    if (sname != NULL && (strcmp(sname, "Undefined geographic SRS") == 0 ||
                          strcmp(sname, "Undefined Cartesian SRS") == 0)) {
        rc = am_error_set(err, AM_ERR_CRS, path,
                          "%s has an undefined coordinate reference system "
                          "(\"%s\"); assign one (e.g. ogr2ogr -a_srs)",
                          what, sname);
        goto done;
    }

    /* Axis order of the geometries versus traditional GIS order. */
    OGRSpatialReferenceH gis = OSRClone(srs);
    if (gis == NULL) {
        rc = am_error_set(err, AM_ERR_NOMEM, path, "out of memory");
        goto done;
    }
    OSRSetAxisMappingStrategy(gis, OAMS_TRADITIONAL_GIS_ORDER);
    int nd = 0, ng = 0;
    const int *md = OSRGetDataAxisToSRSAxisMapping(srs, &nd);
    const int *mg = OSRGetDataAxisToSRSAxisMapping(gis, &ng);
    if (nd >= 2 && ng >= 2 && md[0] == mg[1] && md[1] == mg[0] &&
        md[0] != md[1])
        fr->swap_xy = 1;
    OSRDestroySpatialReference(gis);

    OGRSpatialReferenceH wgs = OSRNewSpatialReference(NULL);
    int is_wgs84 = 0;
    if (wgs != NULL && OSRSetWellKnownGeogCS(wgs, "WGS84") == OGRERR_NONE)
        is_wgs84 = OSRIsGeographic(srs) && OSRIsSameGeogCS(srs, wgs);
    OSRDestroySpatialReference(wgs);
    if (!is_wgs84)
        rc = am_transform_create(wkt, AM_CRS_WGS84, &fr->to_wgs84, err);
done:
    CPLFree(wkt);
    if (rc != AM_OK)
        am_error_set_layer(err, lname);
    return rc;
}

/* ---------------------------------------------------------------------- */
/* Features                                                                */
/* ---------------------------------------------------------------------- */

typedef struct way {
    double kmh;      /* speed, unless total_ds >= 0 */
    double total_ds; /* the whole feature's time (time field); < 0: none */
    int dir;         /* 0 both, 1 forward, -1 backward */
} way;

/* A feature's time split along its segments (way.total_ds >= 0). */
typedef struct time_split {
    double total_m;    /* the feature's length */
    double cum_m;      /* along it so far */
    uint64_t given_ds; /* given to its arcs so far */
    double cum_ds;     /* by speed: the exact time along it so far */
} time_split;

/*
 * The time of the next arc (d metres at kmh) of a feature whose speed is
 * known: the feature's exact time so far, rounded, minus what its arcs
 * already got. Rounding each arc on its own would be biased for short
 * arcs (a 0.2 m arc at 60 km/h is 0.13 ds: 0, so a road drawn with a
 * vertex every 20 cm would take no time at all); carried along the
 * feature, its arcs sum to its rounded total (within 0.5 ds), however
 * densely it is drawn.
 */
static uint32_t time_by_speed(time_split *ts, double d, double kmh)
{
    const double ds = d * 36.0 / kmh; /* len / (kmh / 3.6) * 10 */
    if (ds > 0.0)
        ts->cum_ds += ds;
    const double target = floor(ts->cum_ds + 0.5); /* half up, as lround */
    if (!(target >= (double)ts->given_ds))
        return 0;
    const double t = target - (double)ts->given_ds;
    const uint32_t arc =
        t >= (double)(AM_TIME_INF - 1) ? AM_TIME_INF - 1 : (uint32_t)t;
    ts->given_ds += arc;
    return arc;
}

/* Whether part x/y (n vertices) has two distinct consecutive vertices. */
static int part_usable(const double *x, const double *y, size_t n)
{
    for (size_t i = 1; i < n; i++)
        if (!same_xy(x[i - 1], y[i - 1], x[i], y[i]))
            return 1;
    return 0;
}

/* Records the segment whose n_arcs arcs come next (join_crossings). */
static am_status seg_add(builder *b, int n_arcs)
{
    size_t need = b->n_segs + 1;
    if (need > b->seg_cap) {
        size_t cap = b->seg_cap;
        if (!grow((void **)&b->seg_arc0, &cap, need, sizeof *b->seg_arc0))
            return AM_ERR_NOMEM;
        cap = b->seg_cap;
        if (!grow((void **)&b->seg_narcs, &cap, need, sizeof *b->seg_narcs))
            return AM_ERR_NOMEM;
        cap = b->seg_cap;
        if (!grow((void **)&b->seg_owner, &cap, need, sizeof *b->seg_owner))
            return AM_ERR_NOMEM;
        cap = b->seg_cap;
        if (!grow((void **)&b->seg_level, &cap, need, sizeof *b->seg_level))
            return AM_ERR_NOMEM;
        b->seg_cap = cap;
    }
    size_t s = b->n_segs++;
    b->seg_arc0[s] = b->net->n_arcs;
    b->seg_narcs[s] = (uint8_t)n_arcs;
    b->seg_owner[s] = b->feature_ix;
    b->seg_level[s] = b->level;
    return AM_OK;
}

/* ---------------------------------------------------------------------- */
/* Layer                                                                   */
/* ---------------------------------------------------------------------- */

/* levels: also the level tags (bridge, tunnel, layer). */
static void fields_find(OGRLayerH layer, const am_profile *p, int levels,
                        fields *fi)
{
    OGRFeatureDefnH d = OGR_L_GetLayerDefn(layer);
    static const char *const fixed[] = {
        "highway", "oneway",   "maxspeed", "junction", "area",
        "route",   "duration", "bridge",   "tunnel",   "layer"};
    memset(fi, 0, sizeof *fi);
    for (int i = 0; i < T_SLOTS; i++)
        fi->field[i] = -1;
    for (int i = 0; i < T_MODE_ONEWAY; i++)
        if (levels || (i != T_BRIDGE && i != T_TUNNEL && i != T_LAYER))
            fi->key[i] = fixed[i];
    if (p->oneway_key[0] != '\0')
        fi->key[T_MODE_ONEWAY] = p->oneway_key;
    for (int i = 0; i < p->n_access && i < AM_PROFILE_MAX_ACCESS; i++)
        fi->key[T_ACCESS0 + i] = p->access[i];
    /* OGR_FD_GetFieldIndex compares names case-insensitively. */
    for (int i = 0; i < T_SLOTS; i++)
        if (fi->key[i] != NULL)
            fi->field[i] = OGR_FD_GetFieldIndex(d, fi->key[i]);
    fi->other_tags = OGR_FD_GetFieldIndex(d, "other_tags");
}

void am_road_network_destroy(am_road_network *r)
{
    if (r == NULL)
        return;
    am_free(r->lon);
    am_free(r->lat);
    am_free(r->tail);
    am_free(r->head);
    am_free(r->time_ds);
    am_free(r->len_m);
    am_free(r->arc_flags);
    am_free(r);
}

/*
 * The next feature of `layer`. OSM sources are read through the dataset
 * (GDALDatasetGetNextFeature), which reports how far into the file it is,
 * so the progress bar moves although the feature count is unknown; with
 * "interest_layers" set, other layers yield nothing, but any that does is
 * skipped. The layer's attribute filter applies either way.
 */
static OGRFeatureH next_feature(GDALDatasetH ds, OGRLayerH layer,
                                int by_dataset, double *frac)
{
    if (!by_dataset)
        return OGR_L_GetNextFeature(layer);
    for (;;) {
        OGRLayerH from = NULL;
        double pct = 0.0;
        OGRFeatureH f = GDALDatasetGetNextFeature(ds, &from, &pct, NULL, NULL);
        if (f == NULL)
            return NULL;
        *frac = pct;
        if (from == layer)
            return f;
        OGR_F_Destroy(f);
    }
}

/*
 * Whether the first read failed because of opt->where, not damage:
 * SQL-backed drivers (GPKG, SQLite) only run the filter on the first read,
 * and their error ("failed to prepare SQL") reads like damage. The layer
 * is read once without the filter: if that works, the filter was at fault.
 */
static int filter_failed(OGRLayerH layer, const am_road_options *opt)
{
    if (opt->where == NULL || opt->where[0] == '\0')
        return 0;
    am_gdal_errors probe;
    am_gdal_capture_begin(&probe);
    OGR_L_SetAttributeFilter(layer, NULL);
    OGR_L_ResetReading(layer);
    OGRFeatureH f = OGR_L_GetNextFeature(layer);
    am_gdal_capture_end(&probe);
    if (f != NULL)
        OGR_F_Destroy(f);
    return f != NULL && probe.n_failures == 0;
}

/* The filter opt->where was rejected (by OGR SQL or the driver's SQL). */
static am_status bad_filter(const am_road_options *opt, const char *lname,
                            const char *why, am_error *err)
{
    am_status rc = am_error_set(err, AM_ERR_FORMAT, opt->path,
                                "bad filter \"%s\": %s", opt->where, why);
    am_error_set_layer(err, lname);
    return rc;
}

/* ---------------------------------------------------------------------- */
/* Field mapping (plain GIS layers)                                        */
/* ---------------------------------------------------------------------- */

static void first_ids(long long *ids, int64_t count, long long fid)
{
    if (count <= FIRST_IDS)
        ids[count - 1] = fid;
}

/* A numeric field's value: 1 and *v when set, finite and decimal. */
static int field_number(OGRFeatureH f, int idx, double *v)
{
    if (!OGR_F_IsFieldSetAndNotNull(f, idx))
        return 0;
    OGRFieldType ft = OGR_Fld_GetType(OGR_F_GetFieldDefnRef(f, idx));
    if (ft == OFTInteger || ft == OFTInteger64 || ft == OFTReal) {
        *v = OGR_F_GetFieldAsDouble(f, idx);
        return isfinite(*v);
    }
    return am_road_value_parse(OGR_F_GetFieldAsString(f, idx), v);
}

/* Records an unlisted class (for the warning: the first few distinct). */
static void unlisted_class(builder *b, const char *k, long long fid)
{
    am_road_network *n = b->net;
    n->n_unlisted_class++;
    first_ids(b->first_unlisted, n->n_unlisted_class, fid);
    if (k == NULL)
        k = "(null)";
    if (strlen(k) >= TAG_MAX || b->n_first_class >= FIRST_IDS)
        return;
    for (int i = 0; i < b->n_first_class; i++)
        if (strcmp(b->first_class[i], k) == 0)
            return;
    snprintf(b->first_class[b->n_first_class++], TAG_MAX, "%s", k);
}

/*
 * The speed or time and direction of feature f under opt's field mapping.
 * Returns 0 when usable (w filled), 1 when skipped (counted in b->net).
 */
static int mapped_way(builder *b, OGRFeatureH f, const am_road_options *opt,
                      const fields *fi, way *w)
{
    am_road_network *n = b->net;
    long long fid = (long long)OGR_F_GetFID(f);
    w->kmh = 0.0;
    w->total_ds = -1.0;
    w->dir = 0;
    double v = 0.0;
    switch (opt->speed_source) {
    case AM_ROAD_SPEED_CLASS: {
        const char *k = OGR_F_IsFieldSetAndNotNull(f, fi->mapped)
                            ? OGR_F_GetFieldAsString(f, fi->mapped)
                            : NULL;
        w->kmh = am_road_class_speed_of(opt->class_speeds, opt->n_class_speeds,
                                        k, opt->default_speed_kmh);
        if (!am_road_speed_ok(w->kmh)) {
            unlisted_class(b, k, fid);
            return 1;
        }
        break;
    }
    case AM_ROAD_SPEED_FIELD:
        if (!field_number(f, fi->mapped, &v) || !am_road_speed_ok(v)) {
            n->n_bad_value++;
            first_ids(b->first_bad_value, n->n_bad_value, fid);
            return 1;
        }
        w->kmh = v;
        break;
    case AM_ROAD_TIME_FIELD:
        if (!field_number(f, fi->mapped, &v) ||
            !am_road_time_ok(v * opt->time_unit_s * 10.0)) {
            n->n_bad_value++;
            first_ids(b->first_bad_value, n->n_bad_value, fid);
            return 1;
        }
        w->total_ds = v * opt->time_unit_s * 10.0;
        break;
    case AM_ROAD_SPEED_PROFILE:
        return 1;
    }
    if (fi->mapped_oneway >= 0) {
        const char *ov = OGR_F_IsFieldSetAndNotNull(f, fi->mapped_oneway)
                             ? OGR_F_GetFieldAsString(f, fi->mapped_oneway)
                             : "";
        int d = am_road_oneway_of(opt->oneway_values, ov);
        if (d == 2) {
            n->n_bad_oneway++;
            first_ids(b->first_bad_oneway, n->n_bad_oneway, fid);
            d = 0;
        }
        w->dir = d;
    }
    return 0;
}

/* "12, 40, 41" from the first min(count, FIRST_IDS) ids. */
static void ids_text(const long long *ids, int64_t count, char *buf, size_t n)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int64_t i = 0; i < count && i < FIRST_IDS; i++) {
        int k =
            snprintf(buf + used, n - used, "%s%lld", i > 0 ? ", " : "", ids[i]);
        if (k < 0 || (size_t)k >= n - used)
            return;
        used += (size_t)k;
    }
    if (count > FIRST_IDS && used + 5 < n)
        snprintf(buf + used, n - used, ", ...");
}

static const char *mapping_field_key(am_road_speed_source src)
{
    return src == AM_ROAD_SPEED_CLASS   ? "class_field"
           : src == AM_ROAD_SPEED_FIELD ? "speed_field"
                                        : "time_field";
}

/* One warning per reason for the features the field mapping skipped. */
static void mapping_warn(const builder *b, const am_road_options *opt,
                         const char *lname)
{
    const am_road_network *n = b->net;
    char ids[128], classes[FIRST_IDS * (TAG_MAX + 2) + 8];
    if (n->n_unlisted_class > 0) {
        size_t used = 0;
        classes[0] = '\0';
        for (int i = 0; i < b->n_first_class; i++) {
            int k = snprintf(classes + used, sizeof classes - used, "%s'%s'",
                             i > 0 ? ", " : "", b->first_class[i]);
            if (k > 0 && (size_t)k < sizeof classes - used)
                used += (size_t)k;
        }
        ids_text(b->first_unlisted, n->n_unlisted_class, ids, sizeof ids);
        am_warn(opt->warnings,
                "%s: layer '%s': %lld features skipped: their '%s' value is "
                "not in roads.class_speeds_kmh (%s%s; features %s); add them "
                "to the table or set roads.default_speed_kmh",
                opt->path, lname, (long long)n->n_unlisted_class,
                opt->speed_field, classes,
                n->n_unlisted_class > b->n_first_class ? ", ..." : "", ids);
    }
    if (n->n_bad_value > 0) {
        ids_text(b->first_bad_value, n->n_bad_value, ids, sizeof ids);
        am_warn(opt->warnings,
                "%s: layer '%s': %lld features skipped: %s '%s' is null, not "
                "a decimal number, or not a usable %s (features %s)",
                opt->path, lname, (long long)n->n_bad_value,
                mapping_field_key(opt->speed_source), opt->speed_field,
                opt->speed_source == AM_ROAD_TIME_FIELD
                    ? "time (> 0, at most 24 h)"
                    : "speed (> 0, at most 300 km/h)",
                ids);
    }
    if (n->n_bad_oneway > 0) {
        ids_text(b->first_bad_oneway, n->n_bad_oneway, ids, sizeof ids);
        am_warn(opt->warnings,
                "%s: layer '%s': %lld features have a oneway_field '%s' value "
                "in none of roads.oneway_values: taken as both ways "
                "(features %s)",
                opt->path, lname, (long long)n->n_bad_oneway, opt->oneway_field,
                ids);
    }
}

/* ---- counting what the tags did ---------------------------------------- */

/* Counted reasons that get a warning with sample ids. */

static void sample(builder *b, int reason, long long fid, const char *hw,
                   const char *value)
{
    sample_list *l = &b->samples[reason];
    if (l->n >= AM_ROADS_SAMPLE_IDS)
        return;
    /* a long tag is cut (the return value read: no truncation warning) */
    if (snprintf(l->text[l->n], sizeof l->text[0], "%lld%s%s%s%s%s", fid,
                 hw != NULL || value != NULL ? " (" : "", hw != NULL ? hw : "",
                 hw != NULL && value != NULL ? " " : "",
                 value != NULL ? value : "",
                 hw != NULL || value != NULL ? ")" : "") < 0)
        l->text[l->n][0] = '\0';
    l->n++;
}

static void way_dropped(builder *b, const am_way_verdict *v)
{
    am_road_network *n = b->net;
    switch (v->drop) {
    case AM_WAY_AREA:
        n->n_area++;
        break;
    case AM_WAY_CLOSED:
        n->n_closed_access++;
        break;
    case AM_WAY_REVERSIBLE:
        n->n_reversible++;
        break;
    default:
        n->n_not_routable++;
        break;
    }
}

/* missing: an OSM way with nodes missing (builder.missing, when read). */
static void way_used(builder *b, const am_way_verdict *v, const am_way_tags *t,
                     long long fid, int missing)
{
    am_road_network *n = b->net;
    char value[TAG_MAX + 16];
    n->n_routable++;
    n->n_oneway += v->dir != 0;
    n->n_ferry += v->ferry;
    if (v->ferry_bad_duration) {
        n->n_ferry_bad_duration++;
        snprintf(value, sizeof value, "duration=%s", t->duration);
        sample(b, S_DURATION, fid, NULL, value);
    }
    snprintf(value, sizeof value, "maxspeed=%s",
             t->maxspeed != NULL ? t->maxspeed : "");
    switch (v->maxspeed) {
    case AM_MAXSPEED_USE_USED:
        n->n_maxspeed++;
        break;
    case AM_MAXSPEED_USE_UNPARSABLE:
        n->n_maxspeed_unparsable++;
        sample(b, S_UNPARSABLE, fid, t->highway, value);
        break;
    case AM_MAXSPEED_USE_IMPLAUSIBLE:
        n->n_maxspeed_implausible++;
        n->n_maxspeed += b->prof->use_implausible != 0; /* used anyway */
        sample(b, S_IMPLAUSIBLE, fid, t->highway, value);
        break;
    default:
        break;
    }
    if (missing) {
        n->n_missing_nodes_kept++;
        sample(b, S_MISSING, fid, NULL, NULL);
    }
}

/*
 * A ferry with a duration tag: its crossing time, spread over its arcs
 * (from arc0 on) in proportion to their lengths, replaces the time at the
 * profile's ferry speed.
 */
static void ferry_spread(am_road_network *n, int64_t arc0, double seconds,
                         int dir)
{
    /* arcs come one per segment, or two (forward, backward) when dir 0 */
    const int64_t step = dir == 0 ? 2 : 1;
    double total = 0.0;
    for (int64_t a = arc0; a < n->n_arcs; a += step)
        total += n->len_m[a];
    if (!(total > 0.0))
        return;
    /* split by length as a time field is (am_road_time_share): the arcs
     * sum to the rounded duration however many segments it has */
    double cum = 0.0;
    uint64_t given = 0;
    for (int64_t a = arc0; a < n->n_arcs; a += step) {
        cum += n->len_m[a];
        const uint32_t ds =
            am_road_time_share(cum, total, seconds * 10.0, &given);
        n->time_ds[a] = ds;
        if (step == 2 && a + 1 < n->n_arcs)
            n->time_ds[a + 1] = ds;
    }
}

/*
 * GDAL's OSM driver reports ways with nodes missing from the file only as
 * CPLDebug messages (GDAL 3.6, ogrosmdatasource.cpp): "For way N, got
 * only K nodes instead of M" (the way is kept, its found nodes joined in
 * order) and "Way N with K nodes that could be found. Discarding it"
 * (K < 2). They arrive while the driver resolves a batch of ways, before
 * those ways' features are returned, on the reading thread.
 */
static void osm_debug(const char *msg, void *user)
{
    builder *b = user;
    long long id = 0;
    const char *p = strstr(msg, "For way ");
    if (p != NULL && strstr(p, "got only") != NULL &&
        sscanf(p + 8, "%lld", &id) == 1) {
        if (!idset_add(&b->missing, id))
            b->oom = 1;
        return;
    }
    p = strstr(msg, "Way ");
    if (p != NULL && strstr(p, "Discarding it") != NULL &&
        sscanf(p + 4, "%lld", &id) == 1) {
        b->net->n_missing_nodes_dropped++;
        sample(b, S_DROPPED, id, NULL, NULL);
    }
}

/* ---------------------------------------------------------------------- */
/* Batches: read in order, measured in parallel, added in order            */
/* ---------------------------------------------------------------------- */

/* A batch is measured once it holds this many vertices or features
 * (tests/inputs/test_roads_batches.c builds this file with tiny ones). */
#ifndef AM_ROADS_BATCH_VERTICES
#define AM_ROADS_BATCH_VERTICES (1u << 16)
#endif
#ifndef AM_ROADS_BATCH_FEATURES
#define AM_ROADS_BATCH_FEATURES 8192
#endif
#ifndef AM_ROADS_MEASURE_CHUNK
#define AM_ROADS_MEASURE_CHUNK 4096 /* vertices per measuring task */
#endif
#define BATCH_VERTICES AM_ROADS_BATCH_VERTICES
#define BATCH_FEATURES AM_ROADS_BATCH_FEATURES
#define MEASURE_CHUNK AM_ROADS_MEASURE_CHUNK
/* Vertices ahead whose node table slot is prefetched while adding. */
#define PREFETCH_AHEAD 8

/* The maxspeed, highway and duration tags of a way whose verdict may be
 * sampled in a warning (way_used). */
typedef struct sample_tags {
    char highway[TAG_MAX];
    char maxspeed[TAG_MAX];
    char duration[TAG_MAX];
} sample_tags;

/* A feature read and not added yet. */
typedef struct pending {
    long long fid;
    int64_t ix; /* builder.feature_ix */
    way w;
    am_way_verdict v; /* the profile's (PROFILE) */
    int32_t level;    /* join_crossings */
    int missing;      /* an OSM way with nodes missing (builder.missing) */
    int tags_at;      /* its sample_tags in the batch, -1: none */
    size_t n_parts;   /* its parts with usable coordinates, in order */
} pending;

/*
 * Features read, their usable parts' WGS 84 vertices one after another
 * (part_n: vertices per part, start: 1 at a part's first vertex), and
 * once measured, per vertex, its node hash and the length of the segment
 * that ends there (0 at a part's first vertex).
 */
typedef struct batch {
    pending *feat;
    size_t n_feat, feat_cap;
    double *x, *y;
    uint8_t *start;
    size_t n_xy, xy_cap;
    double *d;   /* [n_xy] geodesic length of segment i-1 -> i */
    uint64_t *h; /* [n_xy] hash_xy(x[i], y[i]) */
    size_t dh_cap;
    size_t *part_n;
    size_t n_parts, part_cap;
    sample_tags *tags;
    size_t n_tags, tags_cap;
} batch;

static void batch_free(batch *bt)
{
    am_free(bt->feat);
    am_free(bt->x);
    am_free(bt->y);
    am_free(bt->start);
    am_free(bt->d);
    am_free(bt->h);
    am_free(bt->part_n);
    am_free(bt->tags);
}

static void batch_clear(batch *bt)
{
    bt->n_feat = 0;
    bt->n_xy = 0;
    bt->n_parts = 0;
    bt->n_tags = 0;
}

static void prefetch_slot(const builder *b, const batch *bt, size_t j)
{
    if (j < bt->n_xy)
        __builtin_prefetch(&b->slots[(size_t)bt->h[j] & b->mask]);
}

/*
 * Adds one line part (the n vertices from `at` in bt). *len_m and
 * *n_added (segments) accumulate; ts splits a feature's time
 * (way.total_ds >= 0). A part that has no two distinct consecutive
 * vertices adds nothing (not even nodes). Its first and last vertices are
 * line ends for joining.
 */
static am_status part_add(builder *b, const batch *bt, size_t at, size_t n,
                          const way *w, time_split *ts, double *len_m,
                          int64_t *n_added)
{
    const double *x = bt->x + at, *y = bt->y + at;
    if (!part_usable(x, y, n))
        return AM_OK;
    int32_t prev;
    prefetch_slot(b, bt, at + PREFETCH_AHEAD);
    am_status rc = node_get(b, x[0], y[0], bt->h[at], 1, -1, &prev);
    for (size_t i = 1; rc == AM_OK && i < n; i++) {
        int32_t cur;
        prefetch_slot(b, bt, at + i + PREFETCH_AHEAD);
        rc = node_get(b, x[i], y[i], bt->h[at + i], i + 1 == n, prev, &cur);
        if (rc != AM_OK)
            continue;
        /* the segment as drawn, measured in the parallel step */
        const double d = bt->d[at + i];
        if (w->total_ds >= 0.0)
            ts->cum_m += d;
        if (cur == prev)
            continue;
        uint32_t t = w->total_ds >= 0.0
                         ? am_road_time_share(ts->cum_m, ts->total_m,
                                              w->total_ds, &ts->given_ds)
                         : time_by_speed(ts, d, w->kmh);
        if (b->crossings)
            rc = seg_add(b, w->dir == 0 ? 2 : 1);
        if (rc == AM_OK && w->dir >= 0)
            rc = arc_add(b, prev, cur, (float)d, t);
        if (rc == AM_OK && w->dir <= 0)
            rc = arc_add(b, cur, prev, (float)d, t);
        *len_m += d;
        (*n_added)++;
        prev = cur;
    }
    return rc;
}

/*
 * Copies a line's vertices to the end of bt (not counted in bt->n_xy
 * yet), in WGS 84 lon/lat. *ok = 0 when a vertex cannot be transformed or
 * lies outside lon/lat bounds.
 */
static am_status part_coords(batch *bt, OGRGeometryH g, const frame *fr,
                             size_t *n_out, int *ok, am_error *err)
{
    *ok = 0;
    int np = OGR_G_GetPointCount(g);
    *n_out = np > 0 ? (size_t)np : 0;
    if (np <= 0)
        return AM_OK;
    const size_t at = bt->n_xy, need = at + (size_t)np;
    size_t cap = bt->xy_cap;
    if (!grow((void **)&bt->x, &cap, need, sizeof *bt->x))
        return AM_ERR_NOMEM;
    cap = bt->xy_cap;
    if (!grow((void **)&bt->y, &cap, need, sizeof *bt->y))
        return AM_ERR_NOMEM;
    cap = bt->xy_cap;
    if (!grow((void **)&bt->start, &cap, need, sizeof *bt->start))
        return AM_ERR_NOMEM;
    bt->xy_cap = cap;
    double *bx = bt->x + at, *by = bt->y + at;
    double *x = fr->swap_xy ? by : bx;
    double *y = fr->swap_xy ? bx : by;
    OGR_G_GetPoints(g, x, sizeof *x, y, sizeof *y, NULL, 0);
    if (fr->to_wgs84 != NULL) {
        size_t failed = 0;
        am_status rc =
            am_transform_points(fr->to_wgs84, (size_t)np, bx, by, &failed, err);
        if (rc != AM_OK)
            return rc;
    }
    for (int i = 0; i < np; i++)
        if (!(bx[i] >= -180.0 && bx[i] <= 180.0 && by[i] >= -90.0 &&
              by[i] <= 90.0))
            return AM_OK;
    *ok = 1;
    return AM_OK;
}

static int is_line(OGRwkbGeometryType t)
{
    return wkbFlatten(t) == wkbLineString;
}

/*
 * Appends the usable parts of geometry g to bt (p->n_parts counts them);
 * none when its geometry is unusable (none, empty, not a line, a part
 * not a line).
 */
static am_status feature_coords(builder *b, batch *bt, pending *p,
                                OGRGeometryH g, const frame *fr, am_error *err)
{
    if (g == NULL || OGR_G_IsEmpty(g))
        return AM_OK;
    OGRwkbGeometryType t = OGR_G_GetGeometryType(g);
    if (OGR_GT_IsNonLinear(t)) {
        /* circular arcs (GPKG/GML curves): GDAL's default stroking */
        OGRGeometryH lin = OGR_G_GetLinearGeometry(g, 0.0, NULL);
        if (lin == NULL)
            return AM_OK;
        am_status rc = AM_OK;
        if (!OGR_GT_IsNonLinear(OGR_G_GetGeometryType(lin)))
            rc = feature_coords(b, bt, p, lin, fr, err);
        OGR_G_DestroyGeometry(lin);
        return rc;
    }
    int nparts;
    if (is_line(t))
        nparts = 1;
    else if (wkbFlatten(t) == wkbMultiLineString)
        nparts = OGR_G_GetGeometryCount(g);
    else {
        if (b->n_nonline++ == 0)
            b->nonline = t;
        return AM_OK;
    }
    /* Check every part first, so a bad feature adds no node. */
    for (int k = 0; k < nparts && !is_line(t); k++) {
        OGRGeometryH part = OGR_G_GetGeometryRef(g, k);
        if (part == NULL || !is_line(OGR_G_GetGeometryType(part)))
            return AM_OK;
    }
    if (nparts > 0 && !grow((void **)&bt->part_n, &bt->part_cap,
                            bt->n_parts + (size_t)nparts, sizeof *bt->part_n))
        return AM_ERR_NOMEM;
    for (int k = 0; k < nparts; k++) {
        OGRGeometryH part = is_line(t) ? g : OGR_G_GetGeometryRef(g, k);
        size_t np;
        int ok;
        am_status rc = part_coords(bt, part, fr, &np, &ok, err);
        if (rc != AM_OK)
            return rc;
        if (!ok)
            continue; /* a broken part; the others may still be good */
        memset(bt->start + bt->n_xy, 0, np);
        bt->start[bt->n_xy] = 1;
        bt->part_n[bt->n_parts++] = np;
        bt->n_xy += np;
        p->n_parts++;
    }
    return AM_OK;
}

/* Length in metres of p's usable parts (from part index `part`, vertex
 * `at` in bt), measured. */
static double parts_length(const batch *bt, const pending *p, size_t part,
                           size_t at)
{
    double len = 0.0;
    for (size_t k = 0; k < p->n_parts; k++) {
        const size_t np = bt->part_n[part + k];
        for (size_t i = 1; i < np; i++) /* 0 between equal vertices */
            len += bt->d[at + i];
        at += np;
    }
    return len;
}

/*
 * Adds feature p, whose parts start at part index *part and vertex *at
 * in bt (both advanced past them); counts its outcome as a skipped
 * geometry, a collapsed feature or a routable way.
 */
static am_status pending_add(builder *b, const batch *bt, const pending *p,
                             int mapped, size_t *part, size_t *at)
{
    am_road_network *n = b->net;
    b->feature_ix = p->ix;
    b->level = p->level;
    const int64_t arc0 = n->n_arcs;
    time_split ts = {0.0, 0.0, 0, 0.0};
    if (p->w.total_ds >= 0.0)
        ts.total_m = parts_length(bt, p, *part, *at);
    double len_m = 0.0;
    int64_t n_seg = 0;
    const size_t part0 = *part, at0 = *at;
    for (size_t k = 0; k < p->n_parts; k++) {
        const size_t np = bt->part_n[*part];
        am_status rc = part_add(b, bt, *at, np, &p->w, &ts, &len_m, &n_seg);
        if (rc != AM_OK)
            return rc;
        (*part)++;
        *at += np;
    }
    if (n_seg == 0) {
        /* lines there, but every segment joined into one node: shorter
         * than the join tolerance, not broken */
        int collapsed = 0;
        for (size_t k = 0, v = at0; k < p->n_parts; k++) {
            const size_t np = bt->part_n[part0 + k];
            if (part_usable(bt->x + v, bt->y + v, np))
                collapsed = 1;
            v += np;
        }
        if (collapsed) {
            n->n_collapsed++;
            if (n->n_collapsed <= FIRST_IDS)
                b->first_collapsed[n->n_collapsed - 1] = p->fid;
        } else {
            n->n_bad_geometry++;
        }
        return AM_OK;
    }
    n->total_len_km += len_m / 1000.0;
    if (mapped) {
        n->n_routable++;
        n->n_oneway += p->w.dir != 0;
        return AM_OK;
    }
    const am_way_verdict *v = &p->v;
    if (v->ferry && v->ferry_s > 0.0)
        ferry_spread(n, arc0, v->ferry_s, v->dir);
    for (int64_t a = arc0; v->ferry && a < n->n_arcs; a++)
        n->arc_flags[a] |= AM_ARC_FERRY; /* not snapped onto */
    am_way_tags tv;
    memset(&tv, 0, sizeof tv);
    if (p->tags_at >= 0) {
        const sample_tags *st = &bt->tags[p->tags_at];
        tv.highway = st->highway[0] != '\0' ? st->highway : NULL;
        tv.maxspeed = st->maxspeed[0] != '\0' ? st->maxspeed : NULL;
        tv.duration = st->duration[0] != '\0' ? st->duration : NULL;
    }
    way_used(b, v, &tv, p->fid, p->missing);
    return AM_OK;
}

/* Adds bt's features in order; *fid: the one that failed. */
static am_status batch_add(builder *b, const batch *bt, int mapped,
                           long long *fid)
{
    size_t part = 0, at = 0;
    for (size_t i = 0; i < bt->n_feat; i++) {
        am_status rc = pending_add(b, bt, &bt->feat[i], mapped, &part, &at);
        if (rc != AM_OK) {
            *fid = bt->feat[i].fid;
            return rc;
        }
    }
    return AM_OK;
}

/*
 * Room for what adding batch bt may add (a node per vertex, two arcs and
 * a segment per segment) and for the node table it may need (rebuilt to
 * within one doubling of it, the next one in b->spare), allocated here on
 * the calling thread, so that adding bt in a parallel region allocates
 * nothing (arrays are trimmed at the end).
 */
static am_status builder_reserve(builder *b, size_t n_xy)
{
    am_road_network *n = b->net;
    const size_t nodes = (size_t)n->n_nodes + n_xy;
    const size_t arcs = (size_t)n->n_arcs + 2 * n_xy;
    size_t cap = b->node_cap;
    if (!grow((void **)&n->lon, &cap, nodes, sizeof *n->lon))
        return AM_ERR_NOMEM;
    cap = b->node_cap;
    if (!grow((void **)&n->lat, &cap, nodes, sizeof *n->lat))
        return AM_ERR_NOMEM;
    b->node_cap = cap;
    if (arcs > b->arc_cap) {
        cap = b->arc_cap;
        if (!grow((void **)&n->tail, &cap, arcs, sizeof *n->tail))
            return AM_ERR_NOMEM;
        cap = b->arc_cap;
        if (!grow((void **)&n->head, &cap, arcs, sizeof *n->head))
            return AM_ERR_NOMEM;
        cap = b->arc_cap;
        if (!grow((void **)&n->time_ds, &cap, arcs, sizeof *n->time_ds))
            return AM_ERR_NOMEM;
        cap = b->arc_cap;
        if (!grow((void **)&n->len_m, &cap, arcs, sizeof *n->len_m))
            return AM_ERR_NOMEM;
        cap = b->arc_cap;
        if (!grow((void **)&n->arc_flags, &cap, arcs, sizeof *n->arc_flags))
            return AM_ERR_NOMEM;
        b->arc_cap = cap;
    }
    if (b->crossings) {
        const size_t segs = b->n_segs + n_xy;
        cap = b->seg_cap;
        if (!grow((void **)&b->seg_arc0, &cap, segs, sizeof *b->seg_arc0))
            return AM_ERR_NOMEM;
        cap = b->seg_cap;
        if (!grow((void **)&b->seg_narcs, &cap, segs, sizeof *b->seg_narcs))
            return AM_ERR_NOMEM;
        cap = b->seg_cap;
        if (!grow((void **)&b->seg_owner, &cap, segs, sizeof *b->seg_owner))
            return AM_ERR_NOMEM;
        cap = b->seg_cap;
        if (!grow((void **)&b->seg_level, &cap, segs, sizeof *b->seg_level))
            return AM_ERR_NOMEM;
        b->seg_cap = cap;
    }
    /* node_get keeps nodes + 1 <= slots / 2 */
    size_t slots = b->mask + 1;
    while (nodes + 1 > slots / 2)
        slots *= 2;
    if (slots > 2 * (b->mask + 1)) {
        am_status rc = table_resize(b, slots / 2);
        if (rc != AM_OK)
            return rc;
    }
    if (slots == 2 * (b->mask + 1) && b->spare == NULL) {
        b->spare = am_alloc_array(slots, sizeof *b->spare);
        if (b->spare == NULL)
            return AM_ERR_NOMEM;
        b->spare_cap = slots;
    }
    return AM_OK;
}

/* Measures the vertices of task `task` (MEASURE_CHUNK of them): pure,
 * on any thread (geod_inverse reads the shared ellipsoid only). */
static void batch_measure(batch *bt, int64_t task)
{
    const size_t lo = (size_t)task * MEASURE_CHUNK;
    const size_t hi =
        lo + MEASURE_CHUNK < bt->n_xy ? lo + MEASURE_CHUNK : bt->n_xy;
    const double *x = bt->x, *y = bt->y;
    for (size_t i = lo; i < hi; i++) {
        bt->h[i] = hash_xy(x[i], y[i]);
        bt->d[i] = bt->start[i]
                       ? 0.0
                       : am_geodesic_distance_m(x[i - 1], y[i - 1], x[i], y[i]);
    }
}

/* One parallel region: the previous batch added (task 0, in order, on
 * one thread) while the current one is measured (the other tasks). */
typedef struct region_job {
    builder *b;
    const batch *add; /* NULL: none */
    batch *measure;
    int mapped;
    am_status rc; /* task 0's */
    long long fid;
} region_job;

static void region_task(int64_t task, int thread, void *user)
{
    (void)thread;
    region_job *j = user;
    if (j->add != NULL) {
        if (task == 0) {
            j->rc = batch_add(j->b, j->add, j->mapped, &j->fid);
            return;
        }
        task--;
    }
    batch_measure(j->measure, task);
}

/*
 * Reads feature f (the builder's feature_ix-th) into bt: its verdict
 * (tags and profile, or the field mapping) and, unless skipped, its
 * coordinates; a skipped feature is counted here.
 */
static am_status feature_read(builder *b, batch *bt, OGRFeatureH f,
                              long long fid, const am_road_options *opt,
                              const fields *fi, const frame *fr, am_error *err)
{
    way w = {0.0, -1.0, 0};
    tags t; /* tv points into it: it lives as long as tv */
    am_way_tags tv;
    am_way_verdict v;
    memset(&tv, 0, sizeof tv);
    memset(&v, 0, sizeof v);
    const int mapped = opt->speed_source != AM_ROAD_SPEED_PROFILE;
    if (mapped) {
        if (mapped_way(b, f, opt, fi, &w) != 0)
            return AM_OK; /* counted there */
        if (b->crossings)
            tags_read(f, fi, &t); /* the level tags */
    } else {
        tags_read(f, fi, &t);
        tags_view(&t, fi, &tv);
        am_profile_eval(b->prof, &tv, &v);
        if (v.drop != AM_WAY_USED) {
            way_dropped(b, &v);
            return AM_OK;
        }
        w.kmh = v.kmh;
        w.dir = v.dir;
    }
    if (!grow((void **)&bt->feat, &bt->feat_cap, bt->n_feat + 1,
              sizeof *bt->feat))
        return AM_ERR_NOMEM;
    pending *p = &bt->feat[bt->n_feat];
    p->fid = fid;
    p->ix = b->feature_ix;
    p->w = w;
    p->v = v;
    p->level = b->crossings ? way_level(&t) : 0;
    p->missing = !mapped && idset_has(&b->missing, fid);
    p->tags_at = -1;
    p->n_parts = 0;
    if (!mapped &&
        (v.ferry_bad_duration || v.maxspeed == AM_MAXSPEED_USE_UNPARSABLE ||
         v.maxspeed == AM_MAXSPEED_USE_IMPLAUSIBLE)) {
        /* the tags a warning may quote */
        if (!grow((void **)&bt->tags, &bt->tags_cap, bt->n_tags + 1,
                  sizeof *bt->tags))
            return AM_ERR_NOMEM;
        sample_tags *st = &bt->tags[bt->n_tags];
        memcpy(st->highway, t.val[T_HIGHWAY], TAG_MAX);
        memcpy(st->maxspeed, t.val[T_MAXSPEED], TAG_MAX);
        memcpy(st->duration, t.val[T_DURATION], TAG_MAX);
        p->tags_at = (int)bt->n_tags++;
    }
    bt->n_feat++;
    return feature_coords(b, bt, p, OGR_F_GetGeometryRef(f), fr, err);
}

/* The measure arrays of bt sized for its vertices (before the region). */
static am_status batch_ready(batch *bt)
{
    size_t cap = bt->dh_cap;
    if (!grow((void **)&bt->d, &cap, bt->n_xy, sizeof *bt->d))
        return AM_ERR_NOMEM;
    cap = bt->dh_cap;
    if (!grow((void **)&bt->h, &cap, bt->n_xy, sizeof *bt->h))
        return AM_ERR_NOMEM;
    bt->dh_cap = cap;
    return AM_OK;
}

/* What reading a batch needs (read_features' arguments). */
/* More road features than the limit (issue 13, `limits.road_features`). */
static am_status too_many_features(const am_road_options *opt,
                                   const char *lname, int64_t max,
                                   am_error *err)
{
    am_status rc = am_error_set(err, AM_ERR_INVALID, opt->path,
                                "more than %lld road features: beyond the "
                                "limit (raise it with 'limits: "
                                "{road_features: N}' in the scenario)",
                                (long long)max);
    am_error_set_layer(err, lname);
    return rc;
}

typedef struct read_ctx {
    GDALDatasetH ds;
    int by_dataset;
    OGRLayerH layer;
    const am_road_options *opt;
    const char *lname;
    const fields *fi;
    const frame *fr;
    builder *b;
    am_gdal_errors *ge;
    am_progress_fn progress;
    void *user;
    double *file_frac;
    long long *last_fid;
    GIntBig total;        /* features in the layer, -1: unknown */
    int64_t max_features; /* issue 13, limits.road_features */
} read_ctx;

/*
 * Reads batch bt's features (phase 1: GDAL, tags, coordinates, on the
 * calling thread): until it holds BATCH_VERTICES vertices or
 * BATCH_FEATURES features (*eof = 0) or the layer ends (*eof = 1).
 * GDAL reports a damaged file through its error handler: the feature
 * iterator may then return a feature without its geometry, or NULL as if
 * the layer had ended. So the failures reported while fetching each
 * feature are counted (ge, installed by the caller), and any makes the
 * load fail, naming the feature when one came back.
 */
static am_status batch_read(const read_ctx *c, batch *bt, int *eof,
                            am_error *err)
{
    builder *b = c->b;
    const am_road_options *opt = c->opt;
    am_road_network *n = b->net;
    am_gdal_errors *ge = c->ge;
    char msg[128];
    *eof = 0;
    while (bt->n_xy < BATCH_VERTICES && bt->n_feat < BATCH_FEATURES) {
        long before = ge->n_failures;
        OGRFeatureH f =
            next_feature(c->ds, c->layer, c->by_dataset, c->file_frac);
        if (ge->n_failures > before) {
            long long fid = f != NULL ? (long long)OGR_F_GetFID(f) : -1;
            if (f != NULL)
                OGR_F_Destroy(f);
            if (fid < 0 && n->n_features == 0 && !c->by_dataset &&
                filter_failed(c->layer, opt))
                return bad_filter(opt, c->lname, ge->first, err);
            return am_gdal_read_failed(ge, opt->path, c->lname, "roads", fid,
                                       *c->last_fid, n->n_features, err);
        }
        if (f == NULL) {
            *eof = 1;
            return AM_OK;
        }
        /* Processing below may call GDAL too (curve stroking): its
         * failures are not read errors; the count restarts after it. */
        n->n_features++;
        if (n->n_features > c->max_features) {
            OGR_F_Destroy(f);
            return too_many_features(opt, c->lname, c->max_features, err);
        }
        *c->last_fid = (long long)OGR_F_GetFID(f);
        b->feature_ix = n->n_features;
        am_status rc =
            feature_read(b, bt, f, *c->last_fid, opt, c->fi, c->fr, err);
        OGR_F_Destroy(f);
        if (rc != AM_OK) {
            if (rc == AM_ERR_NOMEM)
                am_error_set(err, rc, opt->path,
                             "out of memory building the road graph");
            am_error_set_layer(err, c->lname);
            am_error_set_feature(err, *c->last_fid);
            return rc;
        }
        am_gdal_capture_clear(ge);
        if (c->progress != NULL && n->n_features % PROGRESS_EVERY == 0) {
            snprintf(msg, sizeof msg, "roads: %lld features read",
                     (long long)n->n_features);
            double frac = c->by_dataset ? *c->file_frac
                          : c->total > 0
                              ? (double)n->n_features / (double)c->total
                              : 0.0;
            if (!c->progress(frac < 1.0 ? frac : 1.0, msg, c->user))
                return am_error_set(err, AM_ERR_CANCELLED, opt->path,
                                    "cancelled while reading roads");
        }
    }
    return AM_OK;
}

/* An error adding feature fid (out of memory, too many nodes). */
static am_status add_failed(am_status rc, const am_road_options *opt,
                            const char *lname, long long fid, am_error *err)
{
    if (rc == AM_ERR_NOMEM)
        am_error_set(err, rc, opt->path,
                     "out of memory building the road graph");
    else if (rc == AM_ERR_INVALID)
        am_error_set(err, rc, opt->path, "more than %d road nodes", INT32_MAX);
    am_error_set_layer(err, lname);
    am_error_set_feature(err, fid);
    return rc;
}

/*
 * Reads every feature, in batches: batch k is read (GDAL, on this
 * thread), then measured in parallel (segment lengths, node hashes)
 * while batch k-1 is added in feature order on one thread of the same
 * region (nodes, arcs, counts), so that every array and count is the
 * same as adding each feature as it is read, for any thread count. A
 * read error is reported after the features before it are added (their
 * own failure, if any, comes first, as it would have).
 */
static am_status read_features(GDALDatasetH ds, int by_dataset, OGRLayerH layer,
                               const am_road_options *opt, const char *lname,
                               const fields *fi, const frame *fr, builder *b,
                               am_gdal_errors *ge, am_progress_fn progress,
                               void *user, am_error *err)
{
    double file_frac = 0.0;
    long long last_fid = -1;
    read_ctx c = {
        ds,   by_dataset, layer,     opt, lname,
        fi,   fr,         b,         ge,  progress,
        user, &file_frac, &last_fid, -1,  am_input_limits_get().road_features};
    c.total = by_dataset ? -1 : OGR_L_GetFeatureCount(layer, FALSE);
    const int mapped = opt->speed_source != AM_ROAD_SPEED_PROFILE;
    batch bt[2];
    memset(bt, 0, sizeof bt);
    am_error read_err;
    am_error_clear(&read_err);
    am_status read_rc = AM_OK, rc = AM_OK;
    int cur = 0, have_prev = 0, eof = 0;
    /* Failures before the loop (layer setup) are not read errors. */
    am_gdal_capture_clear(ge);
    if (by_dataset)
        GDALDatasetResetReading(ds);
    else
        OGR_L_ResetReading(layer);
    if (by_dataset) {
        /* the OSM driver's word on missing nodes (osm_debug) */
        ge->on_debug = osm_debug;
        ge->debug_user = b;
    }
    while (read_rc == AM_OK && !eof) {
        batch *now = &bt[cur], *prev = have_prev ? &bt[1 - cur] : NULL;
        read_rc = batch_read(&c, now, &eof, &read_err);
        if ((rc = batch_ready(now)) != AM_OK) {
            rc = am_error_set(err, rc, opt->path,
                              "out of memory building the road graph");
            am_error_set_layer(err, lname);
            goto done;
        }
        if (prev != NULL && (rc = builder_reserve(b, prev->n_xy)) != AM_OK) {
            rc = am_error_set(err, rc, opt->path,
                              "out of memory building the road graph");
            am_error_set_layer(err, lname);
            goto done;
        }
        /* joining within a tolerance allocates in its grid: not in the
         * region (such layers are small) */
        region_job job = {b, b->join == NULL ? prev : NULL, now, mapped, AM_OK,
                          -1};
        if (prev != NULL && b->join != NULL)
            job.rc = batch_add(b, prev, mapped, &job.fid);
        if (job.rc == AM_OK) {
            int64_t tasks =
                (int64_t)((now->n_xy + MEASURE_CHUNK - 1) / MEASURE_CHUNK) +
                (job.add != NULL);
            am_tasks_run(tasks, opt->threads, region_task, &job);
        }
        if (job.rc != AM_OK) {
            rc = add_failed(job.rc, opt, lname, job.fid, err);
            goto done;
        }
        if (prev != NULL)
            batch_clear(prev);
        have_prev = 1;
        cur = 1 - cur;
    }
    /* the last batch read */
    long long fid = -1;
    if (have_prev && (rc = batch_add(b, &bt[1 - cur], mapped, &fid)) != AM_OK)
        rc = add_failed(rc, opt, lname, fid, err);
    else if (read_rc != AM_OK) {
        if (err != NULL)
            *err = read_err;
        rc = read_rc;
    }
done:
    batch_free(&bt[0]);
    batch_free(&bt[1]);
    return rc;
}

/* ---------------------------------------------------------------------- */
/* Ranges: a layer read on several threads, merged in feature order        */
/* ---------------------------------------------------------------------- */

/*
 * Drivers whose sequential order is ascending FID and which can start a
 * read at a FID cheaply (GeoPackage: a rowid range, SQLite scans a rowid
 * table in rowid order; Shapefile and FlatGeobuf: the FID is the record's
 * index, OLCFastSetNextByIndex) are read in ranges of FIDs, one GDAL
 * dataset per thread (GDAL handles are not thread-safe; separate ones
 * are), each range into its own batch with its own counts, measured on
 * the thread that read it. The ranges are added strictly in FID order
 * (the previous group's on one thread while the next group is read), so
 * node ids, arcs, counts and warnings are those of the sequential read.
 * Each range checks that its FIDs ascend inside it; if one does not (a
 * driver that orders otherwise), the whole layer is read again
 * sequentially.
 */
#ifndef AM_ROADS_RANGE_FIDS
#define AM_ROADS_RANGE_FIDS 2048 /* FIDs per range */
#endif
#ifndef AM_ROADS_RANGE_MIN
#define AM_ROADS_RANGE_MIN 16384 /* features below which one thread reads */
#endif
#define RANGE_FIDS AM_ROADS_RANGE_FIDS
#define RANGE_MIN AM_ROADS_RANGE_MIN

typedef enum { RK_GPKG = 1, RK_INDEX = 2 } range_kind;

/* One thread's dataset. */
typedef struct reader {
    GDALDatasetH ds;
    OGRLayerH layer;
    frame fr;
} reader;

/* One range's read. */
typedef struct range_read {
    long long lo, hi; /* FIDs [lo, hi); hi LLONG_MAX: to the end */
    builder rb;       /* its counts (rb.net), first ids, non-lines */
    am_road_network net;
    batch bt;
    am_status rc;       /* AM_OK; else why it stopped */
    int gdal_failed;    /* GDAL reported a failure fetching a feature */
    int out_of_order;   /* a FID outside the range or not ascending */
    long long fail_fid; /* the feature GDAL failed on, -1: none back */
    long long last_fid; /* the last feature read, -1: none */
    am_gdal_errors ge;  /* GDAL's failure (gdal_failed) */
    am_error err;       /* rc's message unless gdal_failed */
} range_read;

/* A group of ranges read in one region while the previous is added. */
typedef struct range_job {
    builder *b;
    const am_road_options *opt;
    const fields *fi;
    range_kind kind;
    const char *fid_col; /* RK_GPKG */
    reader *rd;          /* [threads] */
    range_read *read;    /* [n_read] */
    int64_t n_read;
    range_read *add; /* [n_add] (NULL: none), added in order */
    int64_t n_add;
    int mapped;
    /* the add task's outcome */
    am_status rc;
    long long fid; /* the feature that failed to be added */
    int64_t added; /* ranges fully added */
} range_job;

/* Reads range r on reader rd (one thread). */
static void range_fetch(range_job *j, reader *rd, range_read *r)
{
    builder *rb = &r->rb;
    am_road_network *n = rb->net;
    char filter[256];
    am_gdal_capture_begin(&r->ge);
    if (j->kind == RK_GPKG) {
        if (r->hi == LLONG_MAX)
            snprintf(filter, sizeof filter, "\"%s\" >= %lld", j->fid_col,
                     r->lo);
        else
            snprintf(filter, sizeof filter, "\"%s\" >= %lld AND \"%s\" < %lld",
                     j->fid_col, r->lo, j->fid_col, r->hi);
        OGR_L_SetAttributeFilter(rd->layer, filter);
        OGR_L_ResetReading(rd->layer);
    } else {
        OGR_L_SetNextByIndex(rd->layer, (GIntBig)r->lo);
    }
    am_gdal_capture_clear(&r->ge);
    for (;;) {
        OGRFeatureH f = OGR_L_GetNextFeature(rd->layer);
        if (r->ge.n_failures > 0) {
            r->fail_fid = f != NULL ? (long long)OGR_F_GetFID(f) : -1;
            if (f != NULL)
                OGR_F_Destroy(f);
            /* a failure at a feature beyond the range is not this one's */
            if (r->fail_fid >= r->hi) {
                r->ge.n_failures = 0;
                break;
            }
            r->gdal_failed = 1;
            r->rc = AM_ERR_IO;
            break;
        }
        if (f == NULL)
            break;
        const long long fid = (long long)OGR_F_GetFID(f);
        if (fid >= r->hi) {
            OGR_F_Destroy(f);
            break;
        }
        if (fid < r->lo || fid <= r->last_fid) {
            OGR_F_Destroy(f);
            r->out_of_order = 1;
            r->rc = AM_ERR_INTERNAL;
            break;
        }
        n->n_features++;
        r->last_fid = fid;
        rb->feature_ix = n->n_features; /* made global when added */
        am_status rc =
            feature_read(rb, &r->bt, f, fid, j->opt, j->fi, &rd->fr, &r->err);
        OGR_F_Destroy(f);
        if (rc != AM_OK) {
            if (rc == AM_ERR_NOMEM)
                am_error_set(&r->err, rc, j->opt->path,
                             "out of memory building the road graph");
            am_error_set_layer(&r->err, OGR_L_GetName(rd->layer));
            am_error_set_feature(&r->err, fid);
            r->rc = rc;
            break;
        }
        am_gdal_capture_clear(&r->ge);
    }
    am_gdal_capture_end(&r->ge);
    /* measured here, on the thread that read it */
    if (batch_ready(&r->bt) != AM_OK) {
        if (r->rc == AM_OK) {
            r->rc = am_error_set(&r->err, AM_ERR_NOMEM, j->opt->path,
                                 "out of memory building the road graph");
            am_error_set_layer(&r->err, OGR_L_GetName(rd->layer));
        }
        r->bt.n_feat = 0; /* nothing to add */
        return;
    }
    const int64_t chunks =
        (int64_t)((r->bt.n_xy + MEASURE_CHUNK - 1) / MEASURE_CHUNK);
    for (int64_t k = 0; k < chunks; k++)
        batch_measure(&r->bt, k);
}

/* first_ids over a range's list: the global first FIRST_IDS. */
static void ids_merge(long long *ids, int64_t count, const long long *more,
                      int64_t n_more)
{
    for (int64_t i = 0; i < n_more && i < FIRST_IDS; i++)
        first_ids(ids, count + i + 1, more[i]);
}

/* Adds range r's counts to b's, as reading its features there would. */
static void range_tally(builder *b, const range_read *r)
{
    am_road_network *n = b->net;
    const builder *rb = &r->rb;
    const am_road_network *m = &r->net;
    ids_merge(b->first_unlisted, n->n_unlisted_class, rb->first_unlisted,
              m->n_unlisted_class);
    ids_merge(b->first_bad_value, n->n_bad_value, rb->first_bad_value,
              m->n_bad_value);
    ids_merge(b->first_bad_oneway, n->n_bad_oneway, rb->first_bad_oneway,
              m->n_bad_oneway);
    for (int i = 0; i < rb->n_first_class && b->n_first_class < FIRST_IDS;
         i++) {
        int seen = 0;
        for (int k = 0; k < b->n_first_class; k++)
            seen |= strcmp(b->first_class[k], rb->first_class[i]) == 0;
        if (!seen)
            memcpy(b->first_class[b->n_first_class++], rb->first_class[i],
                   TAG_MAX);
    }
    if (b->n_nonline == 0 && rb->n_nonline > 0)
        b->nonline = rb->nonline;
    b->n_nonline += rb->n_nonline;
    n->n_features += m->n_features;
    n->n_not_routable += m->n_not_routable;
    n->n_area += m->n_area;
    n->n_closed_access += m->n_closed_access;
    n->n_reversible += m->n_reversible;
    n->n_unlisted_class += m->n_unlisted_class;
    n->n_bad_value += m->n_bad_value;
    n->n_bad_oneway += m->n_bad_oneway;
}

/* Adds the ranges j->add in order, up to the first that failed (its
 * features read before the failure included); j->added: those done. */
static void ranges_add(range_job *j)
{
    builder *b = j->b;
    for (int64_t i = 0; i < j->n_add; i++) {
        range_read *r = &j->add[i];
        if (r->out_of_order)
            return; /* read again sequentially: nothing more added */
        const int64_t base = b->net->n_features;
        for (size_t k = 0; k < r->bt.n_feat; k++)
            r->bt.feat[k].ix += base;
        range_tally(b, r);
        j->rc = batch_add(b, &r->bt, j->mapped, &j->fid);
        if (j->rc != AM_OK || r->rc != AM_OK)
            return;
        j->added++;
    }
}

static void range_task(int64_t task, int thread, void *user)
{
    range_job *j = user;
    if (j->add != NULL) {
        if (task == 0) {
            ranges_add(j);
            return;
        }
        task--;
    }
    range_fetch(j, &j->rd[thread], &j->read[task]);
}

static void range_reset(range_read *r, long long lo, long long hi)
{
    batch_clear(&r->bt);
    memset(&r->net, 0, sizeof r->net);
    batch keep = r->bt;
    const am_profile *prof = r->rb.prof;
    const int crossings = r->rb.crossings;
    memset(r, 0, sizeof *r);
    r->bt = keep;
    r->rb.net = &r->net;
    r->rb.prof = prof;
    r->rb.crossings = crossings;
    r->lo = lo;
    r->hi = hi;
    r->fail_fid = -1;
    r->last_fid = -1;
    am_error_clear(&r->err);
}

/*
 * How the layer can be read in ranges: RK_GPKG (with its FID column and
 * FID bounds), RK_INDEX (FIDs 0 .. count - 1), or 0 (sequentially: an
 * OSM file, a filter, another driver, one thread, a small layer).
 */
static range_kind ranges_possible(GDALDatasetH ds, OGRLayerH layer, int is_osm,
                                  const am_road_options *opt, long long *lo,
                                  long long *hi)
{
    if (is_osm || (opt->where != NULL && opt->where[0] != '\0') ||
        am_tasks_threads(1 << 20, opt->threads) < 2)
        return 0;
    GDALDriverH drv = GDALGetDatasetDriver(ds);
    const char *dn = drv != NULL ? GDALGetDriverShortName(drv) : "";
    if (dn == NULL)
        return 0;
    const GIntBig count = OGR_L_TestCapability(layer, OLCFastFeatureCount)
                              ? OGR_L_GetFeatureCount(layer, FALSE)
                              : -1;
    if (count < RANGE_MIN)
        return 0;
    if (strcmp(dn, "ESRI Shapefile") == 0 || strcmp(dn, "FlatGeobuf") == 0) {
        if (!OGR_L_TestCapability(layer, OLCFastSetNextByIndex))
            return 0;
        *lo = 0;
        *hi = (long long)count;
        return RK_INDEX;
    }
    if (strcmp(dn, "GPKG") != 0)
        return 0;
    /* The fast count is gpkg_ogr_contents.feature_count, a number any
     * writer (or a forger) sets: a row takes at least 4 bytes of the
     * file, so a count above size / 4 is not the table's, and the span
     * check below would let through ~10^12 empty ranges (a hang). */
    struct stat st;
    if (stat(opt->path, &st) != 0 || count > (GIntBig)(st.st_size / 4))
        return 0;
    const char *col = OGR_L_GetFIDColumn(layer);
    if (col == NULL || col[0] == '\0' || strchr(col, '"') != NULL ||
        strlen(col) > 64 || strchr(OGR_L_GetName(layer), '"') != NULL)
        return 0;
    char sql[AM_ERROR_LAYER_MAX + 160];
    snprintf(sql, sizeof sql, "SELECT MIN(\"%s\"), MAX(\"%s\") FROM \"%s\"",
             col, col, OGR_L_GetName(layer));
    am_gdal_errors ge;
    am_gdal_capture_begin(&ge);
    OGRLayerH res = GDALDatasetExecuteSQL(ds, sql, NULL, NULL);
    range_kind k = 0;
    if (res != NULL) {
        OGRFeatureH f = OGR_L_GetNextFeature(res);
        if (f != NULL && OGR_F_IsFieldSetAndNotNull(f, 0) &&
            OGR_F_IsFieldSetAndNotNull(f, 1)) {
            *lo = (long long)OGR_F_GetFieldAsInteger64(f, 0);
            *hi = (long long)OGR_F_GetFieldAsInteger64(f, 1);
            /* Dense FIDs only: ranges follow the FID span, so a span far
             * wider than the count (huge gaps: millions of empty ranges)
             * or extreme FIDs (a span that overflows) are read
             * sequentially. Within +-2^53 the span cannot overflow. */
            const long long lim = 1LL << 53;
            k = *lo >= -lim && *hi <= lim && *hi >= *lo &&
                        (*hi - *lo) / 2 < (long long)count
                    ? RK_GPKG
                    : 0;
            if (k != 0)
                *hi += 1;
        }
        if (f != NULL)
            OGR_F_Destroy(f);
        GDALDatasetReleaseResultSet(ds, res);
    }
    am_gdal_capture_end(&ge);
    return ge.n_failures > 0 ? 0 : k;
}

/* Adds the ranges of a group read (on this thread or as task 0 of the
 * next region, see range_job) and turns a range's failure into the error
 * a sequential read gives. *again: a range was out of FID order. */
static am_status ranges_check(range_job *j, const char *lname,
                              long long *last_fid, int *again, am_error *err)
{
    const am_road_options *opt = j->opt;
    for (int64_t i = 0; i < j->added; i++)
        if (j->add[i].last_fid >= 0)
            *last_fid = j->add[i].last_fid;
    if (j->rc != AM_OK)
        return add_failed(j->rc, opt, lname, j->fid, err);
    if (j->added == j->n_add)
        return AM_OK;
    range_read *r = &j->add[j->added];
    if (r->out_of_order) {
        *again = 1;
        return AM_OK;
    }
    if (r->gdal_failed)
        return am_gdal_read_failed(&r->ge, opt->path, lname, "roads",
                                   r->fail_fid,
                                   r->last_fid >= 0 ? r->last_fid : *last_fid,
                                   j->b->net->n_features, err);
    if (err != NULL)
        *err = r->err;
    return r->rc;
}

/* The room adding group `add` needs, reserved on this thread. */
static am_status ranges_reserve(builder *b, const range_read *add, int64_t n)
{
    size_t n_xy = 0;
    for (int64_t i = 0; i < n; i++)
        n_xy += add[i].bt.n_xy;
    return builder_reserve(b, n_xy);
}

/*
 * Reads the layer in ranges of RANGE_FIDS FIDs from fid_lo (the last one
 * to the end), groups of 8 per thread at a time: group k read while group
 * k-1 is added. *again = 1 (and AM_OK) when the driver's order was not
 * ascending FIDs: the caller reads the layer sequentially instead, into a
 * fresh builder.
 */
static am_status read_ranges(OGRLayerH layer, range_kind kind, long long fid_lo,
                             long long fid_hi, const am_road_options *opt,
                             const char *lname, const fields *fi, builder *b,
                             am_progress_fn progress, void *user, int *again,
                             am_error *err)
{
    *again = 0;
    const int nt = am_tasks_threads(1 << 20, opt->threads);
    const int64_t group = 8 * (int64_t)nt;
    const int64_t n_ranges =
        (int64_t)((fid_hi - fid_lo + RANGE_FIDS - 1) / RANGE_FIDS);
    const long long total = (long long)OGR_L_GetFeatureCount(layer, FALSE);
    const int64_t max_features = am_input_limits_get().road_features;
    am_status rc = AM_OK;
    reader *rd = am_calloc((size_t)nt, sizeof *rd);
    range_read *rr = am_calloc((size_t)(2 * group), sizeof *rr);
    if (rd == NULL || rr == NULL) {
        rc = am_error_set(err, AM_ERR_NOMEM, opt->path,
                          "out of memory building the road graph");
        goto done;
    }
    for (int64_t i = 0; i < 2 * group; i++) {
        rr[i].rb.prof = b->prof;
        rr[i].rb.crossings = b->crossings;
    }
    for (int t = 0; t < nt; t++) {
        if ((rc = am_gdal_open(opt->path, AM_GDAL_VECTOR, &rd[t].ds, err)) !=
            AM_OK)
            goto done;
        rd[t].layer = GDALDatasetGetLayerByName(rd[t].ds, lname);
        if (rd[t].layer == NULL) {
            rc = am_error_set(err, AM_ERR_IO, opt->path,
                              "layer '%s' vanished while the file was read",
                              lname);
            goto done;
        }
        if ((rc = frame_setup(rd[t].layer, opt->path, lname, &rd[t].fr, err)) !=
            AM_OK)
            goto done;
    }
    range_job job = {b,
                     opt,
                     fi,
                     kind,
                     OGR_L_GetFIDColumn(layer),
                     rd,
                     NULL,
                     0,
                     NULL,
                     0,
                     opt->speed_source != AM_ROAD_SPEED_PROFILE,
                     AM_OK,
                     -1,
                     0};
    long long last_fid = -1;
    int cur = 0;
    for (int64_t first = 0; first < n_ranges || job.add != NULL;
         first += group) {
        const int64_t n_read =
            first < n_ranges
                ? (n_ranges - first < group ? n_ranges - first : group)
                : 0;
        job.read = rr + cur * group;
        job.n_read = n_read;
        for (int64_t k = 0; k < n_read; k++) {
            const long long lo = fid_lo + (first + k) * (long long)RANGE_FIDS;
            range_reset(&job.read[k], lo,
                        first + k + 1 == n_ranges ? LLONG_MAX
                                                  : lo + RANGE_FIDS);
        }
        job.rc = AM_OK;
        job.added = 0;
        if (job.add != NULL &&
            (rc = ranges_reserve(b, job.add, job.n_add)) != AM_OK) {
            rc = am_error_set(err, rc, opt->path,
                              "out of memory building the road graph");
            am_error_set_layer(err, lname);
            goto done;
        }
        /* joining within a tolerance allocates in its grid: added here,
         * not in the region (as read_features does) */
        const int serial_add = job.add != NULL && b->join != NULL;
        if (serial_add)
            ranges_add(&job);
        range_job rj = job;
        if (serial_add)
            rj.add = NULL;
        const int64_t tasks = rj.n_read + (rj.add != NULL);
        if (tasks > 0 && job.rc == AM_OK)
            am_tasks_run(tasks, opt->threads, range_task, &rj);
        if (!serial_add) {
            job.rc = rj.rc;
            job.fid = rj.fid;
            job.added = rj.added;
        }
        if (job.add != NULL) {
            rc = ranges_check(&job, lname, &last_fid, again, err);
            if (rc != AM_OK || *again)
                goto done;
        }
        if (b->net->n_features > max_features) {
            rc = too_many_features(opt, lname, max_features, err);
            goto done;
        }
        if (progress != NULL && job.add != NULL) {
            char msg[96];
            snprintf(msg, sizeof msg, "roads: %lld features read",
                     (long long)b->net->n_features);
            const double frac =
                total > 0 ? (double)b->net->n_features / (double)total : 0.0;
            if (!progress(frac < 1.0 ? frac : 1.0, msg, user)) {
                rc = am_error_set(err, AM_ERR_CANCELLED, opt->path,
                                  "cancelled while reading roads");
                goto done;
            }
        }
        job.add = n_read > 0 ? job.read : NULL;
        job.n_add = n_read;
        cur = 1 - cur;
    }
done:
    for (int t = 0; rd != NULL && t < nt; t++) {
        am_transform_destroy(rd[t].fr.to_wgs84);
        if (rd[t].ds != NULL)
            GDALClose(rd[t].ds);
    }
    for (int64_t i = 0; rr != NULL && i < 2 * group; i++)
        batch_free(&rr[i].bt);
    am_free(rd);
    am_free(rr);
    return rc;
}

/* ---------------------------------------------------------------------- */
/* Crossings (join_crossings)                                              */
/* ---------------------------------------------------------------------- */

/* A point where a segment is split. */
typedef struct split {
    int64_t seg;
    double t; /* along the segment, a -> b, in (0, 1) */
    int32_t node;
} split;

static int cmp_split(const void *x, const void *y)
{
    const split *a = x, *b = y;
    if (a->seg != b->seg)
        return a->seg < b->seg ? -1 : 1;
    if (a->t != b->t)
        return a->t < b->t ? -1 : 1;
    return (a->node > b->node) - (a->node < b->node);
}

/*
 * Writes the pieces of arc `a` (of segment a -> b, split at sp[0 .. k-1],
 * sorted along it) at *at in the new arrays. Lengths go in proportion to
 * t; times through am_road_time_share from the segment's a end, so they
 * are whole deciseconds summing to the arc's, and a two-way segment's
 * pieces have the same time both ways. reverse: the arc runs b -> a.
 */
static void arc_pieces(const am_road_network *n, int64_t a, const split *sp,
                       size_t k, int reverse, am_road_network *out, int64_t *at)
{
    int32_t ends[2] = {n->tail[a], n->head[a]};
    if (reverse) {
        ends[0] = n->head[a];
        ends[1] = n->tail[a];
    }
    uint64_t given = 0;
    int64_t first = *at;
    for (size_t p = 0; p <= k; p++) {
        double t0 = p == 0 ? 0.0 : sp[p - 1].t;
        double t1 = p == k ? 1.0 : sp[p].t;
        int32_t u = p == 0 ? ends[0] : sp[p - 1].node;
        int32_t v = p == k ? ends[1] : sp[p].node;
        uint32_t time = am_road_time_share(t1, 1.0, n->time_ds[a], &given);
        /* forward: pieces in order; reverse: the same pieces, last first */
        int64_t slot = reverse ? first + (int64_t)(k - p) : first + (int64_t)p;
        out->tail[slot] = reverse ? v : u;
        out->head[slot] = reverse ? u : v;
        out->len_m[slot] = (float)((double)n->len_m[a] * (t1 - t0));
        out->time_ds[slot] = time;
        out->arc_flags[slot] = n->arc_flags[a];
    }
    *at += (int64_t)k + 1;
}

/*
 * Joins crossing segments (am_road_options.join_crossings): finds them
 * (geo/crossings.h), gives each meeting point a node (an existing end,
 * a node already at those exact coordinates, or a new one, in the order
 * of the crossing pairs), and replaces each split segment's arcs by its
 * pieces, in place in the arc order. n->n_crossings: the distinct nodes
 * where a segment was split.
 */
static am_status crossings_join(builder *b)
{
    am_road_network *n = b->net;
    am_status rc = AM_OK;
    int32_t *sa = NULL, *sb = NULL;
    am_crossing *cr = NULL;
    int64_t n_cr = 0;
    split *sp = NULL;
    uint8_t *seen = NULL;
    am_road_network out = {0};
    size_t n_sp = 0;
    if (b->n_segs < 2)
        return AM_OK;
    sa = am_alloc_array(b->n_segs, sizeof *sa);
    sb = am_alloc_array(b->n_segs, sizeof *sb);
    if (sa == NULL || sb == NULL) {
        rc = AM_ERR_NOMEM;
        goto cleanup;
    }
    for (size_t s = 0; s < b->n_segs; s++) {
        sa[s] = n->tail[b->seg_arc0[s]];
        sb[s] = n->head[b->seg_arc0[s]];
    }
    am_crossing_input in = {
        n->lon, n->lat,       n->n_nodes,   sa,
        sb,     b->seg_owner, b->seg_level, (int64_t)b->n_segs};
    if ((rc = am_crossings_find(&in, &cr, &n_cr)) != AM_OK || n_cr == 0)
        goto cleanup;
    sp = am_alloc_array((size_t)n_cr * 2, sizeof *sp);
    if (sp == NULL) {
        rc = AM_ERR_NOMEM;
        goto cleanup;
    }
    /* a node per crossing; join grid off: a meeting point joins nothing */
    am_join_grid *join = b->join;
    b->join = NULL;
    for (int64_t c = 0; c < n_cr && rc == AM_OK; c++) {
        /* a ferry crosses roads without meeting them (no boarding
         * mid-water): its crossings join nothing */
        if ((n->arc_flags[b->seg_arc0[cr[c].seg[0]]] |
             n->arc_flags[b->seg_arc0[cr[c].seg[1]]]) &
            AM_ARC_FERRY)
            continue;
        int32_t node = cr[c].node;
        if (node < 0)
            rc = node_get(b, cr[c].lon, cr[c].lat,
                          hash_xy(cr[c].lon, cr[c].lat), 0, -1, &node);
        for (int side = 0; rc == AM_OK && side < 2; side++) {
            int64_t s = cr[c].seg[side];
            if (cr[c].t[side] > 0.0 && cr[c].t[side] < 1.0 && node != sa[s] &&
                node != sb[s])
                sp[n_sp++] = (split){s, cr[c].t[side], node};
        }
    }
    b->join = join;
    if (rc != AM_OK)
        goto cleanup;
    qsort(sp, n_sp, sizeof *sp, cmp_split);
    /* one split per (segment, node): a node on a segment may be found
     * through both segments that end at it */
    size_t m = 0;
    for (size_t i = 0; i < n_sp; i++) {
        int dup = 0;
        for (size_t j = m; j-- > 0 && sp[j].seg == sp[i].seg;)
            if (sp[j].node == sp[i].node)
                dup = 1;
        if (!dup)
            sp[m++] = sp[i];
    }
    n_sp = m;
    seen = am_calloc((size_t)n->n_nodes, 1);
    if (seen == NULL) {
        rc = AM_ERR_NOMEM;
        goto cleanup;
    }
    for (size_t i = 0; i < n_sp; i++)
        if (!seen[sp[i].node]) {
            seen[sp[i].node] = 1;
            n->n_crossings++;
        }

    /* the new arc arrays: each split segment's arcs become its pieces */
    int64_t extra = 0;
    for (size_t i = 0; i < n_sp; i++)
        extra += b->seg_narcs[sp[i].seg];
    const size_t na = (size_t)(n->n_arcs + extra);
    out.tail = am_alloc_array(na, sizeof *out.tail);
    out.head = am_alloc_array(na, sizeof *out.head);
    out.time_ds = am_alloc_array(na, sizeof *out.time_ds);
    out.len_m = am_alloc_array(na, sizeof *out.len_m);
    out.arc_flags = am_alloc_array(na, sizeof *out.arc_flags);
    if (!out.tail || !out.head || !out.time_ds || !out.len_m ||
        !out.arc_flags) {
        rc = AM_ERR_NOMEM;
        goto cleanup;
    }
    /* every arc belongs to a segment (seg_add precedes each arc_add when
     * crossings are joined), so the segments cover the arcs in order */
    int64_t at = 0, a = 0;
    size_t i = 0;
    for (size_t s = 0; s < b->n_segs; s++) {
        size_t k = 0;
        while (i + k < n_sp && sp[i + k].seg == (int64_t)s)
            k++;
        for (int r = 0; r < b->seg_narcs[s]; r++, a++)
            arc_pieces(n, a, sp + i, k, r == 1, &out, &at);
        i += k;
    }
    if (a != n->n_arcs) {
        rc = AM_ERR_INTERNAL;
        goto cleanup;
    }
    am_free(n->tail);
    am_free(n->head);
    am_free(n->time_ds);
    am_free(n->len_m);
    am_free(n->arc_flags);
    n->tail = out.tail;
    n->head = out.head;
    n->time_ds = out.time_ds;
    n->len_m = out.len_m;
    n->arc_flags = out.arc_flags;
    n->n_arcs = at;
    b->arc_cap = (size_t)at;
    out.tail = NULL;
    out.head = NULL;
    out.time_ds = NULL;
    out.len_m = NULL;
    out.arc_flags = NULL;

cleanup:
    am_free(sa);
    am_free(sb);
    am_free(cr);
    am_free(sp);
    am_free(seen);
    am_free(out.tail);
    am_free(out.head);
    am_free(out.time_ds);
    am_free(out.len_m);
    am_free(out.arc_flags);
    return rc;
}

/*
 * GDAL's OSM driver does not survive every failed allocation: GDAL 3.6
 * builds features whose field array came from an unchecked calloc, and
 * OGRFeature::SetField then dereferences NULL (a segfault seen under
 * `ulimit -v` of 270-400 MiB on the demo; gdb: OGRFeature::SetField <-
 * the OSM layer <- GDALDatasetGetNextFeature, with this->pauFields NULL).
 * Nothing on our side can catch that, so before an OSM file is opened the
 * driver's footprint must fit in what the address-space limit leaves.
 */
am_status am_roads_osm_memory_check(const char *path, am_error *err)
{
    if (path == NULL)
        return AM_OK;
    am_gdal_init();
    am_gdal_errors ge;
    am_gdal_capture_begin(&ge);
    GDALDriverH drv = GDALIdentifyDriverEx(path, GDAL_OF_VECTOR, NULL, NULL);
    am_gdal_capture_end(&ge);
    const char *dname = drv != NULL ? GDALGetDriverShortName(drv) : NULL;
    if (dname == NULL || strcmp(dname, "OSM") != 0)
        return AM_OK;
    /* The driver spills the node tables of large extracts to temporary
     * files in CPL_TMPDIR, else in the current folder: give it a writable
     * one, so that a read-only or full working folder is not reported as
     * a damaged file (only when the user has not chosen one). */
    const char *tmp = CPLGetConfigOption("CPL_TMPDIR", NULL);
    if (tmp == NULL) {
        tmp = getenv("TMPDIR");
        if (tmp == NULL || tmp[0] == '\0')
            tmp = "/tmp";
        CPLSetConfigOption("CPL_TMPDIR", tmp);
    }
    if (access(tmp, W_OK | X_OK) != 0)
        return am_error_set(err, AM_ERR_IO, path,
                            "GDAL's OSM driver needs a writable folder for "
                            "its temporary files, and CPL_TMPDIR '%s' is "
                            "not one (%s); set CPL_TMPDIR or TMPDIR to a "
                            "writable folder",
                            tmp, strerror(errno));
    struct stat st;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    if (ncpu < 1)
        ncpu = 1;
    size_t mib =
        AM_ROADS_OSM_BASE_MIB + (size_t)ncpu * AM_ROADS_OSM_PER_CPU_MIB;
    if (stat(path, &st) == 0 && st.st_size > 0)
        mib += ((size_t)st.st_size >> 20) + 1;
    if (am_gdal_address_space_ok(mib << 20))
        return AM_OK;
    return am_error_set(err, AM_ERR_NOMEM, path,
                        "out of memory: reading it with GDAL's OSM driver "
                        "needs about %zu MiB of free address space, which "
                        "the memory limit does not leave (GDAL can crash "
                        "when short); raise the limit (ulimit -v) or "
                        "convert the roads first (ogr2ogr -f GPKG "
                        "roads.gpkg FILE lines)",
                        mib);
}

/* "a, b, c" from the names of the layer's fields, cut to fit buf. */
static void field_names(OGRLayerH layer, char *buf, size_t n)
{
    OGRFeatureDefnH d = OGR_L_GetLayerDefn(layer);
    int count = OGR_FD_GetFieldCount(d);
    size_t used = 0;
    buf[0] = '\0';
    if (count == 0)
        snprintf(buf, n, "none");
    for (int i = 0; i < count; i++) {
        const char *name = OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(d, i));
        int k = snprintf(buf + used, n - used, "%s%s", i > 0 ? ", " : "", name);
        if (k < 0 || (size_t)k >= n - used) {
            if (n > 5)
                snprintf(buf + (used < n - 5 ? used : n - 5), 5, ", ..");
            return;
        }
        used += (size_t)k;
    }
}

/* A mapped field that the layer lacks: AM_ERR_FORMAT listing its fields. */
static am_status no_such_field(OGRLayerH layer, const am_road_options *opt,
                               const char *lname, const char *key,
                               const char *field, am_error *err)
{
    char names[512];
    field_names(layer, names, sizeof names);
    am_status rc = am_error_set(err, AM_ERR_FORMAT, opt->path,
                                "roads.%s: the layer has no field '%s' (its "
                                "fields: %s)",
                                key, field, names);
    am_error_set_layer(err, lname);
    return rc;
}

/* The fields a field mapping names, which must exist (fi->mapped*). */
static am_status mapped_fields_find(OGRLayerH layer, const am_road_options *opt,
                                    const char *lname, fields *fi,
                                    am_error *err)
{
    OGRFeatureDefnH d = OGR_L_GetLayerDefn(layer);
    fi->mapped = -1;
    fi->mapped_oneway = -1;
    if (opt->speed_source == AM_ROAD_SPEED_PROFILE)
        return AM_OK;
    if (opt->speed_field == NULL)
        return am_error_set(err, AM_ERR_INVALID, opt->path,
                            "roads: a field mapping without its field");
    fi->mapped = OGR_FD_GetFieldIndex(d, opt->speed_field);
    if (fi->mapped < 0)
        return no_such_field(layer, opt, lname,
                             mapping_field_key(opt->speed_source),
                             opt->speed_field, err);
    if (opt->oneway_field != NULL) {
        fi->mapped_oneway = OGR_FD_GetFieldIndex(d, opt->oneway_field);
        if (fi->mapped_oneway < 0)
            return no_such_field(layer, opt, lname, "oneway_field",
                                 opt->oneway_field, err);
    }
    return AM_OK;
}

/*
 * A layer declared as points or polygons (or without geometry) holds no
 * road: AM_ERR_FORMAT naming its geometry type. Layers of unknown or mixed
 * type are checked feature by feature (finish_network).
 */
static am_status layer_has_lines(OGRLayerH layer, const am_road_options *opt,
                                 const char *lname, am_error *err)
{
    OGRwkbGeometryType t = wkbFlatten(OGR_L_GetGeomType(layer));
    if (t == wkbUnknown || t == wkbGeometryCollection || OGR_GT_IsCurve(t) ||
        OGR_GT_IsSubClassOf(t, wkbMultiCurve))
        return AM_OK;
    am_status rc = am_error_set(
        err, AM_ERR_FORMAT, opt->path,
        "layer '%s' holds %s geometries, not lines: roads need a line layer "
        "(LineString or MultiLineString)",
        lname, t == wkbNone ? "no" : OGRGeometryTypeToName(t));
    am_error_set_layer(err, lname);
    return rc;
}

/*
 * Picks the layer (opt->layer; "lines" for an OSM file; else the first),
 * checks that it has a road class, sets up the frame of its coordinates,
 * tells the OSM driver to read only that layer and applies opt->where.
 */
static am_status open_layer(GDALDatasetH ds, const am_road_options *opt,
                            const am_profile *prof, int *is_osm,
                            OGRLayerH *layer, fields *fi, frame *fr,
                            am_error *err)
{
    GDALDriverH drv = GDALGetDatasetDriver(ds);
    const char *dname = drv != NULL ? GDALGetDriverShortName(drv) : "";
    *is_osm = dname != NULL && strcmp(dname, "OSM") == 0;
    am_status rc = am_gdal_pick_layer(ds, opt->path,
                                      opt->layer != NULL ? opt->layer
                                      : *is_osm          ? "lines"
                                                         : NULL,
                                      layer, err);
    if (rc != AM_OK)
        return rc;
    const char *lname = OGR_L_GetName(*layer);

    fields_find(*layer, prof, opt->join_crossings, fi);
    rc = layer_has_lines(*layer, opt, lname, err);
    if (rc == AM_OK)
        rc = mapped_fields_find(*layer, opt, lname, fi, err);
    if (rc != AM_OK)
        return rc;
    if (opt->speed_source == AM_ROAD_SPEED_PROFILE &&
        fi->field[T_HIGHWAY] < 0 && fi->other_tags < 0) {
        rc = am_error_set(err, AM_ERR_FORMAT, opt->path,
                          "layer '%s' has no 'highway' field (the road "
                          "class, OSM Key:highway)",
                          lname);
        am_error_set_layer(err, lname);
        return rc;
    }

    rc = frame_setup(*layer, opt->path, lname, fr, err);
    if (rc != AM_OK)
        return rc;

    if (*is_osm) {
        /* Read only this layer: the driver drops the others' features. */
        char sql[AM_ERROR_LAYER_MAX + 32];
        snprintf(sql, sizeof sql, "SET interest_layers = %s", lname);
        OGRLayerH res = GDALDatasetExecuteSQL(ds, sql, NULL, NULL);
        if (res != NULL)
            GDALDatasetReleaseResultSet(ds, res);
    }
    if (opt->where != NULL && opt->where[0] != '\0') {
        CPLErrorReset();
        if (OGR_L_SetAttributeFilter(*layer, opt->where) != OGRERR_NONE)
            return bad_filter(opt, lname, am_gdal_last_message(), err);
    }
    return AM_OK;
}

/*
 * The filter kept no feature: AM_ERR_EMPTY naming it, with the layer's
 * count without it, so that a typo in a value ("highway = 'primay'") is
 * not reported as a layer without roads. Counting costs another read of
 * the layer (the OSM driver has no count): only on this error path.
 */
static am_status filter_matched_nothing(GDALDatasetH ds, int by_dataset,
                                        OGRLayerH layer,
                                        const am_road_options *opt,
                                        const char *lname, am_error *err)
{
    long long total = 0;
    OGR_L_SetAttributeFilter(layer, NULL);
    if (by_dataset) {
        double frac = 0.0;
        GDALDatasetResetReading(ds);
        OGRFeatureH f;
        while ((f = next_feature(ds, layer, 1, &frac)) != NULL) {
            OGR_F_Destroy(f);
            total++;
        }
    } else {
        total = (long long)OGR_L_GetFeatureCount(layer, TRUE);
    }
    am_status rc =
        am_error_set(err, AM_ERR_EMPTY, opt->path,
                     "the filter 'where: %s' matched no feature "
                     "of layer '%s' (%lld feature%s without it)",
                     opt->where, lname, total, total == 1 ? "" : "s");
    am_error_set_layer(err, lname);
    return rc;
}

/* After the read: a warning for skipped geometries, AM_ERR_EMPTY without
 * a routable road, and the arrays trimmed to their lengths. */
/* "; e.g. 1 (primary maxspeed=6), 2 (...)" from a sample list. */
static void samples_text(const sample_list *l, char *buf, size_t size)
{
    size_t k = 0;
    buf[0] = '\0';
    for (int i = 0; i < l->n && k < size; i++) {
        int w = snprintf(buf + k, size - k, "%s%s",
                         i ? ", " : "first: ", l->text[i]);
        if (w < 0)
            break;
        k += (size_t)w;
    }
}

/* One warning per counted reason, with the first few ids. */
static void warn_tags(const builder *b, const am_road_options *opt,
                      const char *lname)
{
    const am_road_network *n = b->net;
    char ids[AM_ROADS_SAMPLE_IDS * (TAG_MAX + 56)];
    if (n->n_maxspeed_unparsable > 0) {
        samples_text(&b->samples[S_UNPARSABLE], ids, sizeof ids);
        am_warn(opt->warnings,
                "%s: layer '%s': %lld maxspeed values not understood, the "
                "class speed used instead (%s)",
                opt->path, lname, (long long)n->n_maxspeed_unparsable, ids);
    }
    if (n->n_maxspeed_implausible > 0) {
        samples_text(&b->samples[S_IMPLAUSIBLE], ids, sizeof ids);
        am_warn(opt->warnings,
                "%s: layer '%s': %lld maxspeed values implausible for their "
                "road class (below %g %% of its speed and below %g km/h, or "
                "above %g km/h), %s (%s)",
                opt->path, lname, (long long)n->n_maxspeed_implausible,
                b->prof->plausible_ratio * 100.0, b->prof->plausible_floor_kmh,
                AM_MAXSPEED_MAX_KMH,
                b->prof->use_implausible
                    ? "used as the scenario asks"
                    : "not used (roads.maxspeed_implausible: use to use them)",
                ids);
    }
    if (n->n_ferry_bad_duration > 0) {
        samples_text(&b->samples[S_DURATION], ids, sizeof ids);
        am_warn(opt->warnings,
                "%s: layer '%s': %lld ferries with a duration not understood "
                "(expected minutes, HH:MM or HH:MM:SS), crossed at %g km/h "
                "instead (%s)",
                opt->path, lname, (long long)n->n_ferry_bad_duration,
                b->prof->ferry_kmh, ids);
    }
    if (n->n_missing_nodes_kept > 0) {
        samples_text(&b->samples[S_MISSING], ids, sizeof ids);
        am_warn(opt->warnings,
                "%s: %lld routable ways reference nodes missing from the file "
                "(a clipped extract?): GDAL joins the nodes that are there, "
                "so a way that leaves the extract and comes back is drawn "
                "straight across the gap (%s)",
                opt->path, (long long)n->n_missing_nodes_kept, ids);
    }
    if (n->n_missing_nodes_dropped > 0) {
        samples_text(&b->samples[S_DROPPED], ids, sizeof ids);
        am_warn(opt->warnings,
                "%s: %lld ways (of any kind) dropped by GDAL: fewer than two "
                "of their nodes are in the file (%s)",
                opt->path, (long long)n->n_missing_nodes_dropped, ids);
    }
}

static am_status finish_network(const builder *b, const am_road_options *opt,
                                const char *lname, am_error *err)
{
    am_road_network *n = b->net;
    warn_tags(b, opt, lname);
    if (n->n_arcs == 0 && b->n_nonline > 0 &&
        b->n_nonline == n->n_bad_geometry) {
        am_status rc = am_error_set(
            err, AM_ERR_FORMAT, opt->path,
            "layer '%s' has no line geometry: its %lld features with a "
            "geometry are not lines (the first: %s); roads need a line layer",
            lname, (long long)b->n_nonline, OGRGeometryTypeToName(b->nonline));
        am_error_set_layer(err, lname);
        return rc;
    }
    if (n->n_arcs == 0 && opt->speed_source != AM_ROAD_SPEED_PROFILE) {
        int by_class = opt->speed_source == AM_ROAD_SPEED_CLASS;
        am_status rc = am_error_set(
            err, AM_ERR_EMPTY, opt->path,
            "no routable road in layer '%s' (%lld features read: %lld %s, "
            "%lld without a usable line geometry)",
            lname, (long long)n->n_features,
            (long long)(by_class ? n->n_unlisted_class : n->n_bad_value),
            by_class ? "with a class not in roads.class_speeds_kmh"
                     : "with an unusable value",
            (long long)n->n_bad_geometry);
        am_error_set_layer(err, lname);
        return rc;
    }
    if (n->n_collapsed > 0) {
        char ids[128];
        ids_text(b->first_collapsed, n->n_collapsed, ids, sizeof ids);
        am_warn(opt->warnings,
                "%s: layer '%s': %lld road features vanished: every segment "
                "of theirs was shorter than roads.join_tolerance_m = %g m, "
                "so their ends joined into one node (features %s); lower "
                "the tolerance to keep them",
                opt->path, lname, (long long)n->n_collapsed,
                opt->join_tolerance_m, ids);
    }
    if (n->n_bad_geometry > 0)
        am_warn(opt->warnings,
                "%s: layer '%s': %lld of %lld road features skipped: no "
                "usable line geometry (none, empty, not a line, or outside "
                "the lon/lat range)",
                opt->path, lname, (long long)n->n_bad_geometry,
                (long long)(n->n_routable + n->n_bad_geometry));
    if (n->n_arcs == 0) {
        am_status rc = am_error_set(
            err, AM_ERR_EMPTY, opt->path,
            "no routable road in layer '%s' (%lld features "
            "read, %lld not routable for profile %s, %lld closed by access "
            "tags, %lld areas)",
            lname, (long long)n->n_features, (long long)n->n_not_routable,
            n->profile, (long long)n->n_closed_access, (long long)n->n_area);
        am_error_set_layer(err, lname);
        return rc;
    }
    shrink((void **)&n->lon, (size_t)n->n_nodes, sizeof *n->lon);
    shrink((void **)&n->lat, (size_t)n->n_nodes, sizeof *n->lat);
    shrink((void **)&n->tail, (size_t)n->n_arcs, sizeof *n->tail);
    shrink((void **)&n->head, (size_t)n->n_arcs, sizeof *n->head);
    shrink((void **)&n->time_ds, (size_t)n->n_arcs, sizeof *n->time_ds);
    shrink((void **)&n->len_m, (size_t)n->n_arcs, sizeof *n->len_m);
    shrink((void **)&n->arc_flags, (size_t)n->n_arcs, sizeof *n->arc_flags);
    return AM_OK;
}

/* The options a caller built in code: a tolerance and a mapping in range
 * (the scenario reader checks the same with line numbers). */
static am_status mapping_check(const am_road_options *opt, am_error *err)
{
    double tol = opt->join_tolerance_m;
    if (!(tol == 0.0 ||
          (tol >= AM_JOIN_TOLERANCE_MIN_M && tol <= AM_JOIN_TOLERANCE_MAX_M)))
        return am_error_set(err, AM_ERR_INVALID, opt->path,
                            "roads.join_tolerance_m must be 0 or from %g to "
                            "%g metres (got %g)",
                            AM_JOIN_TOLERANCE_MIN_M, AM_JOIN_TOLERANCE_MAX_M,
                            tol);
    switch (opt->speed_source) {
    case AM_ROAD_SPEED_PROFILE:
    case AM_ROAD_SPEED_FIELD:
        return AM_OK;
    case AM_ROAD_SPEED_CLASS:
        for (int i = 0; i < opt->n_class_speeds; i++)
            if (!am_road_speed_ok(opt->class_speeds[i].kmh))
                return am_error_set(err, AM_ERR_INVALID, opt->path,
                                    "roads.class_speeds_kmh: the speed of "
                                    "'%s' must be > 0 and <= %g km/h",
                                    opt->class_speeds[i].klass != NULL
                                        ? opt->class_speeds[i].klass
                                        : "",
                                    AM_ROAD_SPEED_MAX_KMH);
        if (opt->n_class_speeds < 0 ||
            (opt->n_class_speeds > 0 && opt->class_speeds == NULL))
            return am_error_set(err, AM_ERR_INVALID, opt->path,
                                "roads: no class speed table");
        if (opt->default_speed_kmh != 0.0 &&
            !am_road_speed_ok(opt->default_speed_kmh))
            return am_error_set(err, AM_ERR_INVALID, opt->path,
                                "roads.default_speed_kmh must be > 0 and <= "
                                "%g km/h",
                                AM_ROAD_SPEED_MAX_KMH);
        return AM_OK;
    case AM_ROAD_TIME_FIELD:
        if (opt->time_unit_s == 1.0 || opt->time_unit_s == 60.0)
            return AM_OK;
        return am_error_set(err, AM_ERR_INVALID, opt->path,
                            "roads.time_unit must be minutes or seconds");
    }
    return am_error_set(err, AM_ERR_INVALID, opt->path,
                        "roads: unknown speed source %d",
                        (int)opt->speed_source);
}

/* b (zeroed) ready for a read: its network, node table and join grid. */
static am_status builder_start(builder *b, const am_profile *prof,
                               const am_road_options *opt)
{
    b->prof = prof;
    b->net = am_calloc(1, sizeof *b->net);
    if (b->net == NULL)
        return AM_ERR_NOMEM;
    snprintf(b->net->profile, sizeof b->net->profile, "%s", prof->name);
    am_status rc = table_resize(b, 1u << 12);
    if (rc == AM_OK && opt->join_tolerance_m > 0.0)
        rc = am_join_grid_create(opt->join_tolerance_m, &b->join);
    b->join_all = opt->join_all_vertices;
    b->crossings = opt->join_crossings != 0;
    return rc;
}

/* Frees what b holds (its network too, unless taken). */
static void builder_free(builder *b)
{
    am_road_network_destroy(b->net);
    am_free(b->slots);
    am_free(b->spare);
    am_free(b->missing.slot);
    am_free(b->seg_arc0);
    am_free(b->seg_narcs);
    am_free(b->seg_owner);
    am_free(b->seg_level);
    am_join_grid_destroy(b->join);
}

am_status am_roads_load(const am_road_options *opt, am_progress_fn progress,
                        void *progress_user, am_road_network **out,
                        am_error *err)
{
    *out = NULL;
    if (opt == NULL)
        return am_error_set(err, AM_ERR_INVALID, NULL, "no road options");
    am_profile car;
    const am_profile *prof = opt->profile;
    if (prof == NULL) {
        am_status prc = am_profile_builtin("car", &car, err);
        if (prc != AM_OK)
            return prc;
        prof = &car;
    }
    am_status rc = mapping_check(opt, err);
    if (rc != AM_OK)
        return rc;

    GDALDatasetH ds = NULL;
    builder b = {0};
    b.prof = prof;
    frame fr = {NULL, 0};
    rc = am_roads_osm_memory_check(opt->path, err);
    if (rc != AM_OK)
        return rc;
    rc = am_gdal_open(opt->path, AM_GDAL_VECTOR, &ds, err);
    if (rc != AM_OK)
        return rc;
    am_gdal_errors ge;
    am_gdal_capture_begin(&ge);

    int is_osm = 0;
    OGRLayerH layer = NULL;
    fields fi;
    rc = open_layer(ds, opt, prof, &is_osm, &layer, &fi, &fr, err);
    if (rc != AM_OK)
        goto cleanup;
    const char *lname = OGR_L_GetName(layer);

    if ((rc = builder_start(&b, prof, opt)) != AM_OK) {
        rc = am_error_set(err, rc, opt->path, "out of memory");
        goto cleanup;
    }
    /* GDAL's OSM driver tells of missing nodes only in debug messages
     * of category OSM: enabled on this thread for the read. */
    char *old_debug = NULL;
    if (is_osm) {
        const char *d = CPLGetThreadLocalConfigOption("CPL_DEBUG", NULL);
        old_debug = d != NULL ? CPLStrdup(d) : NULL;
        CPLSetThreadLocalConfigOption("CPL_DEBUG", "OSM");
    }
    long long fid_lo = 0, fid_hi = 0;
    const range_kind rk =
        ranges_possible(ds, layer, is_osm, opt, &fid_lo, &fid_hi);
    int again = 0;
    if (rk != 0) {
        rc = read_ranges(layer, rk, fid_lo, fid_hi, opt, lname, &fi, &b,
                         progress, progress_user, &again, err);
        if (rc == AM_OK && again) {
            /* not in FID order after all: read it sequentially */
            builder_free(&b);
            memset(&b, 0, sizeof b);
            if ((rc = builder_start(&b, prof, opt)) != AM_OK)
                rc = am_error_set(err, rc, opt->path, "out of memory");
        }
    }
    if (rc == AM_OK && (rk == 0 || again))
        rc = read_features(ds, is_osm, layer, opt, lname, &fi, &fr, &b, &ge,
                           progress, progress_user, err);
    if (is_osm) {
        CPLSetThreadLocalConfigOption("CPL_DEBUG", old_debug);
        CPLFree(old_debug);
        ge.on_debug = NULL;
    }
    if (rc == AM_OK && b.oom)
        rc = am_error_set(err, AM_ERR_NOMEM, opt->path,
                          "out of memory building the road graph");
    if (rc == AM_OK && b.net->n_features == 0 && opt->where != NULL &&
        opt->where[0] != '\0')
        rc = filter_matched_nothing(ds, is_osm, layer, opt, lname, err);
    if (rc != AM_OK)
        goto cleanup;
    mapping_warn(&b, opt, lname);
    if (b.crossings && (rc = crossings_join(&b)) != AM_OK) {
        rc = am_error_set(err, rc, opt->path,
                          rc == AM_ERR_NOMEM ? "out of memory joining crossing "
                                               "roads"
                          : rc == AM_ERR_INTERNAL
                              ? "joining crossing roads: the segments do not "
                                "cover the arcs (internal error)"
                              : "more than %d road nodes",
                          INT32_MAX);
        am_error_set_layer(err, lname);
        goto cleanup;
    }
    if ((rc = finish_network(&b, opt, lname, err)) != AM_OK)
        goto cleanup;
    if (progress != NULL && !progress(1.0, "roads: done", progress_user)) {
        rc = am_error_set(err, AM_ERR_CANCELLED, opt->path,
                          "cancelled while reading roads");
        goto cleanup;
    }
    *out = b.net;
    b.net = NULL;

cleanup:
    am_gdal_capture_end(&ge);
    builder_free(&b);
    am_transform_destroy(fr.to_wgs84);
    GDALClose(ds);
    return rc;
}
