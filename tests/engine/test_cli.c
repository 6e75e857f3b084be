/*
 * test_cli.c: the `accessim` command as a user meets it: --help/--version,
 * usage errors, and every bad input the foundation issue names (missing
 * file, not a raster/vector, raster without CRS, inputs that do not
 * overlap, empty road layer, zero facilities after the filter, unknown
 * scenario key with its line, negative capacity, unwritable output). Each
 * must give one clear message naming the file, a non-zero exit code, and
 * leave no output file behind.
 *
 * The scenarios are written into a fresh temporary folder and point at the
 * bundled Comoros demo data (AM_DEMO_DATA); small rasters are made with
 * GDAL's API.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <gdal.h>
#include <ogr_srs_api.h>

#define ACCESSIM AM_BINARY_DIR "/accessim"
#define DEMO AM_DEMO_DATA "/comoros"

static char tmp_dir[256];

/* Runs accessim with argv (NULL-terminated, without argv[0]); returns the
 * exit status and puts stderr+stdout into out. */
static int run_cli(char *out, size_t n, const char *const *args)
{
    char log[512];
    snprintf(log, sizeof log, "%s/cli.log", tmp_dir);
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0)
            _exit(127);
        dup2(fd, 1);
        dup2(fd, 2);
        const char *argv[32];
        int k = 0;
        argv[k++] = ACCESSIM;
        for (int i = 0; args[i] != NULL && k < 31; i++)
            argv[k++] = args[i];
        argv[k] = NULL;
        execv(ACCESSIM, (char *const *)argv);
        _exit(127);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    FILE *f = fopen(log, "r");
    size_t got = f ? fread(out, 1, n - 1, f) : 0;
    out[got] = '\0';
    if (f)
        fclose(f);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status); /* a crash: fails every assertion */
    return WEXITSTATUS(status);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* A scenario in tmp_dir using the demo data with some parts replaced. */
static void write_scenario(const char *path, const char *roads, const char *pop,
                           const char *fac_extra, const char *extra)
{
    char text[4096];
    snprintf(text, sizeof text,
             "name: t\n"
             "roads:\n"
             "  path: %s\n"
             "population:\n"
             "  path: %s\n"
             "facilities:\n"
             "  - name: health\n"
             "    path: " DEMO "/health.gpkg\n"
             "%s"
             "cutoffs_min: [15, 30, 60]\n"
             "%s",
             roads, pop,
             fac_extra ? fac_extra
                       : "    where: \"amenity IN ('hospital','clinic')\"\n"
                         "    capacity_by_class: {hospital: 5, clinic: 1}\n",
             extra ? extra : "");
    write_file(path, text);
}

/* No file of tmp_dir is an .h5 or a temporary left by a failed run. */
static void assert_no_output(void)
{
    DIR *d = opendir(tmp_dir);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strstr(e->d_name, ".h5") != NULL ||
            strstr(e->d_name, ".tmp-") != NULL) {
            fprintf(stderr, "left behind: %s\n", e->d_name);
            fail();
        }
    }
    closedir(d);
}

/* Runs the scenario, expects failure exit 1 with all `needles` in the
 * message, and no output. */
static void expect_failure(const char *scenario, const char *const *needles)
{
    char out[8192], h5[512];
    snprintf(h5, sizeof h5, "%s/out.h5", tmp_dir);
    const char *args[] = {"run", scenario, "-o", h5, "-q", NULL};
    int rc = run_cli(out, sizeof out, args);
    if (rc != 1)
        fprintf(stderr, "exit %d, output:\n%s\n", rc, out);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(out, "accessim: error: "));
    for (int i = 0; needles[i] != NULL; i++) {
        if (strstr(out, needles[i]) == NULL)
            fprintf(stderr, "missing '%s' in:\n%s\n", needles[i], out);
        assert_non_null(strstr(out, needles[i]));
    }
    /* one line, besides warnings about the inputs (the Comoros roads
     * have implausible maxspeed values) */
    const char *line = out;
    while (strncmp(line, "accessim: warning: ", 19) == 0 &&
           strchr(line, '\n') != NULL)
        line = strchr(line, '\n') + 1;
    const char *nl = strchr(line, '\n');
    assert_true(nl == NULL || nl[1] == '\0');
    assert_no_output();
}

/* A 4x4 Float32 raster; crs_epsg 0 = none. */
static void make_raster(const char *path, int crs_epsg, double lon0,
                        double lat0)
{
    GDALAllRegister();
    GDALDriverH drv = GDALGetDriverByName("GTiff");
    assert_non_null(drv);
    GDALDatasetH ds = GDALCreate(drv, path, 4, 4, 1, GDT_Float32, NULL);
    assert_non_null(ds);
    double gt[6] = {lon0, 0.01, 0, lat0, 0, -0.01};
    GDALSetGeoTransform(ds, gt);
    if (crs_epsg > 0) {
        OGRSpatialReferenceH srs = OSRNewSpatialReference(NULL);
        OSRImportFromEPSG(srs, crs_epsg);
        GDALSetSpatialRef(ds, srs);
        OSRDestroySpatialReference(srs);
    }
    float v[16];
    for (int i = 0; i < 16; i++)
        v[i] = 10.0f;
    assert_int_equal(GDALRasterIO(GDALGetRasterBand(ds, 1), GF_Write, 0, 0, 4,
                                  4, v, 4, 4, GDT_Float32, 0, 0),
                     CE_None);
    GDALClose(ds);
}

static int setup(void **state)
{
    (void)state;
    snprintf(tmp_dir, sizeof tmp_dir, "/tmp/accessim-cli-XXXXXX");
    return mkdtemp(tmp_dir) != NULL ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp_dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void p(char *buf, size_t n, const char *name)
{
    snprintf(buf, n, "%s/%s", tmp_dir, name);
}

/* ---- tests ------------------------------------------------------------ */

static void test_help_version(void **state)
{
    (void)state;
    char out[8192];
    const char *h[] = {"--help", NULL};
    assert_int_equal(run_cli(out, sizeof out, h), 0);
    assert_non_null(strstr(out, "usage: accessim run SCENARIO.yaml"));
    assert_non_null(strstr(out, "--threads"));
    const char *v[] = {"--version", NULL};
    assert_int_equal(run_cli(out, sizeof out, v), 0);
    assert_non_null(strstr(out, "accessim 0."));
}

static void test_usage_errors(void **state)
{
    (void)state;
    char out[8192];
    const char *none[] = {NULL};
    assert_int_equal(run_cli(out, sizeof out, none), 2);
    const char *bad_cmd[] = {"fly", NULL};
    assert_int_equal(run_cli(out, sizeof out, bad_cmd), 2);
    assert_non_null(strstr(out, "unknown command 'fly'"));
    const char *no_file[] = {"run", NULL};
    assert_int_equal(run_cli(out, sizeof out, no_file), 2);
    const char *bad_threads[] = {"run", "x.yaml", "--threads", "zero", NULL};
    assert_int_equal(run_cli(out, sizeof out, bad_threads), 2);
    assert_non_null(strstr(out, "--threads"));
    const char *bad_opt[] = {"run", "x.yaml", "--frobnicate", NULL};
    assert_int_equal(run_cli(out, sizeof out, bad_opt), 2);
    assert_non_null(strstr(out, "--frobnicate"));
}

static void test_missing_scenario(void **state)
{
    (void)state;
    char sc[512];
    p(sc, sizeof sc, "nope.yaml");
    const char *needles[] = {"nope.yaml", NULL};
    expect_failure(sc, needles);
}

static void test_missing_roads(void **state)
{
    (void)state;
    char sc[512], roads[512];
    p(sc, sizeof sc, "s.yaml");
    p(roads, sizeof roads, "no_such_roads.osm.pbf");
    write_scenario(sc, roads, DEMO "/com_ppp_2020_UNadj.tif", NULL, NULL);
    const char *needles[] = {"no_such_roads.osm.pbf", NULL};
    expect_failure(sc, needles);
}

static void test_population_not_raster(void **state)
{
    (void)state;
    char sc[512], txt[512];
    p(sc, sizeof sc, "s.yaml");
    p(txt, sizeof txt, "people.txt");
    write_file(txt, "this is not a raster\n");
    write_scenario(sc, DEMO "/comores-latest.osm.pbf", txt, NULL, NULL);
    const char *needles[] = {"people.txt", "raster", NULL};
    expect_failure(sc, needles);
}

static void test_roads_not_vector(void **state)
{
    (void)state;
    char sc[512];
    p(sc, sizeof sc, "s.yaml");
    write_scenario(sc, DEMO "/com_ppp_2020_UNadj.tif",
                   DEMO "/com_ppp_2020_UNadj.tif", NULL, NULL);
    const char *needles[] = {"com_ppp_2020_UNadj.tif", "vector", NULL};
    expect_failure(sc, needles);
}

static void test_raster_without_crs(void **state)
{
    (void)state;
    char sc[512], tif[512];
    p(sc, sizeof sc, "s.yaml");
    p(tif, sizeof tif, "nocrs.tif");
    make_raster(tif, 0, 43.3, -11.7);
    write_scenario(sc, DEMO "/comores-latest.osm.pbf", tif, NULL, NULL);
    const char *needles[] = {"nocrs.tif", "coordinate reference system", NULL};
    expect_failure(sc, needles);
}

static void test_no_overlap(void **state)
{
    (void)state;
    char sc[512], tif[512];
    p(sc, sizeof sc, "s.yaml");
    p(tif, sizeof tif, "elsewhere.tif");
    make_raster(tif, 4326, 2.3, 48.9); /* Paris, far from the Comoros */
    write_scenario(sc, DEMO "/comores-latest.osm.pbf", tif, NULL, NULL);
    const char *needles[] = {"elsewhere.tif", "overlap", NULL};
    expect_failure(sc, needles);
}

static void test_empty_road_layer(void **state)
{
    (void)state;
    char sc[512], text[4096];
    p(sc, sizeof sc, "s.yaml");
    snprintf(text, sizeof text,
             "roads:\n"
             "  path: " DEMO "/comores-latest.osm.pbf\n"
             "  where: \"highway = 'no_such_class'\"\n"
             "population:\n"
             "  path: " DEMO "/com_ppp_2020_UNadj.tif\n"
             "facilities:\n"
             "  - path: " DEMO "/health.gpkg\n");
    write_file(sc, text);
    const char *needles[] = {"comores-latest.osm.pbf",
                             "the filter 'where: highway = 'no_such_class'' "
                             "matched no feature of layer 'lines'",
                             NULL};
    expect_failure(sc, needles);
}

static void test_zero_facilities(void **state)
{
    (void)state;
    char sc[512];
    p(sc, sizeof sc, "s.yaml");
    write_scenario(sc, DEMO "/comores-latest.osm.pbf",
                   DEMO "/com_ppp_2020_UNadj.tif",
                   "    where: \"amenity = 'spaceport'\"\n", NULL);
    const char *needles[] = {"health.gpkg", "spaceport", NULL};
    expect_failure(sc, needles);
}

static void test_unknown_key_line(void **state)
{
    (void)state;
    char sc[512];
    p(sc, sizeof sc, "s.yaml");
    /* line 12 of the written file: after 11 lines of write_scenario */
    write_scenario(sc, DEMO "/comores-latest.osm.pbf",
                   DEMO "/com_ppp_2020_UNadj.tif", NULL, "treshold: 30\n");
    const char *needles[] = {"s.yaml", "line 12", "treshold", NULL};
    expect_failure(sc, needles);
}

static void test_negative_capacity(void **state)
{
    (void)state;
    char sc[512];
    p(sc, sizeof sc, "s.yaml");
    write_scenario(sc, DEMO "/comores-latest.osm.pbf",
                   DEMO "/com_ppp_2020_UNadj.tif",
                   "    capacity_by_class: {hospital: -5, clinic: 1}\n", NULL);
    const char *needles[] = {"s.yaml", "capacity", NULL};
    expect_failure(sc, needles);
}

static void test_negative_capacity_field(void **state)
{
    (void)state;
    char sc[512], csv[512], extra[1024];
    p(sc, sizeof sc, "s.yaml");
    p(csv, sizeof csv, "sites.csv");
    write_file(csv, "site,lon,lat,beds\n"
                    "A,43.2560,-11.7030,20\n"
                    "B,43.3800,-11.6100,-4\n");
    snprintf(extra, sizeof extra,
             "roads:\n  path: " DEMO "/comores-latest.osm.pbf\n"
             "population:\n  path: " DEMO "/com_ppp_2020_UNadj.tif\n"
             "facilities:\n"
             "  - path: %s\n"
             "    x_field: lon\n"
             "    y_field: lat\n"
             "    capacity_field: beds\n",
             csv);
    write_file(sc, extra);
    const char *needles[] = {"sites.csv", "feature", "-4", NULL};
    expect_failure(sc, needles);
}

static void test_unwritable_output(void **state)
{
    (void)state;
    char sc[512], out[8192], h5[512];
    p(sc, sizeof sc, "s.yaml");
    write_scenario(sc, DEMO "/comores-latest.osm.pbf",
                   DEMO "/com_ppp_2020_UNadj.tif", NULL, NULL);
    p(h5, sizeof h5, "missing_dir/out.h5");
    const char *args[] = {"run", sc, "-o", h5, "-q", NULL};
    assert_int_equal(run_cli(out, sizeof out, args), 1);
    assert_non_null(strstr(out, "missing_dir/out.h5"));
    assert_no_output();
}

/* A signal during the run (SIGINT: Ctrl-C; SIGTERM: kill, a batch
 * system's cancellation; SIGUSR1: a batch system's warning before
 * pre-emption, docs/cluster.md): exit 130, a message, no output, no
 * temporary. */
static void interrupt_with(int sig)
{
    char sc[512], h5[512], log[512];
    p(sc, sizeof sc, "s.yaml");
    p(h5, sizeof h5, "out.h5");
    p(log, sizeof log, "int.log");
    write_scenario(sc, DEMO "/comores-latest.osm.pbf",
                   DEMO "/com_ppp_2020_UNadj.tif", NULL, NULL);
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0)
            _exit(127);
        dup2(fd, 2);
        execl(ACCESSIM, ACCESSIM, "run", sc, "-o", h5, (char *)NULL);
        _exit(127);
    }
    /* wait until the run has started reading, then interrupt it */
    char buf[4096] = "";
    for (int i = 0; i < 2000 && strstr(buf, "reading roads") == NULL; i++) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
        FILE *f = fopen(log, "r");
        size_t got = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
        buf[got] = '\0';
        if (f)
            fclose(f);
    }
    assert_non_null(strstr(buf, "reading roads"));
    kill(pid, sig);
    int status = 0;
    waitpid(pid, &status, 0);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 130);
    FILE *f = fopen(log, "r");
    size_t got = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    buf[got] = '\0';
    if (f)
        fclose(f);
    assert_non_null(strstr(buf, "interrupted"));
    unlink(log);
    assert_no_output();
}

static void test_interrupt(void **state)
{
    (void)state;
    interrupt_with(SIGINT);
}

static void test_interrupt_term(void **state)
{
    (void)state;
    interrupt_with(SIGTERM);
}

static void test_interrupt_usr1(void **state)
{
    (void)state;
    interrupt_with(SIGUSR1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_help_version),
        cmocka_unit_test(test_usage_errors),
        cmocka_unit_test_setup_teardown(test_missing_scenario, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_roads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_population_not_raster, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_roads_not_vector, setup, teardown),
        cmocka_unit_test_setup_teardown(test_raster_without_crs, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_no_overlap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_road_layer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_zero_facilities, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_key_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_negative_capacity, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_negative_capacity_field, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_unwritable_output, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_interrupt, setup, teardown),
        cmocka_unit_test_setup_teardown(test_interrupt_term, setup, teardown),
        cmocka_unit_test_setup_teardown(test_interrupt_usr1, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
