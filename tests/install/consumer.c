/*
 * consumer.c: a program outside the project, built against an installed
 * libaccessim with only <accessim.h> and pkg-config (tests/install/). It
 * checks the library's version against the header's, builds the demo's
 * model, answers the scenario's facility set and a candidate set given as
 * arrays on the same model, and prints one line per result.
 *
 *     consumer SCENARIO.yaml
 */
#include <accessim.h>

#include <stdio.h>
#include <string.h>

static int fail(const char *what, const am_error *err)
{
    char line[2048];
    fprintf(stderr, "consumer: %s: %s\n", what,
            am_error_format(err, line, sizeof line));
    return 1;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: consumer SCENARIO.yaml\n");
        return 2;
    }
    if (strcmp(am_version(), AM_VERSION_STRING) != 0 ||
        am_version_number() != AM_VERSION_MAJOR * 10000 +
                                   AM_VERSION_MINOR * 100 + AM_VERSION_PATCH) {
        fprintf(stderr, "consumer: header %s, library %s\n", AM_VERSION_STRING,
                am_version());
        return 1;
    }
    am_error err;
    am_scenario *s = NULL;
    am_model *m = NULL;
    am_sites *f = NULL, *cand = NULL;
    am_results *r = NULL, *rc = NULL;
    int status = 1;
    if (am_scenario_read_file(argv[1], &s, &err) != AM_OK) {
        status = fail("scenario", &err);
        goto done;
    }
    am_model_options mo = am_model_options_default();
    if (am_model_create(s, &mo, &m, &err) != AM_OK ||
        am_model_build(m, &err) != AM_OK) {
        status = fail("model", &err);
        goto done;
    }
    if (am_sites_from_scenario(m, 0, &f, &err) != AM_OK ||
        am_results_compute(m, f, 0, &r, &err) != AM_OK) {
        status = fail("facilities", &err);
        goto done;
    }
    /* candidates: the first three facilities again, as arrays */
    const double *lon, *lat;
    am_sites_lonlat(f, &lon, &lat);
    if (am_sites_from_points(m, "candidates", 3, lon, lat, NULL, &cand, &err) !=
            AM_OK ||
        am_results_compute(m, cand, 0, &rc, &err) != AM_OK) {
        status = fail("candidates", &err);
        goto done;
    }
    int n_cut = 0;
    const double *cov = am_results_coverage(r, &n_cut);
    const double *cov_c = am_results_coverage(rc, &n_cut);
    printf("version %s\n", am_version());
    printf("cells %d nodes %d\n", (int)am_model_cell_count(m),
           (int)am_model_node_count(m));
    printf("facilities %d within-last-cutoff %.0f\n", (int)am_sites_count(f),
           cov[n_cut - 1]);
    printf("candidates %d within-last-cutoff %.0f\n", (int)am_sites_count(cand),
           cov_c[n_cut - 1]);
    status = cov_c[n_cut - 1] <= cov[n_cut - 1] ? 0 : 1;
done:
    am_results_destroy(rc);
    am_results_destroy(r);
    am_sites_destroy(cand);
    am_sites_destroy(f);
    am_model_destroy(m);
    am_scenario_destroy(s);
    return status;
}
