/*
 * test_model_api.c: the reusable model API (engine/accessim.h) as a
 * site-selection program uses it, on the bundled Comoros demo:
 *  - the model is built by stages, each reported and cancellable; a build
 *    cancelled at one stage resumes where it stopped;
 *  - one model answers several site sets without being rebuilt: the
 *    scenario's facilities, the same points given as arrays (identical
 *    answers), and a smaller set (less coverage, same model);
 *  - catchments by range of sites are the rows of the whole set's, and one
 *    site's catchment into caller buffers is the same row; buffers too
 *    small are refused, never filled in part;
 *  - 1 and 2 threads give byte-identical results;
 *  - accessors refuse what is out of range.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <accessim.h>

#define SCENARIO AM_DEMO_DATA "/comoros/comoros.yaml"

typedef struct fixture {
    am_scenario *s;
    am_model *m;
    am_sites *f; /* the scenario's set */
} fixture;

static fixture fx;

/* Stops the build when the stage label starts with `stop_at`. */
typedef struct stage_log {
    char labels[16][32];
    int n;
    const char *stop_at;
} stage_log;

static int log_stage(double fraction, const char *message, void *user)
{
    stage_log *l = user;
    if (fraction == 0.0 && l->n < 16)
        snprintf(l->labels[l->n++], sizeof l->labels[0], "%s", message);
    return l->stop_at == NULL ||
           strncmp(message, l->stop_at, strlen(l->stop_at)) != 0;
}

static int setup(void **state)
{
    (void)state;
    am_error err;
    memset(&fx, 0, sizeof fx);
    if (am_scenario_read_file(SCENARIO, &fx.s, &err) != AM_OK)
        return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    am_sites_destroy(fx.f);
    am_model_destroy(fx.m);
    am_scenario_destroy(fx.s);
    return 0;
}

/* Runs first: builds fx.m by stages, with a cancellation on the way. */
static void test_build_by_stages(void **state)
{
    (void)state;
    am_error err;
    stage_log log;
    memset(&log, 0, sizeof log);
    am_model_options o = am_model_options_default();
    o.progress = log_stage;
    o.progress_user = &log;
    assert_int_equal(am_model_create(fx.s, &o, &fx.m, &err), AM_OK);
    assert_int_equal(am_model_reached(fx.m), AM_STAGE_NONE);
    assert_int_equal(am_model_node_count(fx.m), 0);
    assert_null(am_model_cell_ids(fx.m));

    assert_int_equal(am_model_build_to(fx.m, AM_STAGE_GRAPH, &err), AM_OK);
    assert_int_equal(am_model_reached(fx.m), AM_STAGE_GRAPH);
    /* the contracted graph's junctions (issue 7): 10,941 of the 60,116
     * road vertices, with chains of at most AM_CHAIN_MAX_M (the run's
     * summary and /network graph_nodes say the same; bench_network
     * --max-chain-m 250 on the PBF gives the same count) */
    assert_int_equal(am_model_node_count(fx.m), 10941);
    assert_int_equal(am_model_cell_count(fx.m), 0);

    /* cancelled at the population stage: the model stays at GRAPH */
    log.stop_at = "reading population";
    assert_int_equal(am_model_build(fx.m, &err), AM_ERR_CANCELLED);
    assert_int_equal(am_model_reached(fx.m), AM_STAGE_GRAPH);
    /* and resumes from there: roads and graph are not built again */
    log.stop_at = NULL;
    int before = log.n;
    assert_int_equal(am_model_build(fx.m, &err), AM_OK);
    assert_int_equal(am_model_reached(fx.m), AM_STAGE_SNAP);
    assert_int_equal(log.n - before, 2);
    assert_string_equal(log.labels[before], "reading population");
    assert_string_equal(log.labels[before + 1], "snapping population");
    assert_string_equal(log.labels[0], "reading roads");
    assert_string_equal(log.labels[1], "building graph");

    assert_int_equal(am_model_cell_count(fx.m), 203208);
    int32_t nx = 0, ny = 0;
    am_model_grid_size(fx.m, &nx, &ny);
    assert_int_equal(nx, 1576);
    assert_int_equal(ny, 1270);
    const int64_t *ids = am_model_cell_ids(fx.m);
    for (int32_t i = 1; i < am_model_cell_count(fx.m); i++)
        assert_true(ids[i - 1] < ids[i]);
    const int32_t *ln = am_model_cell_link_nodes(fx.m);
    const uint32_t *lo = am_model_cell_link_offsets_ds(fx.m);
    assert_non_null(ln);
    assert_non_null(lo);
    /* links: the first is present whenever any is; two distinct nodes */
    int32_t n_two = 0;
    for (int32_t i = 0; i < am_model_cell_count(fx.m); i++) {
        assert_true(ln[AM_LINKS * i] >= 0 || ln[AM_LINKS * i + 1] < 0);
        if (ln[AM_LINKS * i + 1] >= 0) {
            n_two++;
            assert_true(ln[AM_LINKS * i] != ln[AM_LINKS * i + 1]);
            assert_true(lo[AM_LINKS * i + 1] < AM_RESULTS_UNREACHED);
        }
    }
    assert_true(n_two > 0);
    /* building again is a no-op */
    assert_int_equal(am_model_build(fx.m, &err), AM_OK);

    assert_int_equal(am_sites_from_scenario(fx.m, 0, &fx.f, &err), AM_OK);
    assert_int_equal(am_sites_count(fx.f), 36);
    assert_int_equal(am_sites_on_network(fx.f), 36);
    assert_string_equal(am_sites_name(fx.f), "hospitals_clinics");
}

static void assert_same_results(const am_results *a, const am_results *b,
                                int32_t n_cells, int32_t n_sites)
{
    assert_memory_equal(am_results_nearest_ds(a), am_results_nearest_ds(b),
                        (size_t)n_cells * sizeof(uint32_t));
    assert_memory_equal(am_results_nearest_site(a), am_results_nearest_site(b),
                        (size_t)n_cells * sizeof(int32_t));
    assert_memory_equal(am_results_access(a, 0), am_results_access(b, 0),
                        (size_t)n_cells * sizeof(double));
    assert_memory_equal(am_results_site_demand(a, 0),
                        am_results_site_demand(b, 0),
                        (size_t)n_sites * sizeof(double));
    assert_memory_equal(am_results_site_ratio(a, 0),
                        am_results_site_ratio(b, 0),
                        (size_t)n_sites * sizeof(double));
    int na = 0, nb = 0;
    const double *ca = am_results_coverage(a, &na);
    const double *cb = am_results_coverage(b, &nb);
    assert_int_equal(na, 3);
    assert_int_equal(nb, 3);
    assert_memory_equal(ca, cb, 3 * sizeof(double));
}

/* The same points given as arrays answer the same; a smaller set on the
 * same model covers fewer people; 1 and 2 threads agree. */
static void test_many_sets_one_model(void **state)
{
    (void)state;
    am_error err;
    const int32_t n = am_sites_count(fx.f);
    const int32_t n_cells = am_model_cell_count(fx.m);
    const double *lon, *lat;
    am_sites_lonlat(fx.f, &lon, &lat);
    am_results *r1 = NULL, *r2 = NULL, *ra = NULL, *rs = NULL;
    am_sites *fa = NULL, *fs = NULL;
    assert_int_equal(am_results_compute(fx.m, fx.f, 1, &r1, &err), AM_OK);
    assert_int_equal(am_results_compute(fx.m, fx.f, 2, &r2, &err), AM_OK);
    assert_same_results(r1, r2, n_cells, n);

    assert_int_equal(am_sites_from_points(fx.m, "as_arrays", n, lon, lat,
                                          am_sites_capacity(fx.f), &fa, &err),
                     AM_OK);
    assert_memory_equal(am_sites_link_nodes(fa), am_sites_link_nodes(fx.f),
                        (size_t)n * AM_LINKS * sizeof(int32_t));
    assert_memory_equal(am_sites_link_offsets_ds(fa),
                        am_sites_link_offsets_ds(fx.f),
                        (size_t)n * AM_LINKS * sizeof(uint32_t));
    assert_int_equal(am_results_compute(fx.m, fa, 0, &ra, &err), AM_OK);
    assert_same_results(r1, ra, n_cells, n);

    /* the first ten sites only: same model, fewer people covered */
    assert_int_equal(
        am_sites_from_points(fx.m, "first_ten", 10, lon, lat, NULL, &fs, &err),
        AM_OK);
    assert_int_equal(am_results_compute(fx.m, fs, 0, &rs, &err), AM_OK);
    int k = 0;
    const double *c_all = am_results_coverage(r1, &k);
    const double *c_ten = am_results_coverage(rs, &k);
    for (int i = 0; i < k; i++)
        assert_true(c_ten[i] <= c_all[i]);
    assert_true(c_ten[2] < c_all[2]);
    /* every nearest site of the small set is one of its ten */
    const int32_t *near = am_results_nearest_site(rs);
    for (int32_t i = 0; i < n_cells; i++)
        assert_true(near[i] >= -1 && near[i] < 10);

    /* out of range */
    assert_null(am_results_access(r1, 1));
    assert_null(am_results_access(r1, -1));
    assert_null(am_results_site_ratio(r1, 5));
    am_results *bad = NULL;
    assert_int_equal(am_results_compute(fx.m, NULL, 0, &bad, &err),
                     AM_ERR_USAGE);
    assert_null(bad);
    am_sites *bad_sites = NULL;
    const double cap[1] = {-1.0};
    assert_int_equal(
        am_sites_from_points(fx.m, "neg", 1, lon, lat, cap, &bad_sites, &err),
        AM_ERR_INVALID);
    assert_int_equal(am_sites_from_points(fx.m, "bad/name", 1, lon, lat, NULL,
                                          &bad_sites, &err),
                     AM_ERR_INVALID);
    assert_null(bad_sites);

    am_results_destroy(r1);
    am_results_destroy(r2);
    am_results_destroy(ra);
    am_results_destroy(rs);
    am_sites_destroy(fa);
    am_sites_destroy(fs);
}

/* A range of sites' catchments are rows of the whole set's; one site's
 * catchment into caller buffers is the same row. */
static void test_catchments(void **state)
{
    (void)state;
    am_error err;
    const int32_t n = am_sites_count(fx.f);
    am_catchments *all = NULL, *part = NULL;
    assert_int_equal(
        am_sites_catchments(fx.f, 0, n, 30.0, 0, NULL, NULL, &all, &err),
        AM_OK);
    assert_int_equal(
        am_sites_catchments(fx.f, 5, 10, 30.0, 1, NULL, NULL, &part, &err),
        AM_OK);
    assert_int_equal(am_catchments_row_count(all), n);
    assert_int_equal(am_catchments_row_count(part), 10);
    const int32_t cap = am_model_catchment_capacity(fx.m);
    assert_true(cap > 0 && cap <= am_model_node_count(fx.m));
    int32_t *na = malloc((size_t)cap * sizeof *na);
    int32_t *nb = malloc((size_t)cap * sizeof *nb);
    uint32_t *ta = malloc((size_t)cap * sizeof *ta);
    uint32_t *tb = malloc((size_t)cap * sizeof *tb);
    assert_true(na && nb && ta && tb);
    am_query *q = NULL;
    assert_int_equal(am_query_create(fx.m, &q, &err), AM_OK);
    int64_t total = 0;
    for (int32_t j = 0; j < n; j++) {
        const int64_t size = am_catchments_row_size(all, j);
        total += size;
        am_catchments_row_get(all, j, na, ta);
        if (j >= 5 && j < 15) {
            assert_int_equal(am_catchments_row_size(part, j - 5), size);
            am_catchments_row_get(part, j - 5, nb, tb);
            assert_memory_equal(na, nb, (size_t)size * sizeof *na);
            assert_memory_equal(ta, tb, (size_t)size * sizeof *ta);
        }
        int32_t got = -1;
        assert_int_equal(
            am_sites_catchment_one(fx.f, j, 30.0, q, cap, nb, tb, &got, &err),
            AM_OK);
        assert_int_equal(got, size);
        assert_memory_equal(na, nb, (size_t)size * sizeof *na);
        assert_memory_equal(ta, tb, (size_t)size * sizeof *ta);
        for (int64_t e = 0; e < size; e++)
            assert_true(ta[e] <= 18000); /* 30 min, inclusive */
    }
    assert_true(total > 1000);
    /* a buffer one entry short is refused and nothing is reported */
    int32_t j_big = 0;
    for (int32_t j = 1; j < n; j++)
        if (am_catchments_row_size(all, j) > am_catchments_row_size(all, j_big))
            j_big = j;
    int32_t got = 7;
    const int32_t short_cap = (int32_t)am_catchments_row_size(all, j_big) - 1;
    assert_int_equal(am_sites_catchment_one(fx.f, j_big, 30.0, q, short_cap, nb,
                                            tb, &got, &err),
                     AM_ERR_INVALID);
    assert_int_equal(got, 0);
    /* bad ranges, limits and indexes */
    am_catchments *bad = NULL;
    assert_int_equal(
        am_sites_catchments(fx.f, 30, 10, 30.0, 0, NULL, NULL, &bad, &err),
        AM_ERR_INVALID);
    assert_int_equal(
        am_sites_catchments(fx.f, 0, 1, 0.0, 0, NULL, NULL, &bad, &err),
        AM_ERR_INVALID);
    assert_int_equal(
        am_sites_catchments(fx.f, 0, 1, 1441.0, 0, NULL, NULL, &bad, &err),
        AM_ERR_INVALID);
    assert_null(bad);
    assert_int_equal(
        am_sites_catchment_one(fx.f, n, 30.0, q, cap, nb, tb, &got, &err),
        AM_ERR_INVALID);
    am_query_destroy(q);
    am_catchments_free(all);
    am_catchments_free(part);
    free(na);
    free(nb);
    free(ta);
    free(tb);
}

/* Objects refuse NULL and unbuilt models; destroy accepts NULL. */
static void test_misuse(void **state)
{
    (void)state;
    am_error err;
    am_model *m = NULL;
    assert_int_equal(am_model_create(NULL, NULL, &m, &err), AM_ERR_USAGE);
    assert_null(m);
    assert_int_equal(am_model_create(fx.s, NULL, &m, &err), AM_OK);
    am_sites *f = NULL;
    const double lon[1] = {43.3}, lat[1] = {-11.7};
    assert_int_equal(
        am_sites_from_points(m, "early", 1, lon, lat, NULL, &f, &err),
        AM_ERR_USAGE);
    am_query *q = NULL;
    assert_int_equal(am_query_create(m, &q, &err), AM_ERR_USAGE);
    assert_int_equal(am_sites_from_scenario(m, 0, &f, &err), AM_ERR_USAGE);
    assert_null(f);
    am_model_destroy(m);
    am_model_destroy(NULL);
    am_sites_destroy(NULL);
    am_results_destroy(NULL);
    am_catchments_free(NULL);
    am_query_destroy(NULL);
}

/*
 * The prepared-graph cache holds the roads stage (vertex ids); the graph
 * stage, with its Hilbert node order (kernels/order.h), is rebuilt from
 * it: a model loaded from a cache has the same node ids as one read from
 * the road layer (the cells' link nodes, byte for byte), and a cache from
 * before the renumbering (the same content) gives the renumbered graph.
 */
static void test_cache_same_node_order(void **state)
{
    (void)state;
    am_error err;
    char dir[] = "/tmp/am-order-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/comoros.amgraph", dir);
    am_prepare_options po = am_prepare_options_default();
    po.cache_path = path;
    assert_int_equal(am_prepare(fx.s, &po, NULL, &err), AM_OK);
    char *saved = fx.s->roads_cache;
    fx.s->roads_cache = path;
    am_model *m = NULL;
    am_model_options o = am_model_options_default();
    o.threads = 1; /* fx.m: the default count */
    assert_int_equal(am_model_create(fx.s, &o, &m, &err), AM_OK);
    fx.s->roads_cache = saved;
    assert_int_equal(am_model_build(m, &err), AM_OK);
    assert_int_equal(am_model_node_count(m), am_model_node_count(fx.m));
    const int32_t n = am_model_cell_count(m);
    assert_int_equal(n, am_model_cell_count(fx.m));
    assert_memory_equal(am_model_cell_link_nodes(m),
                        am_model_cell_link_nodes(fx.m),
                        2 * (size_t)n * sizeof(int32_t));
    assert_memory_equal(am_model_cell_link_offsets_ds(m),
                        am_model_cell_link_offsets_ds(fx.m),
                        2 * (size_t)n * sizeof(uint32_t));
    am_model_destroy(m);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_build_by_stages),
        cmocka_unit_test(test_cache_same_node_order),
        cmocka_unit_test(test_many_sets_one_model),
        cmocka_unit_test(test_catchments),
        cmocka_unit_test(test_misuse),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
