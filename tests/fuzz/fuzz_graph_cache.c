/*
 * fuzz_graph_cache.c: the prepared-graph cache reader (engine/graph_cache.c)
 * on arbitrary bytes (issue 13, "Fuzzing").
 *
 * A cache is checked against two SHA-256 sums (its key text, its payload)
 * before anything in it is trusted, so arbitrary bytes would almost never
 * get past "payload checksum mismatch". Each input therefore runs twice,
 * as libpng's fuzzers do with CRCs:
 *  1. as it is, through am_roads_cache_read (magic, byte order, header
 *     sizes, truncation, checksums);
 *  2. fixed up: its key section replaced by this harness's scenario's key
 *     text, the header's key length, key checksum and payload checksum set
 *     to match (its payload size moved by as much as the key's, so an
 *     inconsistent size stays inconsistent), written where the scenario's
 *     roads.cache points, and the model built as `accessim run` builds it
 *     (am_model_create, am_model_build_to: the cache read, the counters and
 *     arrays checked, then the graph, its contraction and reverse, the
 *     population and snapping on the loaded network; or, when the cache is
 *     refused, the roads read again and the cache rewritten).
 * The fixup needs the header's layout (graph_cache.h, "File layout"): it
 * is mirrored below, and the harness refuses to start unless a cache that
 * am_prepare wrote, fixed up, is loaded by the model (else the fuzzing of
 * step 2 would be blind).
 *
 * Checked beyond "no crash, no leak": a failure carries a message; a model
 * built from a loaded cache has graphs that pass am_graph_validate.
 * Seed: tests/fuzz/corpus/fuzz_graph_cache/, a cache that `accessim
 * prepare` wrote for the Comoros roads around Moroni (docs/fuzzing.md).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/sha256.h"
#include "engine/graph_cache.h"
#include "engine/internal.h"
#include "fuzz_geo.h"
#include "inputs/fingerprint.h"
#include "kernels/graph.h"

#define POP "/vsimem/fuzz/pop.tif"
#define FAC "/vsimem/fuzz/fac.geojson"
#define LON0 43.25
#define LAT0 (-11.70)

/* engine/graph_cache.c's file_header, field for field (graph_cache.h). */
typedef struct fz_cache_header {
    char magic[8];
    uint32_t format, bom, header_bytes, n_counters;
    int64_t n_nodes, n_arcs;
    uint64_t key_bytes, payload_bytes;
    uint8_t key_sha[32], payload_sha[32];
} fz_cache_header;

static char dir[512], roads_path[600], cache_path[600], raw_path[600];
static am_scenario *scenario;
static am_roads_key key; /* what the model computes for scenario */

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t pad8(uint64_t n)
{
    return (n + 7) & ~(uint64_t)7;
}

static int write_file(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        return 0;
    const int ok = fwrite(p, 1, n, f) == n;
    return fclose(f) == 0 && ok;
}

/* The input with its key and checksums fixed up (see the top); NULL when
 * it has no complete header. *n: its size. Owned (am_free). */
static uint8_t *fixed_up(const uint8_t *data, size_t size, size_t *n)
{
    fz_cache_header h;
    if (size < sizeof h)
        return NULL;
    memcpy(&h, data, sizeof h);
    const size_t body = size - sizeof h;
    const size_t old_key =
        h.key_bytes < body ? (size_t)pad8(h.key_bytes) : body;
    const size_t rest = body - (old_key < body ? old_key : body);
    const size_t klen = strlen(key.text);
    const size_t payload = (size_t)pad8(klen) + rest;
    uint8_t *out = am_calloc(1, sizeof h + payload);
    if (out == NULL)
        return NULL;
    memcpy(out + sizeof h, key.text, klen);
    memcpy(out + sizeof h + pad8(klen), data + size - rest, rest);
    h.payload_bytes += (uint64_t)payload - (uint64_t)body;
    h.key_bytes = klen;
    memcpy(h.key_sha, key.sha, 32);
    am_sha256 c;
    am_sha256_init(&c);
    am_sha256_update(&c, out + sizeof h, payload);
    am_sha256_final(&c, h.payload_sha);
    memcpy(out, &h, sizeof h);
    *n = sizeof h + payload;
    return out;
}

/* Builds the model on the cache at cache_path; *from_cache: whether the
 * roads came from it. Aborts on a failure without a message or a graph
 * that fails validation. */
static void build(int *from_cache)
{
    am_model_options mo = am_model_options_default();
    mo.threads = 1;
    mo.max_memory = (uint64_t)2 << 30;
    am_model *m = NULL;
    am_error err;
    am_error_clear(&err);
    am_status rc = am_model_create(scenario, &mo, &m, &err);
    if (rc == AM_OK)
        rc = am_model_build_to(m, AM_STAGE_SNAP, &err);
    fuzz_check_error(rc, &err);
    if (m != NULL && m->graph != NULL) {
        am_error verr;
        if (am_graph_validate(m->graph, &verr) != AM_OK ||
            (m->graph_rev != NULL &&
             am_graph_validate(m->graph_rev, &verr) != AM_OK))
            abort();
    }
    *from_cache = m != NULL && m->roads_from_cache;
    if (getenv("AM_FUZZ_VERBOSE") != NULL) {
        char line[1024];
        fprintf(stderr, "%s, from cache %d, %d nodes, %d cells\n",
                rc == AM_OK ? "built"
                            : am_error_format(&err, line, sizeof line),
                *from_cache, (int)am_model_node_count(m),
                (int)am_model_cell_count(m));
    }
    am_model_destroy(m);
}

/* At exit, before fuzz_util.h's rmdir of the folder (atexit runs in
 * reverse order). */
static void remove_files(void)
{
    unlink(roads_path);
    unlink(cache_path);
    unlink(raw_path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    GDALAllRegister();
    CPLPushErrorHandler(CPLQuietErrorHandler);
    snprintf(dir, sizeof dir, "%s", fuzz_dir());
    snprintf(roads_path, sizeof roads_path, "%s/roads.geojson", dir);
    snprintf(cache_path, sizeof cache_path, "%s/roads.amgraph", dir);
    snprintf(raw_path, sizeof raw_path, "%s/raw.amgraph", dir);
    atexit(remove_files);
    /* two roads: what the model reads when it refuses a cache */
    static const char roads[] =
        "{\"type\":\"FeatureCollection\",\"features\":["
        "{\"type\":\"Feature\",\"properties\":{\"highway\":\"primary\"},"
        "\"geometry\":{\"type\":\"LineString\",\"coordinates\":"
        "[[43.245,-11.70],[43.25,-11.70],[43.255,-11.70]]}},"
        "{\"type\":\"Feature\",\"properties\":{\"highway\":\"primary\"},"
        "\"geometry\":{\"type\":\"LineString\",\"coordinates\":"
        "[[43.25,-11.705],[43.25,-11.70],[43.25,-11.695]]}}]}";
    if (!write_file(roads_path, roads, sizeof roads - 1) ||
        !fz_facility(FAC, LON0, LAT0) ||
        !fz_population(POP, 43.2446, -11.6946, 12, 12, 0.00083333, 14.0f))
        abort();
    char text[2048];
    snprintf(text, sizeof text,
             "name: fuzz\noutput: %s/unused.h5\n"
             "roads:\n  path: %s\n  cache: %s\n"
             "population:\n  path: " POP "\n"
             "snap:\n  max_distance_m: 5000\n"
             "facilities:\n  - name: f\n    path: " FAC "\n"
             "cutoffs_min: [5, 15]\n"
             "measures:\n  - type: 2sfca\n    threshold_min: 15\n",
             dir, roads_path, cache_path);
    if ((scenario = fz_scenario(text)) == NULL)
        abort();
    /* the key, as engine/prepare.c's am_model_roads_cached makes it */
    am_error err;
    char hex[65], *side = NULL;
    long long bytes = 0;
    if (am_input_fingerprint(roads_path, hex, &bytes, &err) != AM_OK ||
        am_roads_side_files(roads_path, &side, &err) != AM_OK ||
        am_roads_cache_key(scenario, hex, bytes, side, &key, &err) != AM_OK)
        abort();
    am_free(side);
    /* the fixup is right: a prepared cache, fixed up, still loads */
    am_prepare_options po = am_prepare_options_default();
    po.threads = 1;
    if (am_prepare(scenario, &po, NULL, &err) != AM_OK)
        abort();
    FILE *f = fopen(cache_path, "rb");
    uint8_t buf[1 << 16];
    const size_t n = f != NULL ? fread(buf, 1, sizeof buf, f) : 0;
    if (f != NULL)
        fclose(f);
    size_t fn = 0;
    uint8_t *fixed = fixed_up(buf, n, &fn);
    int from_cache = 0;
    if (fixed == NULL || fn != n || memcmp(fixed, buf, n) != 0 ||
        !write_file(cache_path, fixed, fn) || (build(&from_cache), 0) ||
        !from_cache) {
        fprintf(stderr, "fuzz_graph_cache: the fixup does not give a cache "
                        "the model loads (graph_cache.c's header changed?)\n");
        abort();
    }
    am_free(fixed);
    unlink(cache_path);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* 1. as it is */
    if (write_file(raw_path, data, size)) {
        am_cache_state state;
        am_road_network *r = NULL;
        char why[256];
        am_error err;
        if (am_roads_cache_read(raw_path, &key, &state, &r, why, sizeof why,
                                &err) == AM_OK &&
            state != AM_CACHE_LOADED && state != AM_CACHE_MISSING &&
            why[0] == '\0')
            abort(); /* refused without saying why */
        am_road_network_destroy(r);
    }
    /* 2. fixed up, through the model */
    size_t n = 0;
    uint8_t *fixed = fixed_up(data, size, &n);
    if (fixed != NULL && write_file(cache_path, fixed, n)) {
        int from_cache = 0;
        build(&from_cache);
    }
    am_free(fixed);
    unlink(cache_path);
    unlink(raw_path);
    return 0;
}
