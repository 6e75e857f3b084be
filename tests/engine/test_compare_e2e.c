/*
 * test_compare_e2e.c: `accessim compare` (issue 10, engine/compare.h)
 * through the CLI on the Comoros demo, with the three islands as zones:
 * run A is the demo, run B the demo without one hospital (CMC
 * Mitsamiouli, fid 7 of health.gpkg) and with a 45-minute cutoff more.
 * Checked against figures the test computes itself from the two files
 * (HDF5 C API), never against compare's own earlier output:
 *  - A with itself: every change in the CSV is 0 (NaN only where the
 *    statistic itself is inf or NaN) and every cell of every difference
 *    raster is 0 or nodata (NaN);
 *  - A against B: for every cutoff of the union (15, 30, 45, 60), the
 *    population gaining and losing access and within the cutoff on each
 *    side equal counts made here from the two nearest_time_min rasters
 *    and the population raster; the losing population is positive at
 *    15 min (the removed hospital served people) and nobody gains;
 *    the difference raster of nearest_time_min is B - A cell by cell
 *    (nodata where either side has no time); the zone rows exist for
 *    the three islands; GDAL (netCDF driver) opens the difference
 *    raster with A's geotransform, a CRS and nodata NaN;
 *  - B's results moved to /scenarios/less/ of a copy of B:
 *    `compare A.h5 B2.h5:less` writes the same table as `compare A.h5
 *    B.h5`, and B2's root (no results left) is refused;
 *  - A with its population doubled: a warning, and the population within
 *    15 minutes changes by A's own figure (counted here), nobody loses;
 *  - a CRS written differently but equivalent (EPSG:4326 against the
 *    file's WKT) is accepted; a shifted grid, another CRS, a missing
 *    scenario, a truncated file, a non-HDF5 file and a set neither file
 *    has are refused with exit 1 and one clear "accessim: error:" line,
 *    and write no output.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gdal.h>
#include <hdf5.h>

#define TMP_DIR_TAG "compare"
#include "tmp_dir.h"

#define ACCESSIM AM_BINARY_DIR "/accessim"
#define DEMO AM_DEMO_DATA "/comoros"
#define SET "/results/hospitals_clinics"

static char path_a[300], path_b[300];

static const char *scenario_text(const char *name, const char *where,
                                 const char *cutoffs, char *buf, size_t n)
{
    snprintf(buf, n,
             "name: %s\n"
             "roads:\n  path: " DEMO "/comores-latest.osm.pbf\n"
             "  profile: car\n"
             "population:\n  path: " DEMO "/com_ppp_2020_UNadj.tif\n"
             "snap:\n  max_distance_m: 5000\n  walk_speed_kmh: 5\n"
             "facilities:\n  - name: hospitals_clinics\n"
             "    path: " DEMO "/health.gpkg\n"
             "    where: \"%s\"\n"
             "    class_field: amenity\n"
             "    capacity_by_class: {hospital: 5, clinic: 1}\n"
             "cutoffs_min: %s\n"
             "measures:\n  - type: 2sfca\n    threshold_min: 30\n"
             "zones:\n  - name: islands\n"
             "    path: " DEMO "/comores-latest.osm.pbf\n"
             "    layer: multipolygons\n"
             "    where: \"admin_level = '4'\"\n"
             "    id_field: name\n",
             name, where, cutoffs);
    return buf;
}

/* Runs a shell command; returns its exit status (-1: not run). */
static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int sh(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int rc = system(cmd);
    return rc == -1 || !WIFEXITED(rc) ? -1 : WEXITSTATUS(rc);
}

static int group_setup(void **state)
{
    if (setup(state) != 0)
        return -1;
    char text[4096], yaml[300];
    snprintf(yaml, sizeof yaml, "%s/a.yaml", tmp_dir);
    write_text(yaml, scenario_text("a", "amenity IN ('hospital', 'clinic')",
                                   "[15, 30, 60]", text, sizeof text));
    snprintf(yaml, sizeof yaml, "%s/b.yaml", tmp_dir);
    write_text(yaml, scenario_text("b",
                                   "amenity IN ('hospital', 'clinic') AND "
                                   "fid <> 7",
                                   "[15, 30, 45, 60]", text, sizeof text));
    /* the same facilities as a, searched only up to 30 min */
    snprintf(yaml, sizeof yaml, "%s/c.yaml", tmp_dir);
    write_text(yaml, scenario_text("c", "amenity IN ('hospital', 'clinic')",
                                   "[15, 30]", text, sizeof text));
    snprintf(path_a, sizeof path_a, "%s/a.h5", tmp_dir);
    snprintf(path_b, sizeof path_b, "%s/b.h5", tmp_dir);
    if (sh("cd '%s' && '%s' run a.yaml -q -t 2 -o a.h5 > a.log 2>&1", tmp_dir,
           ACCESSIM) != 0 ||
        sh("cd '%s' && '%s' run b.yaml -q -t 2 -o b.h5 > b.log 2>&1", tmp_dir,
           ACCESSIM) != 0 ||
        sh("cd '%s' && '%s' run c.yaml -q -t 2 -o c.h5 > c.log 2>&1", tmp_dir,
           ACCESSIM) != 0)
        return -1;
    return 0;
}

/* ---- reading with the HDF5 API --------------------------------------- */

static float *read_f32(const char *file, const char *path, hsize_t dims[2])
{
    hid_t f = H5Fopen(file, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(f >= 0);
    hid_t d = H5Dopen2(f, path, H5P_DEFAULT);
    assert_true(d >= 0);
    hid_t sp = H5Dget_space(d);
    assert_int_equal(H5Sget_simple_extent_ndims(sp), 2);
    H5Sget_simple_extent_dims(sp, dims, NULL);
    float *v = malloc(dims[0] * dims[1] * sizeof *v);
    assert_non_null(v);
    assert_true(
        H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0);
    H5Sclose(sp);
    H5Dclose(d);
    H5Fclose(f);
    return v;
}

/* Reads a whole text file (NUL-terminated). */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    assert_non_null(s);
    assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
    s[n] = '\0';
    fclose(f);
    return s;
}

/* The CSV's "change" of the first row whose fields 2..6 are table,
 * variable, statistic and cutoff (NULL: any); NAN when none. */
static double csv_change(const char *csv, const char *table,
                         const char *variable, const char *statistic,
                         double cutoff, int *found)
{
    *found = 0;
    const char *line = strchr(csv, '\n');
    while (line != NULL && line[1] != '\0') {
        line++;
        char buf[1024];
        const char *end = strchr(line, '\n');
        size_t n = end ? (size_t)(end - line) : strlen(line);
        if (n >= sizeof buf)
            n = sizeof buf - 1;
        memcpy(buf, line, n);
        buf[n] = '\0';
        char *f[10] = {0};
        int k = 0;
        for (char *p = buf; k < 10;) {
            f[k++] = p;
            char *c = strchr(p, ',');
            if (c == NULL)
                break;
            *c = '\0';
            p = c + 1;
        }
        if (k == 10 && strcmp(f[1], table) == 0 &&
            strcmp(f[3], variable) == 0 && strcmp(f[4], statistic) == 0 &&
            (isnan(cutoff) || atof(f[5]) == cutoff)) {
            *found = 1;
            return strcmp(f[8], "NaN") == 0 ? NAN : atof(f[8]);
        }
        line = end;
    }
    return NAN;
}

/* ---- tests -------------------------------------------------------------- */

static void test_self_is_zero(void **state)
{
    (void)state;
    assert_int_equal(sh("cd '%s' && '%s' compare a.h5 a.h5 -o self.h5 --csv "
                        "self.csv > self.txt 2>&1",
                        tmp_dir, ACCESSIM),
                     0);
    char p[400];
    snprintf(p, sizeof p, "%s/self.csv", tmp_dir);
    char *csv = slurp(p);
    int rows = 0, zeros = 0;
    for (char *line = strchr(csv, '\n'); line && line[1];
         line = strchr(line + 1, '\n')) {
        rows++;
        /* change is the 9th field */
        const char *c = line + 1;
        for (int k = 0; k < 8; k++) {
            const char *q = c;
            if (*q == '"') { /* a quoted field */
                q++;
                while (*q && !(*q == '"' && q[1] != '"'))
                    q += *q == '"' ? 2 : 1;
                q++;
            }
            c = strchr(q, ',') + 1;
        }
        double v = strncmp(c, "NaN", 3) == 0 ? NAN : atof(c);
        /* NaN only where the statistic is inf or NaN in both (inf - inf) */
        zeros += v == 0 || isnan(v);
        if (!(v == 0 || isnan(v)))
            fprintf(stderr, "non-zero change: %.80s\n", line + 1);
    }
    assert_true(rows > 40);
    assert_int_equal(zeros, rows);
    free(csv);
    /* the difference rasters: 0 or nodata everywhere, and 0 on populated
     * cells that have a time */
    snprintf(p, sizeof p, "%s/self.h5", tmp_dir);
    const char *names[2] = {SET "/nearest_time_min", SET "/2sfca_30min"};
    for (int k = 0; k < 2; k++) {
        hsize_t dims[2];
        float *d = read_f32(p, names[k], dims);
        float *t = read_f32(path_a, names[k], dims);
        size_t n = dims[0] * dims[1], zero = 0, valid = 0;
        for (size_t i = 0; i < n; i++) {
            assert_true(d[i] == 0 || isnan(d[i]));
            zero += d[i] == 0;
            valid += t[i] != -9999.0f && t[i] != -1.0f;
        }
        if (k == 0)
            assert_int_equal(zero, valid);
        assert_true(zero > 1000);
        free(d);
        free(t);
    }
}

static void test_one_hospital_removed(void **state)
{
    (void)state;
    assert_int_equal(sh("cd '%s' && '%s' compare a.h5 b.h5 -o ab.h5 --csv "
                        "ab.csv > ab.txt 2>&1",
                        tmp_dir, ACCESSIM),
                     0);
    hsize_t dims[2], d2[2];
    float *ta = read_f32(path_a, SET "/nearest_time_min", dims);
    float *tb = read_f32(path_b, SET "/nearest_time_min", d2);
    float *pop = read_f32(path_a, "/population", d2);
    char p[400];
    snprintf(p, sizeof p, "%s/ab.h5", tmp_dir);
    float *diff = read_f32(p, SET "/nearest_time_min", d2);
    size_t n = dims[0] * dims[1];
    snprintf(p, sizeof p, "%s/ab.csv", tmp_dir);
    char *csv = slurp(p);
    const double cut[4] = {15, 30, 45, 60};
    for (int c = 0; c < 4; c++) {
        double lose = 0, gain = 0, wa = 0, wb = 0;
        for (size_t i = 0; i < n; i++) {
            if (!(pop[i] > 0))
                continue;
            int ia = ta[i] >= 0 && ta[i] <= cut[c];
            int ib = tb[i] >= 0 && tb[i] <= cut[c];
            lose += ia && !ib ? pop[i] : 0;
            gain += ib && !ia ? pop[i] : 0;
            wa += ia ? pop[i] : 0;
            wb += ib ? pop[i] : 0;
        }
        int found = 0;
        double v = csv_change(csv, "coverage", "nearest_time_min", "losing",
                              cut[c], &found);
        assert_true(found);
        assert_float_equal(v, lose, 1e-6 * (1 + lose));
        v = csv_change(csv, "coverage", "nearest_time_min", "gaining", cut[c],
                       &found);
        assert_true(found);
        assert_float_equal(v, gain, 1e-6);
        assert_float_equal(gain, 0, 0); /* a hospital less helps nobody */
        v = csv_change(csv, "coverage", "nearest_time_min", "within", cut[c],
                       &found);
        assert_true(found);
        assert_float_equal(v, wb - wa, 1e-6 * (1 + wa));
        if (c == 0)
            assert_true(lose > 0);
    }
    /* the difference raster, cell by cell */
    size_t checked = 0;
    for (size_t i = 0; i < n; i++) {
        int va = ta[i] >= 0, vb = tb[i] >= 0; /* -9999 nodata, -1 none */
        if (va && vb) {
            assert_float_equal(diff[i], tb[i] - ta[i], 0);
            checked++;
        } else {
            assert_true(isnan(diff[i]));
        }
    }
    assert_true(checked > 100000);
    /* GDAL reads the difference raster on A's grid, nodata NaN */
    char src[600];
    snprintf(src, sizeof src, "NETCDF:\"%s/ab.h5\":" SET "/nearest_time_min",
             tmp_dir);
    GDALDatasetH dd = GDALOpen(src, GA_ReadOnly);
    snprintf(src, sizeof src, "NETCDF:\"%s\":" SET "/nearest_time_min", path_a);
    GDALDatasetH da = GDALOpen(src, GA_ReadOnly);
    assert_non_null(dd);
    assert_non_null(da);
    double gd[6], ga[6];
    assert_int_equal(GDALGetGeoTransform(dd, gd), CE_None);
    assert_int_equal(GDALGetGeoTransform(da, ga), CE_None);
    for (int k = 0; k < 6; k++)
        assert_float_equal(gd[k], ga[k], 1e-12);
    assert_int_equal(GDALGetRasterXSize(dd), (int)dims[1]);
    assert_int_equal(GDALGetRasterYSize(dd), (int)dims[0]);
    int has = 0;
    assert_true(
        isnan(GDALGetRasterNoDataValue(GDALGetRasterBand(dd, 1), &has)));
    assert_true(has);
    assert_non_null(GDALGetProjectionRef(dd));
    assert_true(GDALGetProjectionRef(dd)[0] != '\0');
    GDALClose(dd);
    GDALClose(da);
    /* zone rows for the islands */
    int found = 0;
    csv_change(csv, "islands", "nearest_time_min_mean", "value", NAN, &found);
    assert_true(found);
    free(csv);
    free(ta);
    free(tb);
    free(pop);
    free(diff);
}

/* b.h5's results moved to /scenarios/less/ (H5Lmove: HDF5 1.10's H5Ocopy
 * crashes on the dimension scales' references). */
/* Runs with different largest cutoffs searched different horizons: the
 * same facilities must compare as no change (a cutoff beyond either run's
 * horizon is left out with a warning, nearest times are compared up to the
 * common horizon), never as people "losing" access at 60 min. */
static void test_different_horizons(void **state)
{
    (void)state;
    assert_int_equal(sh("cd '%s' && '%s' compare a.h5 c.h5 --csv ac.csv > "
                        "ac.txt 2>&1",
                        tmp_dir, ACCESSIM),
                     0);
    char p[400];
    snprintf(p, sizeof p, "%s/ac.txt", tmp_dir);
    char *txt = slurp(p);
    assert_non_null(strstr(txt, "coverage at 60 min left out"));
    snprintf(p, sizeof p, "%s/ac.csv", tmp_dir);
    char *csv = slurp(p);
    int found = 0;
    const char *stat[3] = {"within", "gaining", "losing"};
    for (int c = 15; c <= 30; c += 15)
        for (int k = 0; k < 3; k++) {
            double v = csv_change(csv, "coverage", "nearest_time_min", stat[k],
                                  c, &found);
            assert_true(found);
            assert_float_equal(v, 0, 0);
        }
    (void)csv_change(csv, "coverage", "nearest_time_min", "losing", 60, &found);
    assert_false(found);
    const char *all[4] = {"mean", "median", "rose", "fell"};
    for (int k = 0; k < 4; k++) {
        double v =
            csv_change(csv, "overall", "nearest_time_min", all[k], NAN, &found);
        assert_true(found);
        assert_float_equal(v, 0, 0);
    }
    free(csv);
    free(txt);
}

static void test_scenario_group(void **state)
{
    (void)state;
    assert_int_equal(sh("cp '%s' '%s/b2.h5'", path_b, tmp_dir), 0);
    char p[400];
    snprintf(p, sizeof p, "%s/b2.h5", tmp_dir);
    hid_t f = H5Fopen(p, H5F_ACC_RDWR, H5P_DEFAULT);
    assert_true(f >= 0);
    hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
    H5Pset_create_intermediate_group(lcpl, 1);
    assert_true(H5Lmove(f, "/results", f, "/scenarios/less/results", lcpl,
                        H5P_DEFAULT) >= 0);
    H5Pclose(lcpl);
    H5Fclose(f);
    /* the scenario's table is the table of the file it came from */
    assert_int_equal(sh("cd '%s' && '%s' compare a.h5 b.h5 --csv ref.csv > "
                        "/dev/null 2>&1 && '%s' compare a.h5 b2.h5:less "
                        "--csv scen.csv > scen.txt 2>&1 && cmp ref.csv "
                        "scen.csv",
                        tmp_dir, ACCESSIM, ACCESSIM),
                     0);
    /* the baseline by name is the root */
    assert_int_equal(sh("cd '%s' && '%s' compare a.h5:baseline b.h5 --csv "
                        "base.csv > /dev/null 2>&1 && cmp base.csv ref.csv",
                        tmp_dir, ACCESSIM),
                     0);
}

/* Replaces a string attribute of /crs in a copy of a.h5. */
static void copy_with_attr(const char *name, const char *attr,
                           const char *value)
{
    assert_int_equal(sh("cp '%s' '%s/%s'", path_a, tmp_dir, name), 0);
    char p[400];
    snprintf(p, sizeof p, "%s/%s", tmp_dir, name);
    hid_t f = H5Fopen(p, H5F_ACC_RDWR, H5P_DEFAULT);
    assert_true(f >= 0);
    hid_t o = H5Oopen(f, "/crs", H5P_DEFAULT);
    assert_true(o >= 0);
    assert_true(H5Adelete(o, attr) >= 0);
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, strlen(value) + 1);
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(o, attr, t, sp, H5P_DEFAULT, H5P_DEFAULT);
    assert_true(a >= 0);
    assert_true(H5Awrite(a, t, value) >= 0);
    H5Aclose(a);
    H5Sclose(sp);
    H5Tclose(t);
    H5Oclose(o);
    H5Fclose(f);
}

/* compare must fail with exit 1, one error line holding `fragment`, and
 * write no output. */
static void refused(const char *args, const char *fragment)
{
    char out[400];
    snprintf(out, sizeof out, "%s/refused.h5", tmp_dir);
    unlink(out);
    assert_int_equal(sh("cd '%s' && '%s' compare %s -o refused.h5 > err.txt "
                        "2>&1",
                        tmp_dir, ACCESSIM, args),
                     1);
    char p[400];
    snprintf(p, sizeof p, "%s/err.txt", tmp_dir);
    char *text = slurp(p);
    if (strstr(text, fragment) == NULL)
        fprintf(stderr, "compare %s printed: %s\n", args, text);
    assert_non_null(strstr(text, fragment));
    int lines = 0;
    for (const char *s = text; (s = strstr(s, "accessim: error:")); s++)
        lines++;
    assert_int_equal(lines, 1);
    free(text);
    struct stat st;
    assert_int_not_equal(stat(out, &st), 0);
}

static void test_refusals(void **state)
{
    (void)state;
    /* the same CRS, written as EPSG:4326: accepted */
    copy_with_attr("epsg.h5", "crs_wkt", "EPSG:4326");
    assert_int_equal(sh("cd '%s' && '%s' compare a.h5 epsg.h5 > /dev/null "
                        "2>&1",
                        tmp_dir, ACCESSIM),
                     0);
    /* another CRS */
    copy_with_attr("utm.h5", "crs_wkt", "EPSG:32738");
    refused("a.h5 utm.h5", "coordinate reference system is not");
    /* a grid shifted by a cell */
    hsize_t dims[2];
    free(read_f32(path_a, "/population", dims));
    copy_with_attr("shift.h5", "GeoTransform",
                   "43.2 0.00083333333 0 -11.3 0 -0.00083333333");
    refused("a.h5 shift.h5", "its grid is not a.h5's");
    refused("a.h5:nope b.h5", "no scenario 'nope'");
    refused("a.h5 b2.h5", "no group /results");
    assert_int_equal(sh("cd '%s' && cp a.h5 trunc.h5 && truncate -s "
                        "$(($(stat -c %%s a.h5) / 2)) trunc.h5",
                        tmp_dir),
                     0);
    refused("trunc.h5 a.h5", "trunc.h5");
    refused("a.yaml a.h5", "not an HDF5 file");
    refused("a.h5 missing.h5", "missing.h5: cannot open");
    refused("a.h5 b.h5 --set nosuchset", "no facility set 'nosuchset'");
    /* bad usage: exit 2 */
    assert_int_equal(sh("'%s' compare a.h5 > /dev/null 2>&1", ACCESSIM), 2);
    assert_int_equal(
        sh("'%s' compare a.h5 b.h5 c.h5 > /dev/null 2>&1", ACCESSIM), 2);
    assert_int_equal(
        sh("'%s' compare a.h5 b.h5 --bogus > /dev/null 2>&1", ACCESSIM), 2);
}

/* The population doubled (same times): a warning, and every population
 * within a cutoff doubles, so its change equals A's figure. */
static void test_population_differs(void **state)
{
    (void)state;
    assert_int_equal(sh("cp '%s' '%s/pop2.h5'", path_a, tmp_dir), 0);
    char p[400];
    snprintf(p, sizeof p, "%s/pop2.h5", tmp_dir);
    hsize_t dims[2];
    float *pop = read_f32(p, "/population", dims);
    size_t n = dims[0] * dims[1];
    double within15 = 0;
    float *t = read_f32(path_a, SET "/nearest_time_min", dims);
    for (size_t i = 0; i < n; i++) {
        if (pop[i] > 0) {
            within15 += t[i] >= 0 && t[i] <= 15 ? pop[i] : 0;
            pop[i] *= 2;
        }
    }
    hid_t f = H5Fopen(p, H5F_ACC_RDWR, H5P_DEFAULT);
    hid_t d = H5Dopen2(f, "/population", H5P_DEFAULT);
    assert_true(d >= 0);
    assert_true(
        H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, pop) >= 0);
    H5Dclose(d);
    H5Fclose(f);
    assert_int_equal(sh("cd '%s' && '%s' compare a.h5 pop2.h5 --csv pop2.csv "
                        "> pop2.txt 2> pop2.err",
                        tmp_dir, ACCESSIM),
                     0);
    snprintf(p, sizeof p, "%s/pop2.err", tmp_dir);
    char *text = slurp(p);
    assert_non_null(strstr(text, "accessim: warning: the population rasters "
                                 "differ"));
    free(text);
    snprintf(p, sizeof p, "%s/pop2.csv", tmp_dir);
    char *csv = slurp(p);
    int found = 0;
    double v =
        csv_change(csv, "coverage", "nearest_time_min", "within", 15, &found);
    assert_true(found);
    assert_float_equal(v, within15, 1e-6 * within15);
    v = csv_change(csv, "coverage", "nearest_time_min", "losing", 15, &found);
    assert_true(found);
    assert_float_equal(v, 0, 0);
    free(csv);
    free(pop);
    free(t);
}

int main(void)
{
    GDALAllRegister();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_self_is_zero),
        cmocka_unit_test(test_one_hospital_removed),
        cmocka_unit_test(test_different_horizons),
        cmocka_unit_test(test_scenario_group),
        cmocka_unit_test(test_population_differs),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, group_setup, teardown);
}
