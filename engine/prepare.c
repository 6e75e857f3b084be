/*
 * prepare.c: `accessim prepare` (am_prepare) and the roads stage through
 * the prepared-graph cache (engine/graph_cache.h for the file and its key).
 *
 * Policy: a run loads the cache only when its key is the key of the
 * scenario now (roads content, layer, filter, profile, format, version);
 * a stale or damaged cache is rebuilt from the road layer, with one
 * warning saying why, and refreshed; a run writes no cache where there is
 * none (prepare opts in). A refresh that fails is a warning (the run has
 * its network); prepare's write failing is its error.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "common/alloc.h"
#include "common/file_check.h"
#include "engine/graph_cache.h"
#include "engine/internal.h"
#include "engine/sysinfo.h"
#include "inputs/fingerprint.h"

am_prepare_options am_prepare_options_default(void)
{
    am_prepare_options o;
    memset(&o, 0, sizeof o);
    return o;
}

am_status am_model_cache_path(const am_scenario *s, char buf[AM_PATH_MAX],
                              am_error *err)
{
    buf[0] = '\0';
    if (s->roads_cache != NULL)
        return am_engine_resolve(s, s->roads_cache, buf, err);
    if (s->source_path == NULL)
        return AM_OK;
    /* <folder of the scenario>/<stem>.amgraph */
    const char *src = s->source_path;
    const char *slash = strrchr(src, '/');
    const char *base = slash != NULL ? slash + 1 : src;
    const char *dot = strrchr(base, '.');
    size_t dir_len = (size_t)(base - src);
    size_t stem_len =
        dot != NULL && dot > base ? (size_t)(dot - base) : strlen(base);
    int k = snprintf(buf, AM_PATH_MAX, "%.*s%.*s%s", (int)dir_len, src,
                     (int)stem_len, base, AM_ROADS_CACHE_SUFFIX);
    if (k < 0 || k >= AM_PATH_MAX) {
        buf[0] = '\0';
        return am_error_set(err, AM_ERR_INVALID, src,
                            "the prepared-graph cache's path does not fit "
                            "in %d bytes",
                            AM_PATH_MAX);
    }
    return AM_OK;
}

/* What the cache must not replace: every input, and the run's output. */
static am_status write_cache(am_model *m, const am_roads_key *key,
                             am_error *err)
{
    am_file_guard g;
    am_file_guard_init(&g);
    am_status rc = am_engine_inputs_guard(m->s, &g, err);
    if (rc == AM_OK && m->run_output != NULL)
        rc = am_file_guard_add(&g, m->run_output, "the run's output", 0, err);
    if (rc == AM_OK)
        rc = am_file_guard_check(&g, m->cache_path, err);
    if (rc == AM_OK)
        rc = am_roads_cache_write(m->cache_path, key, m->roads, &g, err);
    am_file_guard_free(&g);
    return rc;
}

am_status am_model_roads_cached(am_model *m, am_roads_build_fn load,
                                am_error *err)
{
    struct stat st;
    const int exists = stat(m->cache_path, &st) == 0;
    if (m->cache_mode == AM_MODEL_CACHE_USE && !exists && errno == ENOENT)
        return load(m, err); /* no cache: as without one, none written */
    am_roads_key key;
    am_status rc = am_input_fingerprint(m->roads_path, m->fp_roads.hex,
                                        &m->fp_roads.size, err);
    char *side = NULL;
    if (rc == AM_OK)
        rc = am_roads_side_files(m->roads_path, &side, err);
    if (rc == AM_OK)
        rc = am_roads_cache_key(m->s, m->fp_roads.hex, m->fp_roads.size, side,
                                &key, err);
    am_free(side);
    if (rc != AM_OK)
        return rc;
    int refresh = m->cache_mode == AM_MODEL_CACHE_WRITE;
    if (m->cache_mode == AM_MODEL_CACHE_USE) {
        am_cache_state state;
        char why[256];
        rc = am_roads_cache_read(m->cache_path, &key, &state, &m->roads, why,
                                 sizeof why, err);
        if (rc == AM_OK && state == AM_CACHE_LOADED) {
            m->roads_from_cache = 1;
            /* the profile's name (part of the key), as a read records it */
            am_profile prof;
            if (am_scenario_profile(m->s, &prof, NULL) == AM_OK)
                snprintf(m->roads->profile, sizeof m->roads->profile, "%s",
                         prof.name);
            am_roads_key_free(&key);
            return AM_OK;
        }
        if (rc == AM_OK && state != AM_CACHE_MISSING) {
            am_warn(m->warn, "%s: prepared graph %s (%s): rebuilding it",
                    m->cache_path,
                    state == AM_CACHE_STALE ? "out of date" : "damaged", why);
            refresh = 1;
        }
    }
    if (rc == AM_OK)
        rc = load(m, err);
    if (rc == AM_OK && refresh) {
        am_error werr;
        am_error_clear(&werr);
        am_status wrc = write_cache(m, &key, &werr);
        if (wrc != AM_OK && m->cache_mode == AM_MODEL_CACHE_WRITE) {
            *err = werr;
            rc = wrc;
        } else if (wrc != AM_OK) {
            char line[AM_ERROR_MSG_MAX + AM_ERROR_FILE_MAX];
            am_warn(m->warn, "cannot refresh the prepared graph: %s",
                    am_error_format(&werr, line, sizeof line));
        }
    }
    am_roads_key_free(&key);
    return rc;
}

am_status am_prepare(const am_scenario *s, const am_prepare_options *opt,
                     am_prepare_result *result, am_error *err)
{
    am_prepare_options def = am_prepare_options_default();
    am_model *m = NULL;
    if (opt == NULL)
        opt = &def;
    if (result != NULL)
        memset(result, 0, sizeof *result);
    am_model_options mo = am_model_options_default();
    mo.threads = opt->threads;
    mo.max_memory = opt->max_memory;
    mo.progress = opt->progress;
    mo.progress_user = opt->progress_user;
    mo.warning = opt->warning;
    mo.warning_user = opt->warning_user;
    am_status rc = am_model_create(s, &mo, &m, err);
    if (rc != AM_OK)
        return rc;
    m->cache_mode = AM_MODEL_CACHE_WRITE;
    if (result != NULL) /* what a run would load: the model's default */
        snprintf(result->run_cache_path, sizeof result->run_cache_path, "%s",
                 m->cache_path);
    if (opt->cache_path != NULL) {
        if (strlen(opt->cache_path) >= sizeof m->cache_path) {
            rc =
                am_error_set(err, AM_ERR_IO, NULL,
                             "cache path is %zu bytes; at most %zu fit",
                             strlen(opt->cache_path), sizeof m->cache_path - 1);
            goto done;
        }
        snprintf(m->cache_path, sizeof m->cache_path, "%s", opt->cache_path);
    }
    if (m->cache_path[0] == '\0') {
        rc = am_error_set(err, AM_ERR_USAGE, NULL,
                          "no prepared-graph path: set roads.cache or give "
                          "one (-o)");
        goto done;
    }
    /* where it goes, checked before the roads are read: not an input, and
     * not the scenario's results file (output:, resolved as a run would) */
    am_file_guard g;
    am_file_guard_init(&g);
    char results[AM_PATH_MAX];
    rc = am_file_check_output_as(m->cache_path, "graph.amgraph", err);
    if (rc == AM_OK)
        rc = am_engine_inputs_guard(s, &g, err);
    if (rc == AM_OK && s->output_path != NULL && s->output_path[0] != '\0' &&
        (rc = am_engine_resolve(s, s->output_path, results, err)) == AM_OK)
        rc = am_file_guard_add(&g, results, "the scenario's output (output:)",
                               0, err);
    if (rc == AM_OK)
        rc = am_file_guard_check(&g, m->cache_path, err);
    am_file_guard_free(&g);
    const double t0 = am_now_s();
    if (rc == AM_OK)
        rc = am_model_build_to(m, AM_STAGE_ROADS, err);
    if (rc == AM_OK && result != NULL) {
        struct stat st;
        snprintf(result->cache_path, sizeof result->cache_path, "%s",
                 m->cache_path);
        result->nodes = m->roads->n_nodes;
        result->arcs = m->roads->n_arcs;
        result->build_s = am_now_s() - t0;
        result->bytes =
            stat(m->cache_path, &st) == 0 ? (long long)st.st_size : -1;
    }
done:
    am_model_destroy(m);
    return rc;
}
