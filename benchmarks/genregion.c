/*
 * genregion.c: accessim-genregion, a deterministic generator of synthetic
 * regions (roads, population, facilities, scenario) for benchmarks.
 *
 * Why: the engine's cost grows with nodes, populated cells and facilities;
 * real country extracts are large downloads with licences, and change over
 * time. A generator gives regions of any size, the same to the bit for a
 * seed on every machine, with the structure that drives the engine's work:
 * a road hierarchy with dense town grids, one-way pairs and long rural
 * roads, heavy-tailed settlement sizes, sparse rural population and empty
 * land, and facilities where people are.
 *
 * What it writes into the output folder:
 *   roads.gpkg       layer `roads`, LineString, EPSG:4326, fields highway,
 *                    oneway, maxspeed (OSM tag semantics);
 *   population.tif   Float32 people per cell, 3 arc-seconds (~92 m) cells,
 *                    nodata -99999 outside the land, tiled, deflate;
 *   facilities.gpkg  layer `facilities`, Point, EPSG:4326, fields name,
 *                    amenity (hospital, clinic), beds;
 *   region.yaml      a scenario over the three (cutoffs 15/30/60, 2SFCA at
 *                    30 min, capacity_field beds).
 *
 * Model (all sizes scale with the raster's area):
 *  - Land: the box minus a ragged border and lakes (value noise).
 *  - Settlements: towns with Zipf sizes (P_k = P_1 / k) and villages with
 *    Pareto sizes (alpha 1, P = x_m / u, capped), placed uniformly on land
 *    with minimum spacings. Each has a street grid (rotated, jittered,
 *    clipped to a ragged disc, with removed edges and void patches: parks,
 *    rivers); towns have arterial rows, one-way pairs and service spurs.
 *  - Connections: every settlement but the largest gets a road to the
 *    nearest larger settlement (so the network is one tree plus loops),
 *    and some get a second road to their nearest neighbour. Town-town
 *    links between the largest towns are motorways (two one-way
 *    carriageways with links), other town links trunk/primary, village
 *    roads secondary/tertiary/unclassified; all are winding polylines made
 *    by midpoint displacement. Roads attach to the end of a settlement's
 *    main street, so lines meet only at shared vertices.
 *  - Population: per settlement a density decaying with distance from the
 *    centre, D0 / (1 + (r/r0)^2), times per-cell noise; plus sparse rural
 *    population on part of the land.
 *  - Facilities: mostly in towns, picked with probability proportional to
 *    population; hospitals in larger places, clinics elsewhere.
 *
 * Determinism: every random number comes from our own splitmix64 and
 * xoshiro256** (Blackman & Vigna 2018), seeded per object (settlement,
 * road, cell) from the seed, so outputs do not depend on generation order.
 * Only +, -, *, / and sqrt are used on doubles (IEEE 754 correctly rounded;
 * built with -ffp-contract=off), never libm's transcendental functions, so
 * results are bit-identical across machines. Vertices are integers in
 * units of 1/120000 degree (~0.92 m), turned into degrees by one division,
 * so lines that meet share bitwise-identical vertices.
 *
 * Memory: settlements only (tens of bytes each); roads and facilities are
 * streamed to GDAL in transactions of 100,000 features; the raster is
 * rendered and written in strips of 256 rows.
 */
#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <cpl_conv.h>
#include <cpl_string.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Units: vertices are integers, 1 unit = 1/UNITS_PER_DEG degree; a raster
 * cell is CELL units (3 arc-seconds). */
#define UNITS_PER_DEG 120000.0
#define CELL 100
#define CELLS_PER_DEG 1200.0
/* Metres per unit near the box centre (6 degrees south). */
#define M_PER_UNIT 0.922
/* The box is centred here (a tropical, country-sized area). */
#define CENTRE_LON 30.0
#define CENTRE_LAT (-6.0)
#define NODATA (-99999.0)
#define STRIP_ROWS 256
#define TXN_FEATURES 100000
#define PI 3.14159265358979323846

/* ---------------------------------------------------------------------- */
/* Random numbers: splitmix64 for seeding and hashing, xoshiro256**.       */
/* ---------------------------------------------------------------------- */

static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* A 64-bit hash of up to four values (seed, salt, a, b). */
static uint64_t hash4(uint64_t seed, uint64_t salt, uint64_t a, uint64_t b)
{
    uint64_t s = seed ^ (salt * 0xd1342543de82ef95ULL);
    uint64_t h = splitmix64(&s);
    s ^= a * 0x9e3779b97f4a7c15ULL + h;
    h = splitmix64(&s);
    s ^= b * 0xc2b2ae3d27d4eb4fULL + h;
    return splitmix64(&s);
}

/* Uniform in [0, 1) from the top 53 bits. */
static double u01_of(uint64_t h)
{
    return (double)(h >> 11) * (1.0 / 9007199254740992.0);
}

static double hash01(uint64_t seed, uint64_t salt, int64_t a, int64_t b)
{
    return u01_of(hash4(seed, salt, (uint64_t)a, (uint64_t)b));
}

typedef struct rng {
    uint64_t s[4];
} rng;

static void rng_seed(rng *r, uint64_t seed, uint64_t salt, uint64_t a,
                     uint64_t b)
{
    uint64_t st = hash4(seed, salt, a, b);
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&st);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t rng_next(rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

static double rng_u01(rng *r)
{
    return u01_of(rng_next(r));
}

static double rng_range(rng *r, double lo, double hi)
{
    return lo + (hi - lo) * rng_u01(r);
}

/* Salts: one per use, so that streams never overlap. */
enum {
    SALT_LAND = 1,
    SALT_LAKE,
    SALT_RURAL,
    SALT_RURAL_CELL,
    SALT_CELL_NOISE,
    SALT_TOWNS,
    SALT_VILLAGES,
    SALT_GRID,
    SALT_GRID_EDGE,
    SALT_GRID_RAGGED,
    SALT_GRID_NODE,
    SALT_ROAD,
    SALT_FACILITIES,
    SALT_VALUE_NOISE
};

/* ---------------------------------------------------------------------- */
/* Value noise: smooth fields from hashed lattice values (arithmetic only) */
/* ---------------------------------------------------------------------- */

static double smooth(double t)
{
    return t * t * (3.0 - 2.0 * t);
}

/* Value noise in [0, 1) at (x, y) in cells, lattice spacing `step` cells. */
static double value_noise(uint64_t seed, uint64_t salt, double x, double y,
                          double step)
{
    double gx = x / step, gy = y / step;
    double fx = floor(gx), fy = floor(gy);
    int64_t ix = (int64_t)fx, iy = (int64_t)fy;
    double tx = smooth(gx - fx), ty = smooth(gy - fy);
    double v00 = hash01(seed, salt, ix, iy);
    double v10 = hash01(seed, salt, ix + 1, iy);
    double v01 = hash01(seed, salt, ix, iy + 1);
    double v11 = hash01(seed, salt, ix + 1, iy + 1);
    double a = v00 + (v10 - v00) * tx;
    double b = v01 + (v11 - v01) * tx;
    return a + (b - a) * ty;
}

/* Two octaves of value noise, in [0, 1). */
static double fbm(uint64_t seed, uint64_t salt, double x, double y, double step)
{
    return 0.65 * value_noise(seed, salt, x, y, step) +
           0.35 * value_noise(seed, salt + 100, x, y, step / 4.0);
}

/* ---------------------------------------------------------------------- */
/* Parameters and presets                                                  */
/* ---------------------------------------------------------------------- */

typedef struct params {
    const char *preset;
    int width, height;   /* raster cells */
    int towns, villages; /* 0: derived from the area */
    int facilities;
    double rural_share; /* share of land cells with rural population */
    uint64_t seed;
    const char *out;
    int quiet;
} params;

typedef struct preset {
    const char *name;
    int side; /* raster width and height in cells */
    int facilities;
} preset;

static const preset presets[] = {
    {"tiny", 150, 10},
    {"S", 645, 100},
    {"M", 2040, 1000},
    {"L", 4560, 10000},
};

/* ---------------------------------------------------------------------- */
/* The region: land, settlements and a bucket grid over them               */
/* ---------------------------------------------------------------------- */

typedef struct settlement {
    int64_t cx, cy;   /* centre, units */
    double pop;       /* people */
    double radius;    /* populated radius, units */
    double spacing;   /* street spacing, units */
    double c, s;      /* grid rotation (cos, sin) */
    int n;            /* main streets run from -n to n */
    int town;         /* 1 town, 0 village */
    int32_t parent;   /* nearest larger settlement, -1 for the largest */
    int32_t next;     /* next in its bucket */
    int32_t motorway; /* 1: among the largest towns (motorway network) */
} settlement;

typedef struct region {
    params p;
    int64_t w_units, h_units;
    double lon0, lat0; /* south-west corner, degrees */
    settlement *set;
    int32_t n_set, n_towns;
    /* bucket grid */
    int64_t bucket; /* units per bucket */
    int bx, by;
    int32_t *head;
} region;

/* 1 when the cell at (x, y), in cells from the south-west corner, is land:
 * inside a ragged border and not in a lake. */
static int is_land(const region *r, double x, double y)
{
    double u = 2.0 * x / r->p.width - 1.0, v = 2.0 * y / r->p.height - 1.0;
    double n = fbm(r->p.seed, SALT_LAND, x, y, 220.0);
    double thr = 0.97 - 0.25 * n;
    double q = u * u * u * u + v * v * v * v;
    if (q > thr * thr * thr * thr)
        return 0;
    return value_noise(r->p.seed, SALT_LAKE, x, y, 70.0) < 0.86;
}

static double dist_units(int64_t ax, int64_t ay, int64_t bx, int64_t by)
{
    double dx = (double)(ax - bx), dy = (double)(ay - by);
    return sqrt(dx * dx + dy * dy);
}

static int bucket_of(const region *r, int64_t x, int64_t y, int *bx, int *by)
{
    *bx = (int)(x / r->bucket);
    *by = (int)(y / r->bucket);
    if (*bx < 0)
        *bx = 0;
    if (*by < 0)
        *by = 0;
    if (*bx >= r->bx)
        *bx = r->bx - 1;
    if (*by >= r->by)
        *by = r->by - 1;
    return *by * r->bx + *bx;
}

static void bucket_add(region *r, int32_t i)
{
    int bx, by;
    int b = bucket_of(r, r->set[i].cx, r->set[i].cy, &bx, &by);
    r->set[i].next = r->head[b];
    r->head[b] = i;
}

/* Street spacing, radius, grid size and rotation of a settlement. */
static void settlement_shape(region *r, int32_t i)
{
    settlement *t = &r->set[i];
    rng g;
    rng_seed(&g, r->p.seed, SALT_GRID, (uint64_t)i, 0);
    /* People per km^2 on average over the settlement's disc. */
    double density = t->town ? 2500.0 : 1000.0;
    double area_m2 = t->pop / (density * 1e-6);
    t->radius = sqrt(area_m2 / PI) / M_PER_UNIT;
    double spacing_m =
        t->town ? rng_range(&g, 80.0, 125.0) : rng_range(&g, 70.0, 110.0);
    t->spacing = spacing_m / M_PER_UNIT;
    t->n = (int)(1.05 * t->radius / t->spacing);
    if (t->n < 1)
        t->n = 1;
    double tan = rng_range(&g, -0.6, 0.6);
    double norm = sqrt(1.0 + tan * tan);
    t->c = 1.0 / norm;
    t->s = tan / norm;
}

/* ---------------------------------------------------------------------- */
/* Placing settlements                                                     */
/* ---------------------------------------------------------------------- */

static int town_fits(const region *r, int64_t x, int64_t y, double radius)
{
    for (int32_t k = 0; k < r->n_set; k++) {
        const settlement *t = &r->set[k];
        double gap = 1.3 * (t->radius + radius) + 3000.0 / M_PER_UNIT;
        if (dist_units(x, y, t->cx, t->cy) < gap)
            return 0;
    }
    return 1;
}

static int village_fits(const region *r, int64_t x, int64_t y, double radius)
{
    for (int32_t k = 0; k < r->n_towns; k++) {
        const settlement *t = &r->set[k];
        if (dist_units(x, y, t->cx, t->cy) <
            t->radius * 1.15 + radius + 600.0 / M_PER_UNIT)
            return 0;
    }
    int bx, by;
    bucket_of(r, x, y, &bx, &by);
    for (int j = by - 1; j <= by + 1; j++)
        for (int i = bx - 1; i <= bx + 1; i++) {
            if (i < 0 || j < 0 || i >= r->bx || j >= r->by)
                continue;
            for (int32_t k = r->head[j * r->bx + i]; k >= 0;
                 k = r->set[k].next) {
                const settlement *v = &r->set[k];
                if (dist_units(x, y, v->cx, v->cy) <
                    v->radius + radius + 400.0 / M_PER_UNIT)
                    return 0;
            }
        }
    return 1;
}

/* A random land position at least `margin` units from the box's edge. */
static int random_land(const region *r, rng *g, double margin, int64_t *x,
                       int64_t *y)
{
    double fx = rng_range(g, margin, (double)r->w_units - margin);
    double fy = rng_range(g, margin, (double)r->h_units - margin);
    *x = (int64_t)fx;
    *y = (int64_t)fy;
    return is_land(r, fx / CELL, fy / CELL);
}

static void place_towns(region *r, int n_towns)
{
    rng g;
    rng_seed(&g, r->p.seed, SALT_TOWNS, 0, 0);
    /* Zipf: the k-th town has P_1 / k people; the largest grows with the
     * number of towns (a country-sized box has a capital of millions). */
    double p1 = 6000.0 * n_towns;
    if (p1 < 25000.0)
        p1 = 25000.0;
    for (int k = 0; k < n_towns; k++) {
        double pop = p1 / (k + 1) * rng_range(&g, 0.85, 1.15);
        if (pop < 5000.0)
            pop = 5000.0 * rng_range(&g, 1.0, 1.3);
        int32_t i = r->n_set;
        settlement *t = &r->set[i];
        memset(t, 0, sizeof *t);
        t->pop = pop;
        t->town = 1;
        settlement_shape(r, i);
        double margin = t->radius + 2000.0 / M_PER_UNIT;
        if (2.0 * margin >= (double)r->w_units ||
            2.0 * margin >= (double)r->h_units)
            margin = 0.3 * (double)r->w_units;
        int placed = 0;
        for (int tries = 0; tries < 400 && !placed; tries++) {
            int64_t x, y;
            if (random_land(r, &g, margin, &x, &y) &&
                (r->n_set == 0 || town_fits(r, x, y, t->radius))) {
                t->cx = x;
                t->cy = y;
                placed = 1;
            }
        }
        if (!placed)
            continue; /* no room: fewer towns */
        r->n_set++;
        r->n_towns++;
        bucket_add(r, i);
    }
}

static void place_villages(region *r, int n_villages)
{
    rng g;
    rng_seed(&g, r->p.seed, SALT_VILLAGES, 0, 0);
    for (int k = 0; k < n_villages; k++) {
        int32_t i = r->n_set;
        settlement *v = &r->set[i];
        memset(v, 0, sizeof *v);
        /* Pareto, alpha 1, x_m 150, capped at 4000 people. */
        double u = rng_u01(&g);
        v->pop = u > 0.0375 ? 150.0 / u : 4000.0;
        settlement_shape(r, i);
        for (int tries = 0; tries < 20; tries++) {
            int64_t x, y;
            if (random_land(r, &g, 1500.0 / M_PER_UNIT, &x, &y) &&
                village_fits(r, x, y, v->radius)) {
                v->cx = x;
                v->cy = y;
                r->n_set++;
                bucket_add(r, i);
                break;
            }
        }
    }
}

/* 1 when a is larger than b (population, then index: a strict order). */
static int larger(const region *r, int32_t a, int32_t b)
{
    if (r->set[a].pop != r->set[b].pop)
        return r->set[a].pop > r->set[b].pop;
    return a < b;
}

/* The nearest settlement to i that is larger than i (want_larger) or any
 * other (not want_larger); -1 when there is none. Searches rings of
 * buckets outwards until no closer one can exist. */
static int32_t nearest(const region *r, int32_t i, int want_larger)
{
    const settlement *a = &r->set[i];
    int bx, by;
    bucket_of(r, a->cx, a->cy, &bx, &by);
    int32_t best = -1;
    double best_d = 0.0;
    int rmax = r->bx > r->by ? r->bx : r->by;
    for (int ring = 0; ring <= rmax; ring++) {
        if (best >= 0 && (double)(ring - 1) * (double)r->bucket > best_d)
            break;
        for (int j = by - ring; j <= by + ring; j++)
            for (int k = bx - ring; k <= bx + ring; k++) {
                if (j != by - ring && j != by + ring && k != bx - ring &&
                    k != bx + ring)
                    continue;
                if (k < 0 || j < 0 || k >= r->bx || j >= r->by)
                    continue;
                for (int32_t c = r->head[j * r->bx + k]; c >= 0;
                     c = r->set[c].next) {
                    if (c == i || (want_larger && !larger(r, c, i)))
                        continue;
                    double d =
                        dist_units(a->cx, a->cy, r->set[c].cx, r->set[c].cy);
                    if (best < 0 || d < best_d || (d == best_d && c < best)) {
                        best = c;
                        best_d = d;
                    }
                }
            }
    }
    return best;
}

static void link_settlements(region *r)
{
    for (int32_t i = 0; i < r->n_set; i++)
        r->set[i].parent = nearest(r, i, 1);
    /* The largest towns form the motorway network: their tree edges run
     * between larger towns only, so they stay connected. */
    int k = r->n_towns / 12;
    if (k < 2)
        k = r->n_towns >= 4 ? 2 : 0;
    for (int32_t i = 0; i < k && i < r->n_towns; i++)
        r->set[i].motorway = 1;
}

/* ---------------------------------------------------------------------- */
/* Writing features                                                        */
/* ---------------------------------------------------------------------- */

typedef struct writer {
    GDALDatasetH ds;
    OGRLayerH layer;
    OGRFeatureDefnH defn;
    int64_t features, in_txn;
} writer;

typedef struct stats {
    int64_t lines, vertices, oneway_lines;
    int64_t by_class[16];
    int64_t populated, land_cells;
    double people;
    int64_t facilities, hospitals;
} stats;

static const char *classes[] = {"motorway",    "motorway_link", "trunk",
                                "primary",     "secondary",     "tertiary",
                                "residential", "unclassified",  "service"};
enum {
    HW_MOTORWAY,
    HW_MOTORWAY_LINK,
    HW_TRUNK,
    HW_PRIMARY,
    HW_SECONDARY,
    HW_TERTIARY,
    HW_RESIDENTIAL,
    HW_UNCLASSIFIED,
    HW_SERVICE
};

typedef struct gen {
    region *r;
    writer roads;
    stats st;
    double *lon, *lat; /* vertex scratch */
    int64_t *vx, *vy;
    size_t cap;
    int failed;
} gen;

static int writer_feature_done(writer *w)
{
    w->features++;
    if (++w->in_txn >= TXN_FEATURES) {
        if (GDALDatasetCommitTransaction(w->ds) != OGRERR_NONE ||
            GDALDatasetStartTransaction(w->ds, FALSE) != OGRERR_NONE)
            return -1;
        w->in_txn = 0;
    }
    return 0;
}

static int ensure_cap(gen *g, size_t n)
{
    if (n <= g->cap)
        return 0;
    size_t cap = g->cap ? g->cap : 256;
    while (cap < n)
        cap *= 2;
    double *lon = realloc(g->lon, cap * sizeof *lon);
    if (lon)
        g->lon = lon;
    double *lat = realloc(g->lat, cap * sizeof *lat);
    if (lat)
        g->lat = lat;
    int64_t *vx = realloc(g->vx, cap * sizeof *vx);
    if (vx)
        g->vx = vx;
    int64_t *vy = realloc(g->vy, cap * sizeof *vy);
    if (vy)
        g->vy = vy;
    if (!lon || !lat || !vx || !vy)
        return -1;
    g->cap = cap;
    return 0;
}

static double lon_of(const region *r, int64_t x)
{
    return r->lon0 + (double)x / UNITS_PER_DEG;
}

static double lat_of(const region *r, int64_t y)
{
    return r->lat0 + (double)y / UNITS_PER_DEG;
}

/* Writes the line g->vx/vy[0..n) (consecutive repeats dropped). */
static void emit_line(gen *g, size_t n, int hw, int oneway, int maxspeed)
{
    if (g->failed)
        return;
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (m > 0 && g->vx[i] == g->vx[m - 1] && g->vy[i] == g->vy[m - 1])
            continue;
        g->vx[m] = g->vx[i];
        g->vy[m] = g->vy[i];
        m++;
    }
    if (m < 2)
        return;
    for (size_t i = 0; i < m; i++) {
        g->lon[i] = lon_of(g->r, g->vx[i]);
        g->lat[i] = lat_of(g->r, g->vy[i]);
    }
    OGRGeometryH line = OGR_G_CreateGeometry(wkbLineString);
    OGR_G_SetPoints(line, (int)m, g->lon, sizeof(double), g->lat,
                    sizeof(double), NULL, 0);
    OGRFeatureH f = OGR_F_Create(g->roads.defn);
    OGR_F_SetFieldString(f, 0, classes[hw]);
    if (oneway)
        OGR_F_SetFieldString(f, 1, "yes");
    if (maxspeed > 0)
        OGR_F_SetFieldInteger(f, 2, maxspeed);
    OGR_F_SetGeometryDirectly(f, line);
    if (OGR_L_CreateFeature(g->roads.layer, f) != OGRERR_NONE ||
        writer_feature_done(&g->roads) != 0)
        g->failed = 1;
    OGR_F_Destroy(f);
    g->st.lines++;
    g->st.vertices += (int64_t)m;
    g->st.oneway_lines += oneway != 0;
    g->st.by_class[hw]++;
}

/* ---------------------------------------------------------------------- */
/* Street grids                                                            */
/* ---------------------------------------------------------------------- */

/* Position of grid node (i, j) of settlement k: rotated, jittered. */
static void grid_node(const gen *g, int32_t k, int i, int j, int64_t *x,
                      int64_t *y)
{
    const settlement *t = &g->r->set[k];
    uint64_t seed = g->r->p.seed;
    double jx =
        (hash01(seed, SALT_GRID_NODE, k, (int64_t)i * 65536 + j) - 0.5) * 0.12 *
        t->spacing;
    double jy =
        (hash01(seed, SALT_GRID_NODE + 50, k, (int64_t)i * 65536 + j) - 0.5) *
        0.12 * t->spacing;
    if (i == 0 && j == 0)
        jx = jy = 0.0;
    double lx = i * t->spacing + jx, ly = j * t->spacing + jy;
    *x = t->cx + (int64_t)floor(lx * t->c - ly * t->s + 0.5);
    *y = t->cy + (int64_t)floor(lx * t->s + ly * t->c + 0.5);
}

static int is_spine(int i, int j)
{
    return i == 0 || j == 0;
}

/* One-way pairs: rows 2 (eastbound) and 3 (westbound), columns -2
 * (northbound) and -3 (southbound), in towns with n >= 6. Returns +1/-1
 * for the direction along the row/column, 0 when two-way. */
static int oneway_row(const settlement *t, int j)
{
    if (!t->town || t->n < 6)
        return 0;
    return j == 2 ? 1 : j == 3 ? -1 : 0;
}

static int oneway_col(const settlement *t, int i)
{
    if (!t->town || t->n < 10)
        return 0;
    return i == -2 ? 1 : i == -3 ? -1 : 0;
}

/* 1 when node (i, j) is inside the ragged disc and not in a void. */
static int node_inside(const gen *g, int32_t k, int i, int j)
{
    const settlement *t = &g->r->set[k];
    uint64_t seed = g->r->p.seed;
    if (is_spine(i, j))
        return i >= -t->n && i <= t->n && j >= -t->n && j <= t->n;
    int64_t ci = i >= 0 ? i / 3 : -((-i + 2) / 3);
    int64_t cj = j >= 0 ? j / 3 : -((-j + 2) / 3);
    double rag = 0.7 + 0.45 * hash01(seed, SALT_GRID_RAGGED, k, ci * 4096 + cj);
    double n2 = (double)t->n * t->n * rag;
    if ((double)i * i + (double)j * j > n2)
        return 0;
    /* Voids (parks, rivers, fields): coarse 4x4-block patches, 7 %. */
    int64_t vi = i >= 0 ? i / 4 : -((-i + 3) / 4);
    int64_t vj = j >= 0 ? j / 4 : -((-j + 3) / 4);
    return hash01(seed, SALT_GRID_RAGGED + 7, k, vi * 4096 + vj) >= 0.07;
}

/* 1 when the street edge from (i, j) to the next node along `dir` (0:
 * +i, 1: +j) exists. */
static int edge_present(const gen *g, int32_t k, int i, int j, int dir)
{
    const settlement *t = &g->r->set[k];
    int i2 = dir == 0 ? i + 1 : i, j2 = dir == 0 ? j : j + 1;
    int on_spine = dir == 0 ? j == 0 : i == 0;
    if (on_spine)
        return (dir == 0 ? (i >= -t->n && i2 <= t->n)
                         : (j >= -t->n && j2 <= t->n));
    if (!node_inside(g, k, i, j) || !node_inside(g, k, i2, j2))
        return 0;
    int one = dir == 0 ? oneway_row(t, j) : oneway_col(t, i);
    if (one != 0)
        return 1;
    /* Missing links: 9 % of ordinary edges. */
    return hash01(g->r->p.seed, SALT_GRID_EDGE + (uint64_t)dir, k,
                  (int64_t)i * 65536 + j) >= 0.09;
}

/* Class of a row/column `line` (its index across the grid). */
static int street_class(const settlement *t, int line, int oneway)
{
    if (line == 0)
        return t->town ? (t->pop >= 50000 ? HW_PRIMARY : HW_SECONDARY)
                       : (t->pop >= 1500 ? HW_TERTIARY : HW_UNCLASSIFIED);
    if (oneway)
        return HW_SECONDARY;
    if (t->town && line % 6 == 0)
        return HW_TERTIARY;
    return HW_RESIDENTIAL;
}

/* 1 when the street edge ending at (i, j) along `dir` has a bend: most
 * village streets (unpaved, following the terrain), few town streets. */
static int bend(const gen *g, int32_t k, int i, int j, int dir)
{
    double share = g->r->set[k].town ? 0.05 : 0.3;
    return hash01(g->r->p.seed, SALT_GRID_EDGE + 5 + (uint64_t)dir, k,
                  (int64_t)i * 65536 + j) < share;
}

/* Emits the street along row j (dir 0) or column i (dir 1) as maximal runs
 * of present edges, oriented for one-way streets. */
static void emit_street(gen *g, int32_t k, int line, int dir)
{
    const settlement *t = &g->r->set[k];
    int one = dir == 0 ? oneway_row(t, line) : oneway_col(t, line);
    int hw = street_class(t, line, one != 0);
    int maxspeed = 0;
    if (hw == HW_RESIDENTIAL && t->town &&
        hash01(g->r->p.seed, SALT_GRID + 3, k, line * 2 + dir) < 0.3)
        maxspeed = 30;
    size_t n = 0;
    for (int a = -t->n; a <= t->n + 1; a++) {
        int i = dir == 0 ? a : line, j = dir == 0 ? line : a;
        int present = a <= t->n && edge_present(g, k, i, j, dir);
        if (present || n > 0) {
            if (ensure_cap(g, n + 3) != 0) {
                g->failed = 1;
                return;
            }
            int64_t x, y;
            grid_node(g, k, i, j, &x, &y);
            if (n > 0 && bend(g, k, i, j, dir)) {
                /* A bend: a shape vertex between two junctions. */
                int64_t dx = x - g->vx[n - 1], dy = y - g->vy[n - 1];
                g->vx[n] = g->vx[n - 1] + dx / 2 - dy / 12;
                g->vy[n] = g->vy[n - 1] + dy / 2 + dx / 12;
                n++;
            }
            g->vx[n] = x;
            g->vy[n] = y;
            n++;
        }
        if (!present && n > 0) {
            if (one < 0)
                for (size_t q = 0; q < n / 2; q++) {
                    int64_t x = g->vx[q], y = g->vy[q];
                    g->vx[q] = g->vx[n - 1 - q];
                    g->vy[q] = g->vy[n - 1 - q];
                    g->vx[n - 1 - q] = x;
                    g->vy[n - 1 - q] = y;
                }
            emit_line(g, n, hw, one != 0, maxspeed);
            n = 0;
        }
    }
}

/* 1 when node (i, j) is on a present street. */
static int node_used(const gen *g, int32_t k, int i, int j)
{
    return edge_present(g, k, i, j, 0) || edge_present(g, k, i - 1, j, 0) ||
           edge_present(g, k, i, j, 1) || edge_present(g, k, i, j - 1, 1);
}

/* Service spurs: dead-end driveways into 12 % of a town's blocks. */
static void emit_spurs(gen *g, int32_t k)
{
    const settlement *t = &g->r->set[k];
    uint64_t seed = g->r->p.seed;
    for (int j = -t->n; j < t->n; j++)
        for (int i = -t->n; i < t->n; i++) {
            if (hash01(seed, SALT_GRID + 9, k, (int64_t)i * 65536 + j) >= 0.12)
                continue;
            if (!node_used(g, k, i, j) || !node_inside(g, k, i + 1, j + 1))
                continue;
            if (ensure_cap(g, 2) != 0) {
                g->failed = 1;
                return;
            }
            grid_node(g, k, i, j, &g->vx[0], &g->vy[0]);
            int64_t x1, y1;
            grid_node(g, k, i + 1, j + 1, &x1, &y1);
            g->vx[1] = g->vx[0] + (x1 - g->vx[0]) * 2 / 5;
            g->vy[1] = g->vy[0] + (y1 - g->vy[0]) * 2 / 5;
            emit_line(g, 2, HW_SERVICE, 0, 0);
        }
}

static void emit_grid(gen *g, int32_t k)
{
    const settlement *t = &g->r->set[k];
    for (int line = -t->n; line <= t->n && !g->failed; line++) {
        emit_street(g, k, line, 0);
        emit_street(g, k, line, 1);
    }
    if (t->town)
        emit_spurs(g, k);
}

/* ---------------------------------------------------------------------- */
/* Roads between settlements                                               */
/* ---------------------------------------------------------------------- */

/* The end of settlement a's main street facing settlement b. */
static void attach_point(const gen *g, int32_t a, int32_t b, int64_t *x,
                         int64_t *y)
{
    const settlement *s = &g->r->set[a], *t = &g->r->set[b];
    double dx = (double)(t->cx - s->cx), dy = (double)(t->cy - s->cy);
    double li = dx * s->c + dy * s->s, lj = -dx * s->s + dy * s->c;
    int i = 0, j = 0;
    if (fabs(li) >= fabs(lj))
        i = li >= 0 ? s->n : -s->n;
    else
        j = lj >= 0 ? s->n : -s->n;
    grid_node(g, a, i, j, x, y);
}

/* Winding polyline from (x0, y0) to (x1, y1) into g->vx/vy by midpoint
 * displacement: each segment longer than `step` units is split at its
 * midpoint moved sideways by up to `rough` times its length. Returns the
 * vertex count, 0 on allocation failure. */
static size_t winding(gen *g, rng *rg, int64_t x0, int64_t y0, int64_t x1,
                      int64_t y1, double step, double rough)
{
    double len = dist_units(x0, y0, x1, y1);
    size_t segs = 1;
    while (len / (double)segs > step && segs < (1u << 16))
        segs *= 2;
    if (ensure_cap(g, segs + 1) != 0)
        return 0;
    g->vx[0] = x0;
    g->vy[0] = y0;
    g->vx[segs] = x1;
    g->vy[segs] = y1;
    for (size_t half = segs / 2; half >= 1; half /= 2) {
        for (size_t m = half; m < segs; m += 2 * half) {
            int64_t ax = g->vx[m - half], ay = g->vy[m - half];
            int64_t bx = g->vx[m + half], by = g->vy[m + half];
            double dx = (double)(bx - ax), dy = (double)(by - ay);
            double off = rng_range(rg, -rough, rough);
            double mx = 0.5 * (double)(ax + bx) - dy * off;
            double my = 0.5 * (double)(ay + by) + dx * off;
            g->vx[m] = (int64_t)floor(mx + 0.5);
            g->vy[m] = (int64_t)floor(my + 0.5);
        }
        if (half == 1)
            break;
    }
    return segs + 1;
}

static int road_class(const region *r, int32_t a, int32_t b)
{
    const settlement *s = &r->set[a], *t = &r->set[b];
    double small = s->pop < t->pop ? s->pop : t->pop;
    if (s->town && t->town)
        return small >= 40000 ? HW_TRUNK : HW_PRIMARY;
    if (s->town || t->town)
        return small >= 1500 ? HW_SECONDARY : HW_TERTIARY;
    return small >= 1500 ? HW_TERTIARY : HW_UNCLASSIFIED;
}

/* Motorway between towns a and b: two one-way carriageways 30 m apart,
 * joined to each town's main street by one-way links. */
static void emit_motorway(gen *g, rng *rg, int32_t a, int32_t b)
{
    int64_t ax, ay, bx, by;
    attach_point(g, a, b, &ax, &ay);
    attach_point(g, b, a, &bx, &by);
    size_t n = winding(g, rg, ax, ay, bx, by, 800.0 / M_PER_UNIT, 0.06);
    if (n < 3) {
        g->failed = n == 0;
        emit_line(g, n, HW_TRUNK, 0, 80);
        return;
    }
    double len = dist_units(ax, ay, bx, by);
    double ox = -(double)(by - ay) / len * (15.0 / M_PER_UNIT);
    double oy = (double)(bx - ax) / len * (15.0 / M_PER_UNIT);
    int64_t dxo = (int64_t)floor(ox + 0.5), dyo = (int64_t)floor(oy + 0.5);
    size_t cnt = n - 2;
    int64_t *bxs = malloc(2 * cnt * sizeof *bxs);
    if (bxs == NULL || ensure_cap(g, cnt + 2) != 0) {
        free(bxs);
        g->failed = 1;
        return;
    }
    int64_t *bys = bxs + cnt;
    memcpy(bxs, g->vx + 1, cnt * sizeof *bxs);
    memcpy(bys, g->vy + 1, cnt * sizeof *bys);
    for (int side = 0; side < 2; side++) {
        int64_t sx = side == 0 ? dxo : -dxo, sy = side == 0 ? dyo : -dyo;
        int64_t fx = side == 0 ? ax : bx, fy = side == 0 ? ay : by;
        int64_t tx = side == 0 ? bx : ax, ty = side == 0 ? by : ay;
        for (size_t q = 0; q < cnt; q++) {
            size_t src = side == 0 ? q : cnt - 1 - q;
            g->vx[q] = bxs[src] + sx;
            g->vy[q] = bys[src] + sy;
        }
        int64_t c0x = g->vx[0], c0y = g->vy[0];
        int64_t c1x = g->vx[cnt - 1], c1y = g->vy[cnt - 1];
        emit_line(g, cnt, HW_MOTORWAY, 1, 110);
        g->vx[0] = fx, g->vy[0] = fy, g->vx[1] = c0x, g->vy[1] = c0y;
        emit_line(g, 2, HW_MOTORWAY_LINK, 1, 0);
        g->vx[0] = c1x, g->vy[0] = c1y, g->vx[1] = tx, g->vy[1] = ty;
        emit_line(g, 2, HW_MOTORWAY_LINK, 1, 0);
    }
    free(bxs);
}

static void emit_road(gen *g, int32_t a, int32_t b)
{
    rng rg;
    rng_seed(&rg, g->r->p.seed, SALT_ROAD, (uint64_t)a, (uint64_t)b);
    const settlement *s = &g->r->set[a], *t = &g->r->set[b];
    if (s->motorway && t->motorway) {
        emit_motorway(g, &rg, a, b);
        return;
    }
    int hw = road_class(g->r, a, b);
    double step_m = hw == HW_TRUNK ? 300.0 : hw == HW_PRIMARY ? 220.0 : 90.0;
    double rough = hw <= HW_PRIMARY ? 0.10 : 0.22;
    int64_t ax, ay, bx, by;
    attach_point(g, a, b, &ax, &ay);
    attach_point(g, b, a, &bx, &by);
    size_t n = winding(g, &rg, ax, ay, bx, by, step_m / M_PER_UNIT, rough);
    if (n == 0) {
        g->failed = 1;
        return;
    }
    emit_line(g, n, hw, 0, hw == HW_TRUNK ? 80 : 0);
}

static void emit_connections(gen *g)
{
    region *r = g->r;
    for (int32_t i = 0; i < r->n_set && !g->failed; i++) {
        int32_t p = r->set[i].parent;
        if (p >= 0)
            emit_road(g, i, p);
        /* Loops: a second road to the nearest neighbour for 35 % of the
         * settlements (towns: 60 %), unless that road already exists. */
        double share = r->set[i].town ? 0.6 : 0.35;
        if (hash01(r->p.seed, SALT_ROAD + 1, i, 0) >= share)
            continue;
        int32_t q = nearest(r, i, 0);
        if (q < 0 || q == p || r->set[q].parent == i)
            continue;
        emit_road(g, i, q);
    }
}

/* ---------------------------------------------------------------------- */
/* GDAL outputs                                                            */
/* ---------------------------------------------------------------------- */

static OGRSpatialReferenceH wgs84(void)
{
    OGRSpatialReferenceH srs = OSRNewSpatialReference(NULL);
    if (srs == NULL)
        return NULL;
    if (OSRImportFromEPSG(srs, 4326) != OGRERR_NONE) {
        OSRDestroySpatialReference(srs);
        return NULL;
    }
    OSRSetAxisMappingStrategy(srs, OAMS_TRADITIONAL_GIS_ORDER);
    return srs;
}

static int writer_open(writer *w, const char *path, const char *layer,
                       OGRwkbGeometryType type, const char *const *fields,
                       const OGRFieldType *types, int n_fields)
{
    memset(w, 0, sizeof *w);
    GDALDriverH drv = GDALGetDriverByName("GPKG");
    if (drv == NULL)
        return -1;
    w->ds = GDALCreate(drv, path, 0, 0, 0, GDT_Unknown, NULL);
    OGRSpatialReferenceH srs = wgs84();
    if (w->ds == NULL || srs == NULL) {
        OSRDestroySpatialReference(srs);
        return -1;
    }
    w->layer = GDALDatasetCreateLayer(w->ds, layer, srs, type, NULL);
    OSRDestroySpatialReference(srs);
    if (w->layer == NULL)
        return -1;
    for (int i = 0; i < n_fields; i++) {
        OGRFieldDefnH fd = OGR_Fld_Create(fields[i], types[i]);
        OGRErr e = OGR_L_CreateField(w->layer, fd, TRUE);
        OGR_Fld_Destroy(fd);
        if (e != OGRERR_NONE)
            return -1;
    }
    w->defn = OGR_L_GetLayerDefn(w->layer);
    return GDALDatasetStartTransaction(w->ds, FALSE) == OGRERR_NONE ? 0 : -1;
}

/* Commits and closes; returns -1 when either fails. */
static int writer_close(writer *w, int ok)
{
    int rc = 0;
    if (w->ds == NULL)
        return -1;
    if (ok && GDALDatasetCommitTransaction(w->ds) != OGRERR_NONE)
        rc = -1;
    if (!ok)
        GDALDatasetRollbackTransaction(w->ds);
    GDALClose(w->ds);
    w->ds = NULL;
    if (CPLGetLastErrorType() == CE_Failure)
        rc = -1;
    return rc;
}

static int write_roads(gen *g, const char *path)
{
    const char *fields[] = {"highway", "oneway", "maxspeed"};
    const OGRFieldType types[] = {OFTString, OFTString, OFTString};
    if (writer_open(&g->roads, path, "roads", wkbLineString, fields, types,
                    3) != 0) {
        fprintf(stderr, "accessim-genregion: error: cannot create %s: %s\n",
                path, CPLGetLastErrorMsg());
        if (g->roads.ds)
            GDALClose(g->roads.ds);
        return -1;
    }
    for (int32_t k = 0; k < g->r->n_set && !g->failed; k++)
        emit_grid(g, k);
    emit_connections(g);
    if (writer_close(&g->roads, !g->failed) != 0 || g->failed) {
        fprintf(stderr, "accessim-genregion: error: writing %s failed: %s\n",
                path, CPLGetLastErrorMsg());
        return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------------- */
/* Population raster                                                       */
/* ---------------------------------------------------------------------- */

/* People in the cell (col, row-from-south) from the rural field. */
static double rural_people(const region *r, int col, int yrow)
{
    double x = col + 0.5, y = yrow + 0.5;
    double n = fbm(r->p.seed, SALT_RURAL, x, y, 90.0);
    /* Settled land where the field is above 0.22: the chance of a cell
     * being populated rises with the field, so empty areas (forest,
     * swamp, park land) alternate with farmland. */
    double p = (n - 0.22) * 2.0 * r->p.rural_share / 0.6;
    if (p <= 0.0)
        return 0.0;
    double u = hash01(r->p.seed, SALT_RURAL_CELL, col, yrow);
    if (u >= p)
        return 0.0;
    double v = hash01(r->p.seed, SALT_RURAL_CELL + 1, col, yrow);
    return 0.2 + 8.0 * v * v * v;
}

/* Adds settlement k's people to the strip buf (rows r0..r0+nr from the
 * top, width w). */
static void add_settlement(const region *r, int32_t k, float *buf, int r0,
                           int nr)
{
    const settlement *t = &r->set[k];
    int w = r->p.width, h = r->p.height;
    double rm = t->radius * 1.05, r0u = rm / 3.0;
    /* Density D0 / (1 + (d/r0)^2) over the disc d <= rm integrates to
     * pi r0^2 D0 ln(1 + (rm/r0)^2) = pi r0^2 D0 ln 10. */
    double d0 = t->pop / (PI * r0u * r0u * 2.302585092994046);
    double cell_area = (double)CELL * CELL;
    int c0 = (int)((t->cx - rm) / CELL), c1 = (int)((t->cx + rm) / CELL);
    int ys0 = (int)((t->cy - rm) / CELL), ys1 = (int)((t->cy + rm) / CELL);
    for (int yr = ys0; yr <= ys1; yr++) {
        int row = h - 1 - yr;
        if (row < r0 || row >= r0 + nr || yr < 0)
            continue;
        for (int col = c0 < 0 ? 0 : c0; col <= c1 && col < w; col++) {
            double dx = (col + 0.5) * CELL - (double)t->cx;
            double dy = (yr + 0.5) * CELL - (double)t->cy;
            double d2 = dx * dx + dy * dy;
            if (d2 > rm * rm)
                continue;
            double v = d0 * cell_area / (1.0 + d2 / (r0u * r0u));
            float *cell = &buf[(size_t)(row - r0) * (size_t)w + (size_t)col];
            if (*cell >= 0.0f)
                *cell += (float)v;
        }
    }
}

/* Settlements whose discs touch strip s, as index lists per strip. */
typedef struct strips {
    int32_t *first; /* n_strips + 1 */
    int32_t *items;
} strips;

static int strips_build(const region *r, int n_strips, strips *out)
{
    int h = r->p.height;
    out->first = calloc((size_t)n_strips + 2, sizeof *out->first);
    int64_t total = 0;
    if (out->first == NULL)
        return -1;
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1) {
            for (int s = 0; s < n_strips; s++)
                out->first[s + 1] += out->first[s];
            total = out->first[n_strips];
            out->items = malloc(((size_t)total + 1) * sizeof *out->items);
            if (out->items == NULL)
                return -1;
        }
        int32_t *fill =
            pass == 1 ? calloc((size_t)n_strips, sizeof *fill) : NULL;
        if (pass == 1 && fill == NULL)
            return -1;
        for (int32_t k = 0; k < r->n_set; k++) {
            const settlement *t = &r->set[k];
            double rm = t->radius * 1.05;
            int top = h - 1 - (int)((t->cy + rm) / CELL);
            int bot = h - 1 - (int)((t->cy - rm) / CELL);
            int s0 = (top < 0 ? 0 : top) / STRIP_ROWS;
            int s1 = (bot >= h ? h - 1 : bot) / STRIP_ROWS;
            for (int s = s0; s <= s1 && s < n_strips; s++) {
                if (pass == 0)
                    out->first[s + 1]++;
                else
                    out->items[out->first[s] + fill[s]++] = k;
            }
        }
        free(fill);
    }
    return 0;
}

static void render_strip(const region *r, const strips *sl, int s, float *buf,
                         int r0, int nr, stats *st)
{
    int w = r->p.width, h = r->p.height;
    for (int row = r0; row < r0 + nr; row++) {
        int yr = h - 1 - row;
        for (int col = 0; col < w; col++) {
            float *cell = &buf[(size_t)(row - r0) * (size_t)w + (size_t)col];
            if (!is_land(r, col + 0.5, yr + 0.5))
                *cell = (float)NODATA;
            else
                *cell = (float)rural_people(r, col, yr);
        }
    }
    for (int32_t q = sl->first[s]; q < sl->first[s + 1]; q++)
        add_settlement(r, sl->items[q], buf, r0, nr);
    for (int row = r0; row < r0 + nr; row++) {
        int yr = h - 1 - row;
        for (int col = 0; col < w; col++) {
            float *cell = &buf[(size_t)(row - r0) * (size_t)w + (size_t)col];
            if (*cell < 0.0f)
                continue;
            st->land_cells++;
            if (*cell > 0.0f) {
                double f =
                    0.6 + 0.8 * hash01(r->p.seed, SALT_CELL_NOISE, col, yr);
                *cell = (float)((double)*cell * f);
                st->populated++;
                st->people += (double)*cell;
            }
        }
    }
}

static int write_population(const region *r, const char *path, stats *st)
{
    int w = r->p.width, h = r->p.height, rc = -1;
    int n_strips = (h + STRIP_ROWS - 1) / STRIP_ROWS;
    strips sl = {NULL, NULL};
    float *buf = NULL;
    GDALDatasetH ds = NULL;
    char **opt = NULL;
    opt = CSLSetNameValue(opt, "TILED", "YES");
    opt = CSLSetNameValue(opt, "BLOCKXSIZE", "256");
    opt = CSLSetNameValue(opt, "BLOCKYSIZE", "256");
    opt = CSLSetNameValue(opt, "COMPRESS", "DEFLATE");
    opt = CSLSetNameValue(opt, "PREDICTOR", "3");
    opt = CSLSetNameValue(opt, "BIGTIFF", "IF_SAFER");
    GDALDriverH drv = GDALGetDriverByName("GTiff");
    if (drv == NULL)
        goto done;
    ds = GDALCreate(drv, path, w, h, 1, GDT_Float32, opt);
    OGRSpatialReferenceH srs = wgs84();
    if (ds == NULL || srs == NULL) {
        OSRDestroySpatialReference(srs);
        goto done;
    }
    double gt[6] = {r->lon0, 1.0 / CELLS_PER_DEG,
                    0.0,     r->lat0 + h / CELLS_PER_DEG,
                    0.0,     -1.0 / CELLS_PER_DEG};
    int bad = GDALSetGeoTransform(ds, gt) != CE_None ||
              GDALSetSpatialRef(ds, srs) != CE_None;
    OSRDestroySpatialReference(srs);
    GDALRasterBandH band = GDALGetRasterBand(ds, 1);
    if (bad || GDALSetRasterNoDataValue(band, NODATA) != CE_None)
        goto done;
    buf = malloc((size_t)w * STRIP_ROWS * sizeof *buf);
    if (buf == NULL || strips_build(r, n_strips, &sl) != 0)
        goto done;
    for (int s = 0; s < n_strips; s++) {
        int r0 = s * STRIP_ROWS;
        int nr = h - r0 < STRIP_ROWS ? h - r0 : STRIP_ROWS;
        render_strip(r, &sl, s, buf, r0, nr, st);
        if (GDALRasterIO(band, GF_Write, 0, r0, w, nr, buf, w, nr, GDT_Float32,
                         0, 0) != CE_None)
            goto done;
    }
    rc = 0;
done:
    if (ds != NULL) {
        GDALClose(ds);
        if (CPLGetLastErrorType() == CE_Failure)
            rc = -1;
    }
    if (rc != 0)
        fprintf(stderr, "accessim-genregion: error: writing %s failed: %s\n",
                path, CPLGetLastErrorMsg());
    CSLDestroy(opt);
    free(buf);
    free(sl.first);
    free(sl.items);
    return rc;
}

/* ---------------------------------------------------------------------- */
/* Facilities                                                              */
/* ---------------------------------------------------------------------- */

/* Index k in [lo, hi) of the first cumulative weight cum[k] above a
 * share u of the weights in that range (binary search). */
static int32_t pick(const double *cum, int32_t lo, int32_t hi, double u)
{
    double base = lo > 0 ? cum[lo - 1] : 0.0;
    double target = base + u * (cum[hi - 1] - base);
    int32_t end = hi;
    while (lo < hi) {
        int32_t mid = lo + (hi - lo) / 2;
        if (cum[mid] > target)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo < end ? lo : end - 1;
}

static int emit_facility(writer *w, const region *r, rng *g, int32_t k,
                         int64_t id, stats *st)
{
    const settlement *t = &r->set[k];
    double ox, oy;
    do {
        ox = rng_range(g, -1.0, 1.0);
        oy = rng_range(g, -1.0, 1.0);
    } while (ox * ox + oy * oy > 1.0);
    double rad = 0.6 * t->radius;
    int64_t x = t->cx + (int64_t)floor(ox * rad + 0.5);
    int64_t y = t->cy + (int64_t)floor(oy * rad + 0.5);
    double ph = t->town ? (t->pop >= 100000 ? 0.35 : 0.2) : 0.03;
    int hospital = rng_u01(g) < ph;
    int beds;
    if (hospital) {
        beds = (int)((40.0 + t->pop / 4000.0) * rng_range(g, 0.5, 1.5));
        if (beds > 1500)
            beds = 1500;
    } else {
        beds = 2 + (int)(rng_u01(g) * 28.0);
    }
    char name[96];
    snprintf(name, sizeof name, "%s %" PRId32 " %s %" PRId64,
             t->town ? "Town" : "Village", k, hospital ? "Hospital" : "Clinic",
             id);
    OGRFeatureH f = OGR_F_Create(w->defn);
    OGR_F_SetFieldString(f, 0, name);
    OGR_F_SetFieldString(f, 1, hospital ? "hospital" : "clinic");
    OGR_F_SetFieldInteger(f, 2, beds);
    OGRGeometryH pt = OGR_G_CreateGeometry(wkbPoint);
    OGR_G_SetPoint_2D(pt, 0, lon_of(r, x), lat_of(r, y));
    OGR_F_SetGeometryDirectly(f, pt);
    int rc = OGR_L_CreateFeature(w->layer, f) == OGRERR_NONE ? 0 : -1;
    OGR_F_Destroy(f);
    st->facilities++;
    st->hospitals += hospital;
    return rc != 0 ? -1 : writer_feature_done(w);
}

static int write_facilities(const region *r, const char *path, stats *st)
{
    const char *fields[] = {"name", "amenity", "beds"};
    const OGRFieldType types[] = {OFTString, OFTString, OFTInteger};
    writer w;
    int rc = -1;
    double *cum = malloc(((size_t)r->n_set + 1) * sizeof *cum);
    if (cum == NULL || r->n_set == 0 ||
        writer_open(&w, path, "facilities", wkbPoint, fields, types, 3) != 0)
        goto done;
    double acc = 0.0;
    for (int32_t k = 0; k < r->n_set; k++)
        cum[k] = acc += r->set[k].pop;
    rng g;
    rng_seed(&g, r->p.seed, SALT_FACILITIES, 0, 0);
    int32_t nt = r->n_towns, ns = r->n_set;
    rc = 0;
    for (int64_t id = 0; id < r->p.facilities && rc == 0; id++) {
        /* 85 % in towns, by population; the rest in villages. */
        int in_town = nt > 0 && (ns == nt || rng_u01(&g) < 0.85);
        double u = rng_u01(&g);
        int32_t k = in_town ? pick(cum, 0, nt, u) : pick(cum, nt, ns, u);
        rc = emit_facility(&w, r, &g, k, id, st);
    }
    if (writer_close(&w, rc == 0) != 0)
        rc = -1;
done:
    if (rc != 0)
        fprintf(stderr, "accessim-genregion: error: writing %s failed: %s\n",
                path, CPLGetLastErrorMsg());
    free(cum);
    return rc;
}

/* ---------------------------------------------------------------------- */
/* Scenario file and command line                                          */
/* ---------------------------------------------------------------------- */

static int write_scenario(const params *p, const char *path)
{
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        fprintf(stderr, "accessim-genregion: error: cannot create %s: %s\n",
                path, strerror(errno));
        return -1;
    }
    fprintf(f,
            "# Synthetic region written by accessim-genregion (preset %s, "
            "seed %" PRIu64 ", %dx%d cells).\n"
            "name: region-%s-%" PRIu64 "\n"
            "roads:\n  path: roads.gpkg\n  layer: roads\n"
            "population:\n  path: population.tif\n"
            "snap:\n  max_distance_m: 5000\n  walk_speed_kmh: 5\n"
            "facilities:\n  - name: health\n    path: facilities.gpkg\n"
            "    layer: facilities\n    class_field: amenity\n"
            "    capacity_field: beds\n"
            "cutoffs_min: [15, 30, 60]\n"
            "measures:\n  - type: 2sfca\n    threshold_min: 30\n",
            p->preset, p->seed, p->width, p->height, p->preset, p->seed);
    if (fclose(f) != 0) {
        fprintf(stderr, "accessim-genregion: error: writing %s failed\n", path);
        return -1;
    }
    return 0;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: accessim-genregion [--preset tiny|S|M|L] [--seed N] "
               "[--out DIR]\n"
               "         [--width CELLS] [--height CELLS] [--towns N] "
               "[--villages N]\n"
               "         [--facilities N] [--rural-share X] [--quiet]\n"
               "Writes DIR/roads.gpkg, population.tif, facilities.gpkg and "
               "region.yaml\n(default DIR: region-PRESET-SEED), replacing "
               "them if present.\n");
}

static int parse_int(const char *s, long lo, long hi, long *out)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

static int apply_preset(params *p, const char *name)
{
    for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++)
        if (strcmp(presets[i].name, name) == 0) {
            p->preset = presets[i].name;
            p->width = p->height = presets[i].side;
            p->facilities = presets[i].facilities;
            return 0;
        }
    return -1;
}

static int parse_option(params *p, const char *opt, const char *val)
{
    long v;
    if (strcmp(opt, "--preset") == 0)
        return apply_preset(p, val);
    if (strcmp(opt, "--out") == 0) {
        p->out = val;
        return 0;
    }
    if (strcmp(opt, "--rural-share") == 0) {
        char *end = NULL;
        p->rural_share = strtod(val, &end);
        return end != val && *end == '\0' && p->rural_share >= 0.0 &&
                       p->rural_share <= 1.0
                   ? 0
                   : -1;
    }
    if (strcmp(opt, "--seed") == 0) {
        char *end = NULL;
        errno = 0;
        p->seed = strtoull(val, &end, 10);
        return errno == 0 && end != val && *end == '\0' && val[0] != '-' ? 0
                                                                         : -1;
    }
    const struct {
        const char *name;
        int *dst;
        long lo, hi;
    } ints[] = {{"--width", &p->width, 16, 200000},
                {"--height", &p->height, 16, 200000},
                {"--towns", &p->towns, 0, 100000},
                {"--villages", &p->villages, 0, 10000000},
                {"--facilities", &p->facilities, 1, 10000000}};
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++)
        if (strcmp(opt, ints[i].name) == 0) {
            if (parse_int(val, ints[i].lo, ints[i].hi, &v) != 0)
                return -1;
            *ints[i].dst = (int)v;
            return 0;
        }
    return -1;
}

/* Returns 0 to run, 1 for --help, 2 for a usage error. */
static int parse_args(int argc, char **argv, params *p)
{
    memset(p, 0, sizeof *p);
    p->seed = 1;
    p->rural_share = 0.95;
    apply_preset(p, "tiny");
    /* The preset first, so that explicit sizes override it. */
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], "--preset") == 0 && apply_preset(p, argv[i + 1])) {
            fprintf(stderr,
                    "accessim-genregion: error: unknown preset '%s' "
                    "(expected tiny, S, M or L)\n",
                    argv[i + 1]);
            return 2;
        }
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return 1;
        if (strcmp(argv[i], "--quiet") == 0 || strcmp(argv[i], "-q") == 0) {
            p->quiet = 1;
            continue;
        }
        if (strcmp(argv[i], "--preset") == 0 && i + 1 < argc) {
            i++;
            continue;
        }
        if (i + 1 >= argc || parse_option(p, argv[i], argv[i + 1]) != 0) {
            fprintf(stderr,
                    "accessim-genregion: error: bad option or value: %s\n",
                    argv[i]);
            return 2;
        }
        i++;
    }
    return 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Land area in km^2 of the whole box (for deriving counts). */
static double box_km2(const params *p)
{
    double cell_m = CELL * M_PER_UNIT;
    return (double)p->width * p->height * cell_m * cell_m * 1e-6;
}

static int region_init(region *r, const params *p)
{
    memset(r, 0, sizeof *r);
    r->p = *p;
    r->w_units = (int64_t)p->width * CELL;
    r->h_units = (int64_t)p->height * CELL;
    r->lon0 = CENTRE_LON - p->width / (2.0 * CELLS_PER_DEG);
    r->lat0 = CENTRE_LAT - p->height / (2.0 * CELLS_PER_DEG);
    double km2 = box_km2(p);
    int towns = p->towns > 0 ? p->towns : (int)(km2 / 300.0) + 1;
    int villages = p->villages > 0 ? p->villages : (int)(km2 / 1.4);
    r->bucket = (int64_t)(4000.0 / M_PER_UNIT);
    r->bx = (int)(r->w_units / r->bucket) + 1;
    r->by = (int)(r->h_units / r->bucket) + 1;
    r->head = malloc((size_t)r->bx * (size_t)r->by * sizeof *r->head);
    r->set = malloc(((size_t)towns + (size_t)villages + 1) * sizeof *r->set);
    if (r->head == NULL || r->set == NULL)
        return -1;
    for (int i = 0; i < r->bx * r->by; i++)
        r->head[i] = -1;
    place_towns(r, towns);
    place_villages(r, villages);
    link_settlements(r);
    return 0;
}

static int make_dir(const char *dir)
{
    if (mkdir(dir, 0777) == 0 || errno == EEXIST)
        return 0;
    fprintf(stderr, "accessim-genregion: error: cannot create folder %s: %s\n",
            dir, strerror(errno));
    return -1;
}

static void path_in(char *buf, size_t n, const char *dir, const char *name)
{
    snprintf(buf, n, "%s/%s", dir, name);
    unlink(buf); /* GDAL's GPKG driver will not create over a file */
}

static void report(const region *r, const stats *st, const double *t)
{
    printf("accessim-genregion: preset %s, seed %" PRIu64
           ", %dx%d cells (%.0f km^2)\n",
           r->p.preset, r->p.seed, r->p.width, r->p.height, box_km2(&r->p));
    printf("  settlements  %" PRId32 " towns (largest %.0f people), %" PRId32
           " villages\n",
           r->n_towns, r->n_towns > 0 ? r->set[0].pop : 0.0,
           r->n_set - r->n_towns);
    printf("  roads        %" PRId64 " lines, %" PRId64 " vertices, %" PRId64
           " one-way;",
           st->lines, st->vertices, st->oneway_lines);
    for (int c = 0; c <= HW_SERVICE; c++)
        printf(" %s %" PRId64, classes[c], st->by_class[c]);
    printf("\n  population   %" PRId64 " populated cells of %" PRId64
           " land cells, %.0f people\n",
           st->populated, st->land_cells, st->people);
    printf("  facilities   %" PRId64 " (%" PRId64 " hospitals)\n",
           st->facilities, st->hospitals);
    printf("  time         settlements %.2fs, roads %.2fs, population %.2fs, "
           "facilities %.2fs, total %.2fs\n",
           t[1] - t[0], t[2] - t[1], t[3] - t[2], t[4] - t[3], t[4] - t[0]);
}

int main(int argc, char **argv)
{
    params p;
    int a = parse_args(argc, argv, &p);
    if (a != 0) {
        usage(a == 1 ? stdout : stderr);
        return a == 1 ? 0 : 2;
    }
    char dflt[128];
    if (p.out == NULL) {
        snprintf(dflt, sizeof dflt, "region-%s-%" PRIu64, p.preset, p.seed);
        p.out = dflt;
    }
    GDALAllRegister();
    CPLSetErrorHandler(CPLQuietErrorHandler);
    region r;
    gen g;
    memset(&g, 0, sizeof g);
    int rc = 1;
    double t[5];
    char path[4096];
    t[0] = now_s();
    if (make_dir(p.out) != 0)
        goto done;
    g.r = &r;
    if (region_init(&r, &p) != 0) {
        fprintf(stderr, "accessim-genregion: error: out of memory\n");
        goto done;
    }
    t[1] = now_s();
    path_in(path, sizeof path, p.out, "roads.gpkg");
    if (write_roads(&g, path) != 0)
        goto done;
    t[2] = now_s();
    path_in(path, sizeof path, p.out, "population.tif");
    if (write_population(&r, path, &g.st) != 0)
        goto done;
    t[3] = now_s();
    path_in(path, sizeof path, p.out, "facilities.gpkg");
    if (write_facilities(&r, path, &g.st) != 0)
        goto done;
    path_in(path, sizeof path, p.out, "region.yaml");
    if (write_scenario(&p, path) != 0)
        goto done;
    t[4] = now_s();
    if (!p.quiet)
        report(&r, &g.st, t);
    rc = 0;
done:
    free(g.lon);
    free(g.lat);
    free(g.vx);
    free(g.vy);
    if (g.r != NULL) {
        free(r.set);
        free(r.head);
    }
    return rc;
}
