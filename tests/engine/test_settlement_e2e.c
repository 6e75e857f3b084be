/*
 * test_settlement_e2e.c: equity by urban/rural class through the whole
 * run (issue 9, docs/equity.md "Urban and rural") on the Comoros demo,
 * with tests/data/settlement/comoros_urban_rural.yaml: a settlement raster
 * (1 km, UTM 38S) grouped into urban and rural rows, and the same raster
 * with a row per code. Checked against values the test computes itself:
 *  - the scenario file's keys reach the scenario (raster, classes, band);
 *  - each table's rows' population adds up to everyone's less the people
 *    outside every class; the urban and rural rows are the sums of their
 *    codes' rows;
 *  - 1 and 2 threads write the same CSV, byte for byte.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/numparse.h"
#include "common/strutil.h"
#include <accessim.h>

#define YAML AM_TEST_DATA "/settlement/comoros_urban_rural.yaml"

typedef struct csv_row {
    char table[32], id[32];
    double population;
} csv_row;

/* Runs the scenario on `threads` into dir/out<threads>.h5 and the CSV. */
static char *run(const char *dir, int threads, am_run_summary **sum)
{
    am_scenario *s = NULL;
    am_error e;
    if (am_scenario_read_file(YAML, &s, &e) != AM_OK)
        fail_msg("%s: %s", e.file, e.msg);
    assert_int_equal(s->n_zone_layers, 2);
    assert_non_null(s->zone_layers[0].raster);
    assert_null(s->zone_layers[0].path);
    assert_int_equal(s->zone_layers[0].n_classes, 2);
    assert_string_equal(s->zone_layers[0].class_label[1], "rural");
    assert_int_equal(s->zone_layers[0].class_n_values[0], 4);
    assert_true(s->zone_layers[0].class_values[0][0] == 30.0);
    assert_int_equal(s->zone_layers[1].n_classes, 0);
    assert_int_equal(s->zone_layers[1].band, 1);
    static char csv[2][256];
    char out[256];
    snprintf(out, sizeof out, "%s/out%d.h5", dir, threads);
    snprintf(csv[threads - 1], sizeof csv[0], "%s/equity%d.csv", dir, threads);
    s->equity_csv = am_strdup(csv[threads - 1]);
    assert_int_equal(am_scenario_finalize(s, &e), AM_OK);
    am_run_options o = am_run_options_default();
    o.output_path = out;
    o.threads = threads;
    if (am_run(s, &o, sum, &e) != AM_OK)
        fail_msg("%s: %s", e.file, e.msg);
    am_scenario_destroy(s);
    unlink(out);
    return csv[threads - 1];
}

static char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *buf = malloc(1 << 20);
    assert_non_null(buf);
    *n = fread(buf, 1, (1 << 20) - 1, f);
    buf[*n] = '\0';
    fclose(f);
    return buf;
}

/* The CSV's rows: set,table,zone,id,fid,cells,population,... */
static int parse_rows(char *text, csv_row *rows, int max)
{
    int n = 0;
    char *save = NULL;
    char *line = strtok_r(text, "\n", &save); /* the header */
    assert_non_null(line);
    assert_true(strncmp(line, "set,table,zone,id,fid,cells,population,", 39) ==
                0);
    while ((line = strtok_r(NULL, "\n", &save)) != NULL && n < max) {
        char *f[8];
        int k = 0;
        for (char *p = line; k < 8 && p != NULL; k++) {
            f[k] = p;
            p = strchr(p, ',');
            if (p != NULL)
                *p++ = '\0';
        }
        assert_true(k >= 7);
        snprintf(rows[n].table, sizeof rows[n].table, "%s", f[1]);
        snprintf(rows[n].id, sizeof rows[n].id, "%s", f[3]);
        rows[n].population = atof(f[6]);
        n++;
    }
    return n;
}

static void test_urban_rural(void **state)
{
    (void)state;
    char dir[] = "/tmp/am_settle_XXXXXX";
    assert_non_null(mkdtemp(dir));
    am_run_summary *s1 = NULL, *s2 = NULL;
    const char *c1 = run(dir, 1, &s1);
    const char *c2 = run(dir, 2, &s2);
    size_t n1, n2;
    char *t1 = slurp(c1, &n1), *t2 = slurp(c2, &n2);
    assert_int_equal(n1, n2);
    assert_memory_equal(t1, t2, n1);

    assert_int_equal(s2->n_zone_layers, 2);
    assert_int_equal(s2->zone_layers[0].n_zones, 2);
    assert_true(s2->zone_layers[1].n_zones >= 4);
    csv_row rows[64];
    const int n = parse_rows(t2, rows, 64);
    assert_int_equal(n, 1 + 2 + s2->zone_layers[1].n_zones);
    assert_string_equal(rows[0].table, "overall");
    assert_string_equal(rows[1].table, "settlement");
    assert_string_equal(rows[1].id, "urban");
    assert_string_equal(rows[2].id, "rural");
    const double total = rows[0].population;
    for (int L = 0; L < 2; L++) {
        const char *name = L == 0 ? "settlement" : "smod_codes";
        double sum = 0.0;
        for (int i = 1; i < n; i++)
            if (strcmp(rows[i].table, name) == 0)
                sum += rows[i].population;
        const double outside = s2->zone_layers[L].pop_outside;
        assert_true(outside >= 0 && outside < 0.05 * total);
        assert_true(fabs(sum + outside - total) <= 1e-6 * total);
    }
    /* the printed summary names the raster's band and its classes */
    char *text = NULL;
    size_t len = 0;
    FILE *mf = open_memstream(&text, &len);
    assert_non_null(mf);
    am_run_summary_write(s2, mf);
    fclose(mf);
    assert_int_equal(s2->zone_layers[0].raster_band, 1);
    char want[256], c0[AM_COUNT_BUF], p0[AM_COUNT_BUF];
    snprintf(want, sizeof want,
             "  zones        'settlement' (raster band 1): 2 classes; %s "
             "cells (%s people) in no class\n",
             am_format_count((double)s2->zone_layers[0].cells_outside, c0),
             am_format_count(s2->zone_layers[0].pop_outside, p0));
    if (strstr(text, want) == NULL)
        fail_msg("no line '%s' in:\n%s", want, text);
    assert_non_null(strstr(text, "'smod_codes' (raster band 1): "));
    assert_null(strstr(text, "layer 'band 1'"));
    free(text);
    /* urban = codes 21-30, rural = codes 10-13 */
    double urban = 0.0, rural = 0.0;
    for (int i = 3; i < n; i++) {
        const double code = atof(rows[i].id);
        if (code >= 21 && code <= 30)
            urban += rows[i].population;
        else if (code >= 10 && code <= 13)
            rural += rows[i].population;
    }
    assert_true(fabs(urban - rows[1].population) <= 1e-6 * rows[1].population);
    assert_true(fabs(rural - rows[2].population) <= 1e-6 * rows[2].population);
    print_message("urban %.0f, rural %.0f, outside %.0f of %.0f people\n",
                  rows[1].population, rows[2].population,
                  s2->zone_layers[0].pop_outside, total);
    free(t1);
    free(t2);
    unlink(c1);
    unlink(c2);
    rmdir(dir);
    am_run_summary_destroy(s1);
    am_run_summary_destroy(s2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_urban_rural),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
