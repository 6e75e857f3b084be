/*
 * h5_reader.c: reading results files back (h5_reader.h). Every HDF5 call
 * runs with HDF5's automatic error printing off; a failure becomes one
 * AM_ERR_FORMAT line naming the file and the object, with HDF5's
 * outermost and innermost messages.
 */
#include "outputs/h5_reader.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <hdf5.h>

#include "outputs/h5_errors.h"
#include "outputs/h5_probe.h"

#include "common/alloc.h"
#include "common/strutil.h"

/* Bounds on sizes read from the file before anything is allocated for
 * them: a text attribute (a WKT is a few KiB), a fixed-size string cell. */
#define MAX_ATTR_TEXT (1 << 20)
#define MAX_CELL_TEXT (1 << 16)
#define MAX_ROWS INT32_MAX

struct am_h5r {
    hid_t file;
    char *path;
};

/* ---- HDF5 error stack -> am_error ------------------------------------ */

/* "<what>: HDF5: <outermost> (<innermost>)"; clears the stack. */
static am_status h5_fail(am_error *err, const char *file, const char *what)
{
    am_h5_errmsg w;
    am_h5_error_take(&w);
    if (w.top[0] == '\0')
        return am_error_set(err, AM_ERR_FORMAT, file,
                            "%s (the file may be damaged or truncated)", what);
    if (strcmp(w.top, w.deepest) == 0)
        return am_error_set(err, AM_ERR_FORMAT, file, "%s: HDF5: %s", what,
                            w.top);
    return am_error_set(err, AM_ERR_FORMAT, file, "%s: HDF5: %s (%s)", what,
                        w.top, w.deepest);
}

/* ---- open / close ------------------------------------------------------ */

/* The probe's walk (h5_probe.h): everything a reader may read. */
static void probe_walk(const char *path, void *ctx)
{
    (void)ctx;
    am_h5r *r = NULL;
    if (am_h5r_open_unprobed(path, &r, NULL) != AM_OK)
        return;
    am_h5r_read_everything(r, NULL);
    am_h5r_close(r);
}

am_status am_h5r_open(const char *path, am_h5r **out, am_error *err)
{
    *out = NULL;
    /* the child reports nothing: a clean failure is found again below */
    am_status rc = am_h5_probe(path, probe_walk, NULL, err);
    if (rc != AM_OK)
        return rc;
    return am_h5r_open_unprobed(path, out, err);
}

am_status am_h5r_open_unprobed(const char *path, am_h5r **out, am_error *err)
{
    *out = NULL;
    struct stat st;
    if (stat(path, &st) != 0)
        return am_error_set(err, AM_ERR_IO, path, "cannot open: %s",
                            strerror(errno));
    if (!S_ISREG(st.st_mode))
        return am_error_set(err, AM_ERR_IO, path,
                            "not a regular file (a results file .h5 was "
                            "expected)");
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return am_error_set(err, AM_ERR_IO, path, "cannot open: %s",
                            strerror(errno));
    fclose(f);
    am_h5_quiet q;
    am_h5_quiet_begin(&q);
    am_status rc = AM_OK;
    htri_t is = H5Fis_hdf5(path);
    if (is <= 0) {
        H5Eclear2(H5E_DEFAULT);
        am_h5_quiet_end(&q);
        return am_error_set(err, AM_ERR_FORMAT, path,
                            "not an HDF5 file (an accessim results file, "
                            "written by accessim run, was expected)");
    }
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    /* close every object with the file: a failed read leaves none open */
    if (fapl != H5I_INVALID_HID)
        H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG);
    hid_t fid = H5Fopen(path, H5F_ACC_RDONLY,
                        fapl != H5I_INVALID_HID ? fapl : H5P_DEFAULT);
    if (fapl != H5I_INVALID_HID)
        H5Pclose(fapl);
    if (fid < 0) {
        rc = h5_fail(err, path, "cannot open the HDF5 file");
        am_h5_quiet_end(&q);
        return rc;
    }
    am_h5_quiet_end(&q);
    am_h5r *r = am_calloc(1, sizeof *r);
    char *p = am_strdup(path);
    if (r == NULL || p == NULL) {
        am_free(r);
        am_free(p);
        H5Fclose(fid);
        return am_error_set(err, AM_ERR_NOMEM, path, "out of memory");
    }
    r->file = fid;
    r->path = p;
    *out = r;
    return AM_OK;
}

void am_h5r_close(am_h5r *r)
{
    if (r == NULL)
        return;
    am_h5_quiet q;
    am_h5_quiet_begin(&q);
    H5Fclose(r->file);
    H5Eclear2(H5E_DEFAULT);
    am_h5_quiet_end(&q);
    am_free(r->path);
    am_free(r);
}

const char *am_h5r_path(const am_h5r *r)
{
    return r->path;
}

/* ---- objects ------------------------------------------------------------ */

/* Whether every link of path exists (H5Lexists needs the parents). */
static int links_exist(hid_t file, const char *path)
{
    char buf[1024];
    if (path[0] != '/' || strlen(path) >= sizeof buf)
        return 0;
    if (path[1] == '\0')
        return 1;
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;
            *p = '\0';
            if (H5Lexists(file, buf, H5P_DEFAULT) <= 0)
                return 0;
            if (c == '\0')
                return 1;
            *p = c;
        }
    }
}

int am_h5r_unreadable(am_h5r *r, const char *path)
{
    char buf[1024];
    if (path[0] != '/' || strlen(path) >= sizeof buf)
        return 0;
    am_h5_quiet q;
    am_h5_quiet_begin(&q);
    int bad = 0;
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; !bad; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;
            *p = '\0';
            htri_t e = H5Lexists(r->file, buf, H5P_DEFAULT);
            if (e < 0) {
                bad = 1; /* the parent's links cannot be read */
            } else if (e == 0) {
                break; /* simply missing */
            } else {
                hid_t o = H5Oopen(r->file, buf, H5P_DEFAULT);
                if (o < 0)
                    bad = 1; /* linked, but its header cannot be read */
                else
                    H5Oclose(o);
            }
            if (c == '\0')
                break;
            *p = c;
        }
    }
    H5Eclear2(H5E_DEFAULT);
    am_h5_quiet_end(&q);
    return bad;
}

int am_h5r_kind(am_h5r *r, const char *path)
{
    am_h5_quiet q;
    am_h5_quiet_begin(&q);
    int kind = 0;
    if (links_exist(r->file, path)) {
        hid_t o = H5Oopen(r->file, path, H5P_DEFAULT);
        if (o >= 0) {
            H5I_type_t t = H5Iget_type(o);
            kind = t == H5I_GROUP ? 1 : t == H5I_DATASET ? 2 : 0;
            H5Oclose(o);
        }
    }
    H5Eclear2(H5E_DEFAULT);
    am_h5_quiet_end(&q);
    return kind;
}

void am_h5r_strings_free(char **s, int64_t n)
{
    if (s == NULL)
        return;
    for (int64_t i = 0; i < n; i++)
        am_free(s[i]);
    am_free(s);
}

typedef struct list_state {
    char **names;
    int32_t n, cap;
    int failed;
} list_state;

static herr_t list_cb(hid_t g, const char *name, const H5L_info_t *info,
                      void *data)
{
    (void)g;
    (void)info;
    list_state *ls = data;
    if (ls->n == ls->cap) {
        int32_t cap = ls->cap ? 2 * ls->cap : 16;
        char **nn = am_realloc_array(ls->names, (size_t)cap, sizeof *nn);
        if (nn == NULL) {
            ls->failed = 1;
            return -1;
        }
        ls->names = nn;
        ls->cap = cap;
    }
    ls->names[ls->n] = am_strdup(name);
    if (ls->names[ls->n] == NULL) {
        ls->failed = 1;
        return -1;
    }
    ls->n++;
    return 0;
}

am_status am_h5r_list(am_h5r *r, const char *path, char ***names, int **kinds,
                      int32_t *n, am_error *err)
{
    *names = NULL;
    if (kinds != NULL)
        *kinds = NULL;
    *n = 0;
    char what[600];
    snprintf(what, sizeof what, "cannot list the group %s", path);
    if (am_h5r_kind(r, path) != 1)
        return am_error_set(err, AM_ERR_FORMAT, r->path, "no group %s", path);
    am_h5_quiet q;
    am_h5_quiet_begin(&q);
    am_status rc = AM_OK;
    list_state ls = {NULL, 0, 0, 0};
    hid_t g = H5Gopen2(r->file, path, H5P_DEFAULT);
    if (g < 0) {
        rc = h5_fail(err, r->path, what);
        goto done;
    }
    hsize_t idx = 0;
    /* H5_ITER_NATIVE on the creation order index walks its B-tree (the
     * creation order); H5_ITER_INC would first build a sorted table of
     * the links, and libhdf5 1.10 frees garbage pointers when a damaged
     * link stops that half way (SIGSEGV in H5G__link_release_table) */
    herr_t st =
        H5Literate(g, H5_INDEX_CRT_ORDER, H5_ITER_NATIVE, &idx, list_cb, &ls);
    unsigned crt = 0;
    if (st < 0 && !ls.failed) { /* creation order not indexed? */
        hid_t gcpl = H5Gget_create_plist(g);
        if (gcpl < 0 || H5Pget_link_creation_order(gcpl, &crt) < 0)
            crt = H5P_CRT_ORDER_INDEXED; /* unknown: report the failure */
        if (gcpl >= 0)
            H5Pclose(gcpl);
    }
    if (st < 0 && !ls.failed && !(crt & H5P_CRT_ORDER_INDEXED)) {
        /* not written by accessim: name order */
        H5Eclear2(H5E_DEFAULT);
        am_h5r_strings_free(ls.names, ls.n);
        memset(&ls, 0, sizeof ls);
        idx = 0;
        st = H5Literate(g, H5_INDEX_NAME, H5_ITER_INC, &idx, list_cb, &ls);
    }
    H5Gclose(g);
    if (ls.failed) {
        rc = am_error_set(err, AM_ERR_NOMEM, r->path, "out of memory");
        goto done;
    }
    if (st < 0) {
        rc = h5_fail(err, r->path, what);
        goto done;
    }
done:
    H5Eclear2(H5E_DEFAULT);
    am_h5_quiet_end(&q);
    if (rc != AM_OK) {
        am_h5r_strings_free(ls.names, ls.n);
        return rc;
    }
    if (kinds != NULL && ls.n > 0) {
        int *k = am_calloc_array((size_t)ls.n, sizeof *k);
        if (k == NULL) {
            am_h5r_strings_free(ls.names, ls.n);
            return am_error_set(err, AM_ERR_NOMEM, r->path, "out of memory");
        }
        for (int32_t i = 0; i < ls.n; i++) {
            char full[1024];
            snprintf(full, sizeof full, "%s/%s",
                     strcmp(path, "/") == 0 ? "" : path, ls.names[i]);
            k[i] = am_h5r_kind(r, full);
            if (k[i] == 0 && am_h5r_unreadable(r, full)) {
                /* linked, but its header cannot be read: damage, not a
                   foreign object to skip */
                am_free(k);
                am_h5r_strings_free(ls.names, ls.n);
                return am_error_set(err, AM_ERR_FORMAT, r->path,
                                    "cannot read %s: the file is damaged "
                                    "(its object header cannot be read)",
                                    full);
            }
        }
        *kinds = k;
    }
    *names = ls.names;
    *n = ls.n;
    return AM_OK;
}

/* ---- attributes --------------------------------------------------------- */

am_status am_h5r_attr_string(am_h5r *r, const char *path, const char *name,
                             char **out, am_error *err)
{
    *out = NULL;
    if (am_h5r_kind(r, path) == 0)
        return am_error_set(err, AM_ERR_FORMAT, r->path,
                            "no object %s (not an accessim results file?)",
                            path);
    am_h5_quiet q;
    am_h5_quiet_begin(&q);
    am_status rc = AM_OK;
    hid_t a = H5I_INVALID_HID, t = H5I_INVALID_HID, mt = H5I_INVALID_HID;
    hid_t sp = H5I_INVALID_HID;
    char what[600];
    snprintf(what, sizeof what, "cannot read the attribute %s of %s", name,
             path);
    if (H5Aexists_by_name(r->file, path, name, H5P_DEFAULT) <= 0) {
        rc = am_error_set(err, AM_ERR_FORMAT, r->path,
                          "%s has no attribute %s (not an accessim results "
                          "file?)",
                          path, name);
        goto done;
    }
    a = H5Aopen_by_name(r->file, path, name, H5P_DEFAULT, H5P_DEFAULT);
    if (a < 0 || (t = H5Aget_type(a)) < 0) {
        rc = h5_fail(err, r->path, what);
        goto done;
    }
    if (H5Tget_class(t) != H5T_STRING) {
        rc = am_error_set(err, AM_ERR_FORMAT, r->path,
                          "the attribute %s of %s is not text", name, path);
        goto done;
    }
    /* one string of a bounded size: the buffers below hold one */
    sp = H5Aget_space(a);
    if (sp < 0 || H5Sget_simple_extent_npoints(sp) != 1 ||
        (H5Tis_variable_str(t) <= 0 && H5Tget_size(t) > MAX_ATTR_TEXT)) {
        rc = am_error_set(err, AM_ERR_FORMAT, r->path,
                          "the attribute %s of %s is not one text of at most "
                          "%d bytes (the file may be damaged)",
                          name, path, MAX_ATTR_TEXT);
        goto done;
    }
    if (H5Tis_variable_str(t) > 0) {
        mt = H5Tcopy(H5T_C_S1);
        H5Tset_size(mt, H5T_VARIABLE);
        H5Tset_cset(mt, H5Tget_cset(t));
        char *v = NULL;
        if (H5Aread(a, mt, &v) < 0 || v == NULL) {
            rc = h5_fail(err, r->path, what);
            goto done;
        }
        *out = am_strdup(v);
        H5free_memory(v);
    } else {
        size_t sz = H5Tget_size(t);
        char *v = am_calloc(sz + 1, 1);
        mt = H5Tcopy(t); /* the file's charset and padding, no conversion */
        if (v == NULL || mt < 0 || H5Aread(a, mt, v) < 0) {
            am_free(v);
            rc = v == NULL
                     ? am_error_set(err, AM_ERR_NOMEM, r->path, "out of memory")
                     : h5_fail(err, r->path, what);
            goto done;
        }
        *out = v;
    }
    if (*out == NULL)
        rc = am_error_set(err, AM_ERR_NOMEM, r->path, "out of memory");
done:
    if (sp >= 0)
        H5Sclose(sp);
    if (mt >= 0)
        H5Tclose(mt);
    if (t >= 0)
        H5Tclose(t);
    if (a >= 0)
        H5Aclose(a);
    H5Eclear2(H5E_DEFAULT);
    am_h5_quiet_end(&q);
    return rc;
}

am_status am_h5r_attr_double(am_h5r *r, const char *path, const char *name,
                             double *out, int *found, am_error *err)
{
    *found = 0;
    *out = NAN;
    am_h5_quiet q;
    am_h5_quiet_begin(&q);
    am_status rc = AM_OK;
    hid_t a = H5I_INVALID_HID, t = H5I_INVALID_HID, sp = H5I_INVALID_HID;
    if (H5Aexists_by_name(r->file, path, name, H5P_DEFAULT) <= 0)
        goto done;
    a = H5Aopen_by_name(r->file, path, name, H5P_DEFAULT, H5P_DEFAULT);
    if (a < 0 || (t = H5Aget_type(a)) < 0 || (sp = H5Aget_space(a)) < 0) {
        rc = h5_fail(err, r->path, "cannot read an attribute");
        goto done;
    }
    H5T_class_t c = H5Tget_class(t);
    if ((c != H5T_INTEGER && c != H5T_FLOAT) ||
        H5Sget_simple_extent_npoints(sp) != 1)
        goto done;
    if (H5Aread(a, H5T_NATIVE_DOUBLE, out) < 0) {
        rc = h5_fail(err, r->path, "cannot read an attribute");
        goto done;
    }
    *found = 1;
done:
    if (sp >= 0)
        H5Sclose(sp);
    if (t >= 0)
        H5Tclose(t);
    if (a >= 0)
        H5Aclose(a);
    H5Eclear2(H5E_DEFAULT);
    am_h5_quiet_end(&q);
    return rc;
}

/* ---- datasets ----------------------------------------------------------- */

am_status am_h5r_shape(am_h5r *r, const char *path, int *rank, int64_t dims[2],
                       int *is_float, am_error *err)
{
    *rank = 0;
    dims[0] = dims[1] = 0;
    *is_float = -1;
    if (am_h5r_kind(r, path) != 2)
        return am_error_set(err, AM_ERR_FORMAT, r->path, "no dataset %s", path);
    am_h5_quiet q;
    am_h5_quiet_begin(&q);
    am_status rc = AM_OK;
    hid_t d = H5Dopen2(r->file, path, H5P_DEFAULT);
    hid_t sp = d >= 0 ? H5Dget_space(d) : H5I_INVALID_HID;
    hid_t t = d >= 0 ? H5Dget_type(d) : H5I_INVALID_HID;
    if (d < 0 || sp < 0 || t < 0) {
        char what[600];
        snprintf(what, sizeof what, "cannot open %s", path);
        rc = h5_fail(err, r->path, what);
    } else {
        hsize_t hd[8] = {0};
        int nd = H5Sget_simple_extent_ndims(sp);
        if (nd >= 0 && nd <= 8 &&
            H5Sget_simple_extent_dims(sp, hd, NULL) >= 0) {
            *rank = nd;
            for (int i = 0; i < nd && i < 2; i++)
                dims[i] = (int64_t)hd[i];
        }
        H5T_class_t c = H5Tget_class(t);
        *is_float = c == H5T_FLOAT ? 1 : c == H5T_INTEGER ? 0 : -1;
    }
    if (t >= 0)
        H5Tclose(t);
    if (sp >= 0)
        H5Sclose(sp);
    if (d >= 0)
        H5Dclose(d);
    H5Eclear2(H5E_DEFAULT);
    am_h5_quiet_end(&q);
    return rc;
}

/* Reads the whole dataset at path into buf (n values of mem_type). */
static am_status read_all(am_h5r *r, const char *path, hid_t mem_type,
                          void *buf, am_error *err)
{
    am_h5_quiet q;
    am_h5_quiet_begin(&q);
    am_status rc = AM_OK;
    hid_t d = H5Dopen2(r->file, path, H5P_DEFAULT);
    if (d < 0 || H5Dread(d, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0) {
        char what[600];
        snprintf(what, sizeof what, "cannot read %s", path);
        rc = h5_fail(err, r->path, what);
    }
    if (d >= 0)
        H5Dclose(d);
    H5Eclear2(H5E_DEFAULT);
    am_h5_quiet_end(&q);
    return rc;
}

am_status am_h5r_raster_f32(am_h5r *r, const char *path, int32_t ny, int32_t nx,
                            float **out, float *fill, am_error *err)
{
    *out = NULL;
    *fill = NAN;
    int rank = 0, is_float = 0;
    int64_t dims[2];
    am_status rc = am_h5r_shape(r, path, &rank, dims, &is_float, err);
    if (rc != AM_OK)
        return rc;
    if (rank != 2 || dims[0] != ny || dims[1] != nx || is_float < 0)
        return am_error_set(err, AM_ERR_FORMAT, r->path,
                            "%s is not a %d x %d numeric raster (the grid's "
                            "size)",
                            path, (int)ny, (int)nx);
    int found = 0;
    double fv = NAN;
    rc = am_h5r_attr_double(r, path, "_FillValue", &fv, &found, err);
    if (rc != AM_OK)
        return rc;
    *fill = found ? (float)fv : NAN;
    float *v = am_alloc_array((size_t)nx * (size_t)ny, sizeof *v);
    if (v == NULL)
        return am_error_set(err, AM_ERR_NOMEM, r->path,
                            "out of memory reading %s", path);
    rc = read_all(r, path, H5T_NATIVE_FLOAT, v, err);
    if (rc != AM_OK) {
        am_free(v);
        return rc;
    }
    *out = v;
    return AM_OK;
}

am_status am_h5r_column_f64(am_h5r *r, const char *path, double **out,
                            int64_t *n, am_error *err)
{
    *out = NULL;
    *n = 0;
    int rank = 0, is_float = 0;
    int64_t dims[2];
    am_status rc = am_h5r_shape(r, path, &rank, dims, &is_float, err);
    if (rc != AM_OK)
        return rc;
    if (rank != 1 || is_float < 0)
        return am_error_set(err, AM_ERR_FORMAT, r->path,
                            "%s is not a numeric table column", path);
    if (dims[0] > MAX_ROWS)
        return am_error_set(err, AM_ERR_FORMAT, r->path,
                            "%s: %lld rows, more than %d (the file may be "
                            "damaged)",
                            path, (long long)dims[0], MAX_ROWS);
    double *v = am_alloc_array(dims[0] > 0 ? (size_t)dims[0] : 1, sizeof *v);
    if (v == NULL)
        return am_error_set(err, AM_ERR_NOMEM, r->path, "out of memory");
    if (dims[0] > 0) {
        rc = read_all(r, path, H5T_NATIVE_DOUBLE, v, err);
        if (rc != AM_OK) {
            am_free(v);
            return rc;
        }
    }
    *out = v;
    *n = dims[0];
    return AM_OK;
}

am_status am_h5r_column_str(am_h5r *r, const char *path, char ***out,
                            int64_t *n, am_error *err)
{
    *out = NULL;
    *n = 0;
    int rank = 0, is_float = 0;
    int64_t dims[2];
    am_status rc = am_h5r_shape(r, path, &rank, dims, &is_float, err);
    if (rc != AM_OK)
        return rc;
    if (rank != 1)
        return am_error_set(err, AM_ERR_FORMAT, r->path,
                            "%s is not a table column", path);
    if (dims[0] > MAX_ROWS)
        return am_error_set(err, AM_ERR_FORMAT, r->path,
                            "%s: %lld rows, more than %d (the file may be "
                            "damaged)",
                            path, (long long)dims[0], MAX_ROWS);
    size_t m = (size_t)dims[0];
    char **s = am_calloc_array(m > 0 ? m : 1, sizeof *s);
    if (s == NULL)
        return am_error_set(err, AM_ERR_NOMEM, r->path, "out of memory");
    if (m == 0) {
        *out = s;
        return AM_OK;
    }
    am_h5_quiet q;
    am_h5_quiet_begin(&q);
    hid_t d = H5Dopen2(r->file, path, H5P_DEFAULT);
    hid_t ft = d >= 0 ? H5Dget_type(d) : H5I_INVALID_HID;
    hid_t sp = d >= 0 ? H5Dget_space(d) : H5I_INVALID_HID;
    hid_t mt = H5I_INVALID_HID;
    char *fixed = NULL;
    char what[600];
    snprintf(what, sizeof what, "cannot read %s", path);
    if (d < 0 || ft < 0 || sp < 0) {
        rc = h5_fail(err, r->path, what);
        goto done;
    }
    if (H5Tget_class(ft) != H5T_STRING) {
        rc = am_error_set(err, AM_ERR_FORMAT, r->path,
                          "%s is not a text column", path);
        goto done;
    }
    mt = H5Tcopy(H5T_C_S1);
    if (H5Tis_variable_str(ft) > 0) {
        char **v = am_calloc_array(m, sizeof *v);
        if (v == NULL) {
            rc = am_error_set(err, AM_ERR_NOMEM, r->path, "out of memory");
            goto done;
        }
        H5Tset_size(mt, H5T_VARIABLE);
        H5Tset_cset(mt, H5Tget_cset(ft));
        if (H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) < 0) {
            am_free(v);
            rc = h5_fail(err, r->path, what);
            goto done;
        }
        for (size_t i = 0; i < m && rc == AM_OK; i++) {
            s[i] = am_strdup(v[i] != NULL ? v[i] : "");
            if (s[i] == NULL)
                rc = am_error_set(err, AM_ERR_NOMEM, r->path, "out of memory");
        }
        H5Dvlen_reclaim(mt, sp, H5P_DEFAULT, v);
        am_free(v);
    } else if (H5Tget_size(ft) > MAX_CELL_TEXT) {
        rc = am_error_set(err, AM_ERR_FORMAT, r->path,
                          "%s: text cells of %zu bytes, more than %d (the "
                          "file may be damaged)",
                          path, H5Tget_size(ft), MAX_CELL_TEXT);
        goto done;
    } else {
        size_t sz = H5Tget_size(ft) + 1;
        fixed = am_calloc_array(m, sz);
        if (fixed == NULL) {
            rc = am_error_set(err, AM_ERR_NOMEM, r->path, "out of memory");
            goto done;
        }
        H5Tset_size(mt, sz);
        H5Tset_cset(mt, H5Tget_cset(ft));
        if (H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, fixed) < 0) {
            rc = h5_fail(err, r->path, what);
            goto done;
        }
        for (size_t i = 0; i < m && rc == AM_OK; i++) {
            fixed[i * sz + sz - 1] = '\0';
            s[i] = am_strdup(fixed + i * sz);
            if (s[i] == NULL)
                rc = am_error_set(err, AM_ERR_NOMEM, r->path, "out of memory");
        }
    }
done:
    am_free(fixed);
    if (mt >= 0)
        H5Tclose(mt);
    if (sp >= 0)
        H5Sclose(sp);
    if (ft >= 0)
        H5Tclose(ft);
    if (d >= 0)
        H5Dclose(d);
    H5Eclear2(H5E_DEFAULT);
    am_h5_quiet_end(&q);
    if (rc != AM_OK) {
        am_h5r_strings_free(s, (int64_t)m);
        return rc;
    }
    *out = s;
    *n = (int64_t)m;
    return AM_OK;
}

/* ---- the grid ----------------------------------------------------------- */

am_status am_h5r_grid(am_h5r *r, const char *prefix, am_grid *grid, char **wkt,
                      am_error *err)
{
    *wkt = NULL;
    memset(grid, 0, sizeof *grid);
    char crs[600], pop[600];
    snprintf(crs, sizeof crs, "%s/crs", prefix);
    if (am_h5r_kind(r, crs) == 0)
        snprintf(crs, sizeof crs, "/crs");
    snprintf(pop, sizeof pop, "%s/population", prefix);
    if (am_h5r_kind(r, pop) == 0)
        snprintf(pop, sizeof pop, "/population");
    if (am_h5r_kind(r, crs) != 2 || am_h5r_kind(r, pop) != 2)
        return am_error_set(err, AM_ERR_FORMAT, r->path,
                            "not an accessim results file (no /crs or "
                            "/population)");
    int rank = 0, is_float = 0;
    int64_t dims[2];
    am_status rc = am_h5r_shape(r, pop, &rank, dims, &is_float, err);
    if (rc != AM_OK)
        return rc;
    if (rank != 2 || dims[0] < 1 || dims[1] < 1 || dims[0] > INT32_MAX ||
        dims[1] > INT32_MAX || is_float < 0)
        return am_error_set(err, AM_ERR_FORMAT, r->path,
                            "%s is not a 2-D numeric raster", pop);
    grid->ny = (int32_t)dims[0];
    grid->nx = (int32_t)dims[1];
    char *gt = NULL;
    rc = am_h5r_attr_string(r, crs, "GeoTransform", &gt, err);
    if (rc != AM_OK)
        return rc;
    char *p = gt, *end = NULL;
    int k = 0;
    for (; k < 6; k++) {
        errno = 0;
        double v = strtod(p, &end);
        if (end == p || errno != 0 || !isfinite(v))
            break;
        grid->gt[k] = v;
        p = end;
    }
    am_free(gt);
    if (k != 6)
        return am_error_set(err, AM_ERR_FORMAT, r->path,
                            "%s: GeoTransform is not six numbers", crs);
    return am_h5r_attr_string(r, crs, "crs_wkt", wkt, err);
}

/* ---- everything --------------------------------------------------------- */

#define WALK_MAX_DEPTH 16

typedef struct attr_names {
    char **names;
    int32_t n, cap;
} attr_names;

static herr_t attr_cb(hid_t loc, const char *name, const H5A_info_t *info,
                      void *data)
{
    (void)loc;
    (void)info;
    attr_names *an = data;
    if (an->n == an->cap) {
        int32_t cap = an->cap ? 2 * an->cap : 16;
        char **nn = am_realloc_array(an->names, (size_t)cap, sizeof *nn);
        if (nn == NULL)
            return -1;
        an->names = nn;
        an->cap = cap;
    }
    if ((an->names[an->n] = am_strdup(name)) == NULL)
        return -1;
    an->n++;
    return 0;
}

/* Reads every attribute of the object at path the way readers do (by
 * name: text, or a numeric scalar). */
static am_status walk_attrs(am_h5r *r, const char *path, am_error *err)
{
    attr_names an = {NULL, 0, 0};
    am_h5_quiet q;
    am_h5_quiet_begin(&q);
    hsize_t idx = 0;
    herr_t st =
        H5Aiterate_by_name(r->file, path, H5_INDEX_CRT_ORDER, H5_ITER_NATIVE,
                           &idx, attr_cb, &an, H5P_DEFAULT);
    if (st < 0) {
        H5Eclear2(H5E_DEFAULT);
        am_h5r_strings_free(an.names, an.n);
        memset(&an, 0, sizeof an);
        idx = 0;
        st = H5Aiterate_by_name(r->file, path, H5_INDEX_NAME, H5_ITER_NATIVE,
                                &idx, attr_cb, &an, H5P_DEFAULT);
    }
    am_status rc = AM_OK;
    if (st < 0) {
        char what[600];
        snprintf(what, sizeof what, "cannot list the attributes of %s", path);
        rc = h5_fail(err, r->path, what);
    }
    H5Eclear2(H5E_DEFAULT);
    am_h5_quiet_end(&q);
    am_error later;
    for (int32_t i = 0; i < an.n; i++) {
        char *text = NULL;
        double v = 0;
        int found = 0;
        am_status rc2 = AM_OK;
        if (am_h5r_attr_string(r, path, an.names[i], &text, &later) == AM_OK)
            am_free(text);
        else
            rc2 = am_h5r_attr_double(r, path, an.names[i], &v, &found,
                                     rc == AM_OK ? err : &later);
        if (rc == AM_OK)
            rc = rc2;
    }
    am_h5r_strings_free(an.names, an.n);
    return rc;
}

/* Reads the dataset at path whole, as the readers' functions do. */
static am_status walk_dataset(am_h5r *r, const char *path, am_error *err)
{
    int rank = 0, is_float = -1;
    int64_t dims[2];
    am_status rc = am_h5r_shape(r, path, &rank, dims, &is_float, err);
    if (rc != AM_OK)
        return rc;
    int64_t n = 0;
    if (rank == 2 && is_float >= 0 && dims[0] > 0 && dims[1] > 0 &&
        dims[0] <= INT32_MAX && dims[1] <= INT32_MAX &&
        dims[0] * dims[1] <= INT32_MAX) {
        float *v = NULL, fill = 0;
        rc = am_h5r_raster_f32(r, path, (int32_t)dims[0], (int32_t)dims[1], &v,
                               &fill, err);
        am_free(v);
    } else if (rank == 1 && is_float >= 0) {
        double *v = NULL;
        rc = am_h5r_column_f64(r, path, &v, &n, err);
        am_free(v);
    } else if (rank == 1) {
        char **v = NULL;
        rc = am_h5r_column_str(r, path, &v, &n, err);
        am_h5r_strings_free(v, n);
    }
    return rc;
}

static am_status walk_group(am_h5r *r, const char *path, int depth,
                            am_error *err)
{
    if (depth > WALK_MAX_DEPTH)
        return am_error_set(err, AM_ERR_FORMAT, r->path,
                            "%s: groups nested more than %d deep", path,
                            WALK_MAX_DEPTH);
    (void)am_h5r_unreadable(r, path);
    am_status rc = walk_attrs(r, path, err);
    char **names = NULL;
    int *kinds = NULL;
    int32_t n = 0;
    am_error e0;
    am_status rc1 =
        am_h5r_list(r, path, &names, &kinds, &n, rc == AM_OK ? err : &e0);
    if (rc == AM_OK)
        rc = rc1;
    /* past an error, on to the rest (the probe must cover everything a
     * reader may go on to read); the first error is the one reported */
    am_error later;
    for (int32_t i = 0; i < n; i++) {
        am_error *e = rc == AM_OK ? err : &later;
        am_status rc2 = AM_OK;
        char full[1024];
        int k = snprintf(full, sizeof full, "%s/%s",
                         strcmp(path, "/") == 0 ? "" : path, names[i]);
        if (k < 0 || (size_t)k >= sizeof full)
            continue;
        /* hard links only: a soft or external link (damage can make one)
         * is not followed */
        am_h5_quiet q;
        am_h5_quiet_begin(&q);
        H5L_info_t li;
        int hard = H5Lget_info(r->file, full, &li, H5P_DEFAULT) >= 0 &&
                   li.type == H5L_TYPE_HARD;
        H5Eclear2(H5E_DEFAULT);
        am_h5_quiet_end(&q);
        if (!hard)
            continue;
        if (kinds[i] == 1) {
            rc2 = walk_group(r, full, depth + 1, e);
        } else if (kinds[i] == 2) {
            rc2 = walk_attrs(r, full, e);
            am_status rc3 = walk_dataset(r, full, rc2 == AM_OK ? e : &later);
            if (rc2 == AM_OK)
                rc2 = rc3;
        }
        if (rc == AM_OK)
            rc = rc2;
    }
    am_h5r_strings_free(names, n);
    am_free(kinds);
    return rc;
}

am_status am_h5r_read_everything(am_h5r *r, am_error *err)
{
    return walk_group(r, "/", 0, err);
}
