/*
 * test_graph_cache.c: the prepared-graph cache (engine/graph_cache.h):
 * every setting in the key changes it, a network survives a write and a
 * read bit for bit, and a damaged, truncated, stale or foreign file is
 * never loaded.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/strutil.h"
#include "engine/graph_cache.h"
#include "engine/scenario_file.h"

#define HEX_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define HEX_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

static void key_of(const am_scenario *s, const char *hex, long long size,
                   am_roads_key *k)
{
    am_error err;
    assert_int_equal(am_roads_cache_key(s, hex, size, NULL, k, &err), AM_OK);
}

static int same_key(const am_roads_key *a, const am_roads_key *b)
{
    return memcmp(a->sha, b->sha, 32) == 0 && strcmp(a->text, b->text) == 0;
}

/* Swaps a scenario string field for value (NULL allowed). */
static void set_str(char **field, const char *value)
{
    am_free(*field);
    *field = value != NULL ? am_strdup(value) : NULL;
}

/* Each input and setting of the key changes it; others do not. */
static void test_key_components(void **state)
{
    (void)state;
    am_scenario *s = NULL;
    assert_int_equal(am_scenario_create(&s), AM_OK);
    am_roads_key base, k;
    key_of(s, HEX_A, 100, &base);
    key_of(s, HEX_A, 100, &k);
    assert_true(same_key(&base, &k)); /* deterministic */
    am_roads_key_free(&k);

    key_of(s, HEX_B, 100, &k); /* the roads content */
    assert_false(same_key(&base, &k));
    am_roads_key_free(&k);
    key_of(s, HEX_A, 101, &k); /* its size */
    assert_false(same_key(&base, &k));
    am_roads_key_free(&k);

    char **fields[] = {&s->roads_layer,       &s->roads_where,
                       &s->profile,           &s->roads_class_field,
                       &s->roads_speed_field, &s->roads_time_field,
                       &s->roads_time_unit,   &s->roads_oneway_field};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        char *saved = *fields[i] != NULL ? strdup(*fields[i]) : NULL;
        set_str(fields[i], "x");
        key_of(s, HEX_A, 100, &k);
        assert_false(same_key(&base, &k));
        am_roads_key_free(&k);
        /* unset and empty are different settings */
        set_str(fields[i], "");
        am_roads_key k2;
        key_of(s, HEX_A, 100, &k2);
        assert_false(same_key(&base, &k2));
        am_roads_key_free(&k2);
        /* a value cannot forge another line ("x\nroads.layer=...") */
        set_str(fields[i], "x\nroads.layer=\"lines\"");
        key_of(s, HEX_A, 100, &k2);
        assert_null(strstr(k2.text, "\nroads.layer=\"lines\"\n"));
        am_roads_key_free(&k2);
        set_str(fields[i], saved);
        free(saved);
        key_of(s, HEX_A, 100, &k);
        assert_true(same_key(&base, &k));
        am_roads_key_free(&k);
    }
    /* the numeric and list settings of issue 7 (profiles, GIS layers) */
    struct {
        double *d;
        int *i;
    } nums[] = {{&s->roads_default_speed_kmh, NULL},
                {&s->roads_join_tolerance_m, NULL},
                {NULL, &s->roads_ferries},
                {NULL, &s->roads_use_implausible_maxspeed},
                {NULL, &s->roads_join_all_vertices},
                {NULL, &s->roads_join_crossings}};
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
        const double d0 = nums[i].d != NULL ? *nums[i].d : 0.0;
        const int i0 = nums[i].i != NULL ? *nums[i].i : 0;
        if (nums[i].d != NULL)
            *nums[i].d = d0 + 0.5;
        else
            *nums[i].i = i0 + 1;
        key_of(s, HEX_A, 100, &k);
        assert_false(same_key(&base, &k));
        am_roads_key_free(&k);
        if (nums[i].d != NULL)
            *nums[i].d = d0;
        else
            *nums[i].i = i0;
    }
    am_class_speed cs = {"primary", 70.0, 0};
    s->road_speeds = &cs;
    s->n_road_speeds = 1;
    key_of(s, HEX_A, 100, &k);
    assert_false(same_key(&base, &k));
    am_roads_key_free(&k);
    am_roads_key k3;
    cs.value = 71.0; /* the value counts, not only the class */
    key_of(s, HEX_A, 100, &k3);
    assert_false(same_key(&k3, &base));
    am_roads_key_free(&k3);
    s->road_speeds = NULL;
    s->n_road_speeds = 0;
    s->road_speed_multipliers = &cs;
    s->n_road_speed_multipliers = 1;
    key_of(s, HEX_A, 100, &k);
    assert_false(same_key(&base, &k));
    am_roads_key_free(&k);
    s->road_speed_multipliers = NULL;
    s->n_road_speed_multipliers = 0;
    am_field_speed fs = {"track", 15.0};
    s->roads_class_speeds = &fs;
    s->n_roads_class_speeds = 1;
    key_of(s, HEX_A, 100, &k);
    assert_false(same_key(&base, &k));
    am_roads_key_free(&k);
    s->roads_class_speeds = NULL;
    s->n_roads_class_speeds = 0;
    char *fwd[] = {"F"};
    s->roads_oneway_values[0] = fwd;
    s->n_roads_oneway_values[0] = 1;
    key_of(s, HEX_A, 100, &k);
    assert_false(same_key(&base, &k));
    am_roads_key_free(&k);
    s->roads_oneway_values[0] = NULL;
    s->n_roads_oneway_values[0] = 0;
    key_of(s, HEX_A, 100, &k);
    assert_true(same_key(&base, &k));
    am_roads_key_free(&k);

    /* what is applied after the roads stage is not in the key */
    s->snap_max_m = 123;
    s->walk_speed_kmh = 3;
    set_str(&s->population_path, "other.tif");
    set_str(&s->roads_path, "moved/roads.pbf"); /* content, not path */
    set_str(&s->roads_cache, "elsewhere.amgraph");
    key_of(s, HEX_A, 100, &k);
    assert_true(same_key(&base, &k));
    am_roads_key_free(&k);
    char fmt[32];
    snprintf(fmt, sizeof fmt, "format=\"%d\"\n", AM_ROADS_CACHE_FORMAT);
    assert_non_null(strstr(base.text, fmt));
    assert_non_null(strstr(base.text, "roads.content=\"sha256:" HEX_A));
    am_roads_key_free(&base);
    am_scenario_destroy(s);
}

/* Writes text to path. */
static void write_text(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

/* The key of s after (re)reading its profile file written with text. */
static void key_with_profile(am_scenario *s, const char *path, const char *text,
                             am_roads_key *k)
{
    am_error err;
    write_text(path, text);
    assert_int_equal(am_profile_file_read_for(s, &err), AM_OK);
    key_of(s, HEX_A, 100, k);
}

/* roads.profile_file (issue 7): the profile's content is in the key, not
 * the file's path or formatting. */
static void test_key_profile_file(void **state)
{
    (void)state;
    char dir[] = "/tmp/am-gcache-prof-XXXXXX", path[96], path2[96];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/p.yaml", dir);
    snprintf(path2, sizeof path2, "%s/q.yaml", dir);
    am_scenario *s = NULL;
    assert_int_equal(am_scenario_create(&s), AM_OK);
    am_roads_key none, base, k;
    key_of(s, HEX_A, 100, &none);
    assert_non_null(strstr(none.text, "roads.profile_file=(unset)\n"));
    set_str(&s->roads_profile_file, path);
    const char *text = "name: moto\nbase: car\nclasses: {track: 30}\n";
    key_with_profile(s, path, text, &base);
    assert_false(same_key(&none, &base));
    assert_non_null(strstr(base.text, "roads.profile_file=\"moto\";"));
    /* a comment or a reformatting: the same profile, the same key */
    key_with_profile(s, path,
                     "# a comment\nname: moto\nbase: car\nclasses:\n"
                     "  track: 30\n",
                     &k);
    assert_true(same_key(&base, &k));
    am_roads_key_free(&k);
    /* the same content under another name: the same key */
    set_str(&s->roads_profile_file, path2);
    key_with_profile(s, path2, text, &k);
    assert_true(same_key(&base, &k));
    am_roads_key_free(&k);
    /* each setting of the file changes it */
    const char *changed[] = {
        "name: moto2\nbase: car\nclasses: {track: 30}\n",
        "name: moto\nbase: car\nclasses: {track: 31}\n",
        "name: moto\nbase: ambulance\nclasses: {track: 30}\n",
        "name: moto\nbase: car\nclasses: {track: 30, path: 10}\n",
        "name: moto\nbase: car\nclasses: {track: 30}\noneway: ignore\n",
        "name: moto\nbase: car\nclasses: {track: 30}\n"
        "oneway_key: oneway:motorcycle\n",
        "name: moto\nbase: car\nclasses: {track: 30}\naccess: [access]\n",
        "name: moto\nbase: car\nclasses: {track: 30}\nmaxspeed: cap\n",
        "name: moto\nbase: car\nclasses: {track: 30}\n"
        "plausibility: {ratio: 0.5}\n",
        "name: moto\nbase: car\nclasses: {track: 30}\n"
        "plausibility: {floor_kmh: 10}\n",
        "name: moto\nbase: car\nclasses: {track: 30}\n"
        "ferries: {enabled: true}\n",
        "name: moto\nbase: car\nclasses: {track: 30}\n"
        "ferries: {speed_kmh: 15}\n",
    };
    for (size_t i = 0; i < sizeof changed / sizeof changed[0]; i++) {
        key_with_profile(s, path2, changed[i], &k);
        assert_false(same_key(&base, &k));
        am_roads_key_free(&k);
    }
    am_roads_key_free(&none);
    am_roads_key_free(&base);
    am_scenario_destroy(s);
    unlink(path);
    unlink(path2);
    rmdir(dir);
}

/* A small network with every counter set. */
static am_road_network *network(void)
{
    am_road_network *r = am_calloc(1, sizeof *r);
    r->n_nodes = 3;
    r->n_arcs = 3;
    r->lon = am_malloc(3 * sizeof *r->lon);
    r->lat = am_malloc(3 * sizeof *r->lat);
    r->tail = am_malloc(3 * sizeof *r->tail);
    r->head = am_malloc(3 * sizeof *r->head);
    r->time_ds = am_malloc(3 * sizeof *r->time_ds);
    r->len_m = am_malloc(3 * sizeof *r->len_m);
    const double lon[3] = {43.25, -179.5, 180.0}, lat[3] = {-11.7, 0.1, 89.9};
    memcpy(r->lon, lon, sizeof lon);
    memcpy(r->lat, lat, sizeof lat);
    const int32_t tail[3] = {0, 1, 2}, head[3] = {1, 2, 0};
    memcpy(r->tail, tail, sizeof tail);
    memcpy(r->head, head, sizeof head);
    const uint32_t t[3] = {10, 0, 99999};
    memcpy(r->time_ds, t, sizeof t);
    const float len[3] = {12.5f, 0.0f, 1e6f};
    memcpy(r->len_m, len, sizeof len);
    r->arc_flags = am_malloc(3 * sizeof *r->arc_flags);
    const uint8_t flags[3] = {0, AM_ARC_FERRY, 0};
    memcpy(r->arc_flags, flags, sizeof flags);
    r->n_ferry = 3;
    r->n_closed_access = 4;
    r->n_joined = 6;
    r->n_features = 7;
    r->n_routable = 5;
    r->n_not_routable = 2;
    r->n_bad_geometry = 1;
    r->n_oneway = 3;
    r->n_maxspeed = 4;
    r->total_len_km = 1.25;
    return r;
}

typedef struct fixture {
    char dir[64];
    char path[128];
    am_scenario *s;
    am_roads_key key;
    am_road_network *r;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/am-gcache-XXXXXX");
    if (mkdtemp(f->dir) == NULL)
        return -1;
    snprintf(f->path, sizeof f->path, "%s/g.amgraph", f->dir);
    am_error err;
    if (am_scenario_create(&f->s) != AM_OK ||
        am_roads_cache_key(f->s, HEX_A, 5, NULL, &f->key, &err) != AM_OK)
        return -1;
    f->r = network();
    if (am_roads_cache_write(f->path, &f->key, f->r, NULL, &err) != AM_OK)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    unlink(f->path);
    rmdir(f->dir);
    am_roads_key_free(&f->key);
    am_road_network_destroy(f->r);
    am_scenario_destroy(f->s);
    free(f);
    return 0;
}

static am_cache_state read_state(fixture *f, const am_roads_key *key, char *why,
                                 am_road_network **out)
{
    am_error err;
    am_cache_state st;
    assert_int_equal(
        am_roads_cache_read(f->path, key, &st, out, why, 256, &err), AM_OK);
    return st;
}

static void test_round_trip(void **state)
{
    fixture *f = *state;
    am_road_network *g = NULL;
    char why[256];
    assert_int_equal(read_state(f, &f->key, why, &g), AM_CACHE_LOADED);
    const am_road_network *r = f->r;
    assert_int_equal(g->n_nodes, r->n_nodes);
    assert_int_equal(g->n_arcs, r->n_arcs);
    assert_memory_equal(g->lon, r->lon, 3 * sizeof *r->lon);
    assert_memory_equal(g->lat, r->lat, 3 * sizeof *r->lat);
    assert_memory_equal(g->tail, r->tail, 3 * sizeof *r->tail);
    assert_memory_equal(g->head, r->head, 3 * sizeof *r->head);
    assert_memory_equal(g->time_ds, r->time_ds, 3 * sizeof *r->time_ds);
    assert_memory_equal(g->len_m, r->len_m, 3 * sizeof *r->len_m);
    assert_memory_equal(g->arc_flags, r->arc_flags, 3 * sizeof *r->arc_flags);
    assert_int_equal(g->n_ferry, 3);
    assert_int_equal(g->n_closed_access, 4);
    assert_int_equal(g->n_joined, 6);
    assert_int_equal(g->n_features, 7);
    assert_int_equal(g->n_routable, 5);
    assert_int_equal(g->n_not_routable, 2);
    assert_int_equal(g->n_bad_geometry, 1);
    assert_int_equal(g->n_oneway, 3);
    assert_int_equal(g->n_maxspeed, 4);
    assert_true(g->total_len_km == 1.25);
    am_road_network_destroy(g);
}

static void test_missing_and_stale(void **state)
{
    fixture *f = *state;
    am_road_network *g = NULL;
    char why[256];
    am_roads_key other;
    am_error err;
    set_str(&f->s->roads_where, "highway = 'primary'");
    assert_int_equal(am_roads_cache_key(f->s, HEX_A, 5, NULL, &other, &err),
                     AM_OK);
    assert_int_equal(read_state(f, &other, why, &g), AM_CACHE_STALE);
    assert_null(g);
    assert_string_equal(why, "roads.where changed");
    am_roads_key_free(&other);
    set_str(&f->s->roads_where, NULL);
    assert_int_equal(am_roads_cache_key(f->s, HEX_B, 5, NULL, &other, &err),
                     AM_OK);
    assert_int_equal(read_state(f, &other, why, &g), AM_CACHE_STALE);
    assert_string_equal(why, "the roads input's content changed");
    am_roads_key_free(&other);
    unlink(f->path);
    assert_int_equal(read_state(f, &f->key, why, &g), AM_CACHE_MISSING);
}

/* Every single-byte change anywhere in the file, and every truncation,
 * is refused (never loaded, never a crash). */
static void test_damage_everywhere(void **state)
{
    fixture *f = *state;
    FILE *fp = fopen(f->path, "rb");
    assert_non_null(fp);
    unsigned char buf[8192];
    size_t n = fread(buf, 1, sizeof buf, fp);
    fclose(fp);
    assert_true(n > 200 && n < sizeof buf);
    char why[256];
    for (size_t i = 0; i < n; i++) {
        buf[i] ^= 0x5a;
        fp = fopen(f->path, "wb");
        fwrite(buf, 1, n, fp);
        fclose(fp);
        am_road_network *g = NULL;
        am_cache_state st = read_state(f, &f->key, why, &g);
        assert_true(st == AM_CACHE_DAMAGED || st == AM_CACHE_STALE);
        assert_null(g);
        assert_true(why[0] != '\0');
        buf[i] ^= 0x5a;
    }
    for (size_t len = 0; len < n; len += 7) {
        fp = fopen(f->path, "wb");
        fwrite(buf, 1, len, fp);
        fclose(fp);
        am_road_network *g = NULL;
        assert_int_equal(read_state(f, &f->key, why, &g), AM_CACHE_DAMAGED);
        assert_null(g);
    }
}

/* A forged header whose sizes match a huge sparse file (2^30 arcs, about
 * 17 GiB of holes) is refused from its size on disk, before the payload
 * is hashed (which took minutes). */
static void test_forged_sparse(void **state)
{
    fixture *f = *state;
    FILE *fp = fopen(f->path, "r+b");
    assert_non_null(fp);
    unsigned char head[64];
    assert_int_equal(fread(head, 1, sizeof head, fp), sizeof head);
    int64_t m_old = 0, m_new = (int64_t)1 << 30;
    uint64_t payload = 0;
    memcpy(&m_old, head + 32, sizeof m_old); /* n_arcs */
    memcpy(&payload, head + 48, sizeof payload);
    assert_int_equal(m_old, 3);
    /* four 4-byte arrays and one 1-byte array, each padded to 8 bytes */
    const uint64_t grow = 17u * (uint64_t)m_new - (4u * 16u + 8u);
    payload += grow;
    memcpy(head + 32, &m_new, sizeof m_new);
    memcpy(head + 48, &payload, sizeof payload);
    fseek(fp, 0, SEEK_SET);
    assert_int_equal(fwrite(head, 1, sizeof head, fp), sizeof head);
    fseek(fp, 0, SEEK_END);
    const long size = ftell(fp);
    assert_int_equal(fclose(fp), 0);
    if (truncate(f->path, (off_t)size + (off_t)grow) != 0) {
        skip(); /* no sparse files of 17 GiB here */
    }
    char why[256];
    am_road_network *g = NULL;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(read_state(f, &f->key, why, &g), AM_CACHE_DAMAGED);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_null(g);
    assert_non_null(strstr(why, "sparse"));
    assert_true((double)(t1.tv_sec - t0.tv_sec) < 5.0);
}

/* A valid checksum over invalid content (a writer's bug, or a forged
 * file) is refused too: node ids, times, coordinates. */
static void test_invalid_content(void **state)
{
    fixture *f = *state;
    am_error err;
    char why[256];
    am_road_network *g = NULL;
    f->r->head[1] = 3;
    assert_int_equal(am_roads_cache_write(f->path, &f->key, f->r, NULL, &err),
                     AM_OK);
    assert_int_equal(read_state(f, &f->key, why, &g), AM_CACHE_DAMAGED);
    assert_non_null(strstr(why, "node out of range"));
    f->r->head[1] = 2;
    f->r->time_ds[2] = 0x7FFFFFFFu;
    assert_int_equal(am_roads_cache_write(f->path, &f->key, f->r, NULL, &err),
                     AM_OK);
    assert_int_equal(read_state(f, &f->key, why, &g), AM_CACHE_DAMAGED);
    f->r->time_ds[2] = 1;
    f->r->lat[0] = NAN;
    assert_int_equal(am_roads_cache_write(f->path, &f->key, f->r, NULL, &err),
                     AM_OK);
    assert_int_equal(read_state(f, &f->key, why, &g), AM_CACHE_DAMAGED);
    assert_non_null(strstr(why, "coordinates"));
    assert_null(g);
}

/* The write is atomic: a folder that is not there fails cleanly. */
static void test_write_fails_cleanly(void **state)
{
    fixture *f = *state;
    am_error err;
    char bad[160];
    snprintf(bad, sizeof bad, "%s/no/such/g.amgraph", f->dir);
    assert_int_equal(am_roads_cache_write(bad, &f->key, f->r, NULL, &err),
                     AM_ERR_IO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_components),
        cmocka_unit_test(test_key_profile_file),
        cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_and_stale, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_damage_everywhere, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_invalid_content, setup, teardown),
        cmocka_unit_test_setup_teardown(test_forged_sparse, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_fails_cleanly, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
