/*
 * phases.c: timing, progress and cancellation of the steps of a build or a
 * run (see internal.h). The log grows as needed, so no step is dropped
 * from the summary however many facility sets a scenario has.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/alloc.h"
#include "engine/internal.h"
#include "engine/sysinfo.h"

am_status am_phase_begin(am_phases *p, const char *label, am_error *err)
{
    p->t0 = am_now_s();
    p->label = label;
    if (p->progress != NULL && !p->progress(0.0, label, p->progress_user))
        return am_error_set(err, AM_ERR_CANCELLED, NULL, "cancelled before %s",
                            label);
    return AM_OK;
}

am_status am_phase_end(am_phases *p, const char *name, am_error *err)
{
    if (p->progress != NULL)
        p->progress(1.0, p->label, p->progress_user);
    if (p->n == p->cap) {
        int cap = p->cap > 0 ? 2 * p->cap : 16;
        am_phase_stat *v = am_realloc_array(p->v, (size_t)cap, sizeof *v);
        if (v == NULL)
            return am_error_set(err, AM_ERR_NOMEM, NULL, "out of memory");
        p->v = v;
        p->cap = cap;
    }
    am_phase_stat *s = &p->v[p->n++];
    snprintf(s->name, sizeof s->name, "%s", name);
    s->wall_s = am_now_s() - p->t0;
    s->peak_rss_mib = am_peak_rss_mib();
    return AM_OK;
}

int am_phase_progress(double fraction, const char *message, void *user)
{
    (void)message;
    const am_phases *p = user;
    if (p->progress == NULL)
        return 1;
    return p->progress(fraction, p->label, p->progress_user);
}

void am_phases_free(am_phases *p)
{
    am_free(p->v);
    p->v = NULL;
    p->n = p->cap = 0;
}

void am_snapped_free(am_snapped *s)
{
    am_free(s->node);
    am_free(s->dist_m);
    am_free(s->offset_ds);
    am_free(s->frag_dist_m);
    am_free(s->frag_node);
    memset(s, 0, sizeof *s);
}

void am_err_file_default(am_error *e, const char *path)
{
    if (e == NULL || e->file[0] != '\0')
        return;
    snprintf(e->file, sizeof e->file, "%s", path);
}

/* Whether path ends with one of the suffixes, ignoring case; the one met
 * in *which. */
static int ends_with_any(const char *path, const char *const *suffix,
                         const char **which)
{
    const size_t n = strlen(path);
    for (int i = 0; suffix[i] != NULL; i++) {
        const size_t k = strlen(suffix[i]);
        if (n > k && strcasecmp(path + n - k, suffix[i]) == 0) {
            *which = path + n - k; /* as written */
            return 1;
        }
    }
    return 0;
}

am_status am_engine_check_output_format(const char *path, int csv,
                                        const char *what, am_error *err)
{
    static const char *const hdf5_names[] = {".h5", ".hdf5", ".he5", ".hdf",
                                             NULL};
    static const char *const text_names[] = {".csv", ".csv.gz", ".tsv", ".txt",
                                             NULL};
    const char *ext = NULL;
    if (csv && ends_with_any(path, hdf5_names, &ext))
        return am_error_set(err, AM_ERR_INVALID, path,
                            "%s is written as CSV, and this name ends in "
                            "'%s' (HDF5); name it .csv",
                            what, ext);
    if (!csv && ends_with_any(path, text_names, &ext))
        return am_error_set(err, AM_ERR_INVALID, path,
                            "%s is an HDF5 file, and this name ends in '%s' "
                            "(text); name it .h5 (the per-zone CSV is a "
                            "matrix run's output; a grid run writes its "
                            "tables as CSV with equity.csv and "
                            "referrals.csv)",
                            what, ext);
    return AM_OK;
}

am_status am_engine_resolve(const am_scenario *s, const char *path,
                            char buf[AM_PATH_MAX], am_error *err)
{
    if (am_scenario_resolve_path(s, path, buf, AM_PATH_MAX) == NULL)
        return am_error_set(err, AM_ERR_INVALID, path,
                            "path longer than %d bytes once resolved",
                            AM_PATH_MAX - 1);
    return AM_OK;
}
