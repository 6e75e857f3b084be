/*
 * h5_writer.c: the HDF5 results file (see h5_writer.h, docs/hdf5-layout.md).
 *
 * Why it looks like this. GIS users open the file with GDAL and Python users
 * with xarray/h5py, so the file follows the netCDF-4 data model written with
 * the plain HDF5 C API (we do not link libnetcdf):
 *  - the grid's cell-centre coordinates are 1-D datasets /x and /y made
 *    HDF5 dimension scales and attached to both dimensions of every raster,
 *    so that libnetcdf (inside GDAL's netCDF driver and xarray) sees them as
 *    netCDF coordinate variables;
 *  - a scalar /crs variable is the CF grid mapping (crs_wkt, spatial_ref,
 *    GeoTransform), named by each raster's grid_mapping attribute;
 *  - /y is stored in row order (north first for the usual north-up grid,
 *    i.e. descending); GDAL honours a descending y, so GDAL pixel (0, 0) is
 *    data[0];
 *  - string attributes are fixed-length, NUL-terminated, UTF-8 and scalar:
 *    libnetcdf reads them as NC_CHAR text, which every reader handles;
 *    string table columns are variable-length UTF-8 (NC_STRING).
 *
 * Dimension scales are written with the core library, following the HDF5
 * Dimension Scale specification exactly as H5DS (libhdf5_hl) 1.10 writes it:
 * CLASS = "DIMENSION_SCALE" and NAME on the scale, DIMENSION_LIST (one
 * variable-length list of object references per dimension) on the dataset,
 * REFERENCE_LIST (compound {dataset, dimension}) back on the scale. This
 * keeps the high-level library out of the link; tests/outputs checks that
 * libnetcdf (through gdalinfo) and h5dump read it.
 *
 * Errors: the HDF5 error stack is never printed (automatic printing is off
 * while a public function runs, restored afterwards); its innermost message
 * goes into am_error with the final file name. Every public function has one
 * cleanup label; hid_t handles start as H5I_INVALID_HID.
 */
#define _GNU_SOURCE /* memfd_create */
#include "common/alloc.h"
#include "common/atomic_file.h"
#include "common/strutil.h"
#include "kernels/tasks.h"
#include "outputs/h5_writer.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hdf5.h>

#include "outputs/h5_errors.h"
#include <zlib.h>

#include "common/file_check.h"

/* Chunks are stored as the writer compresses them (H5Dwrite_chunk), in the
 * host's byte order, while the file types are little-endian. */
#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "outputs/h5_writer.c stores raster chunks as little-endian values"
#endif

/*
 * Chunks and compression, chosen for the write phase (issue 6: <= 10 % of a
 * run) with benchmarks/h5_write_bench.c: a 20000 x 20000 grid with 2M
 * populated cells in clustered towns, three rasters (f32, f32, i32); CPU
 * seconds and file size on the shared 2-core development machine:
 *
 *   chunk      deflate  CPU s  MB
 *   256 x 256  4        15.1   24.3   (previous setting)
 *   256 x 256  1         9.5   36.9
 *   256 x 256  6        20.4   24.1
 *   512 x 512  4        20.1   24.5
 *   128 x 128  4         9.8   23.4
 *   128 x 128  1         5.2   30.9
 *   64 x 64    4         5.3   22.7   (chosen)
 *   16 x nx    4        15.4   26.8
 *
 * (The writer before streaming, full buffers and every chunk stored: 23.6
 * CPU s, 26.5 MB, 1.67 GB peak memory; streamed: 0.11-0.12 GB.)
 * Nearly all the time is zlib. Chunks that hold only the fill value are
 * not stored, so the smaller the chunk, the more of a sparse grid is
 * skipped: 64 x 64 (16 kB of f32) is the fastest and gives the smallest
 * file, and GDAL reads the whole raster as fast as with 256 x 256 (3.4 s
 * against 3.6 s of CPU for `gdalinfo -stats`). Level 4 over 1: a third
 * smaller for the same time once empty chunks are skipped. Shuffle stays
 * (it is what makes float rasters compress).
 *
 * Since zlib is nearly all the time and HDF5's filter pipeline runs on one
 * thread, the writer shuffles and deflates each strip's chunks itself, in
 * parallel (kernels/tasks.h; only zlib on the threads), exactly as the
 * pipeline would, and stores them with H5Dwrite_chunk (HDF5 >= 1.10.3):
 * the same compressed bytes, so any reader with the standard filters
 * reads the file as before (issue 8; tests/outputs checks the bytes).
 */
#ifndef RASTER_CHUNK
#define RASTER_CHUNK AM_H5_CHUNK_EDGE /* max chunk edge (cells) */
#endif
#ifndef RASTER_CHUNK_ROWS
#define RASTER_CHUNK_ROWS RASTER_CHUNK
#endif
#ifndef RASTER_CHUNK_COLS
#define RASTER_CHUNK_COLS RASTER_CHUNK
#endif
#define CORE_INCREMENT ((size_t)8 << 20) /* in-memory file growth (bytes) */
#ifndef DEFLATE_LEVEL
#define DEFLATE_LEVEL 4
#endif
#define TABLE_DIM "row" /* the dimension scale inside each table group */

/*
 * The core driver's memory, followed through its file image callbacks, so
 * that commit writes the file straight from it (no second copy).
 */
typedef struct core_image {
    unsigned char *mem;
    size_t size;   /* bytes allocated at mem */
    size_t failed; /* bytes asked for when an allocation failed, else 0 */
} core_image;

/* One attachment of a dimension scale: HDF5 REFERENCE_LIST element. */
typedef struct dim_ref {
    hobj_ref_t dataset;
    int dimension;
} dim_ref;

struct am_h5 {
    hid_t file;
    am_atomic_file af; /* names, held folder, locked temporary, protected
                          files (common/atomic_file.h) */
    int in_memory;     /* HDF5 builds the file in memory (core driver) */
    core_image image;  /* its buffer, when the callbacks are in place */
    int has_grid;
    int32_t nx, ny;
    /* raster attachments, written to /x and /y as REFERENCE_LIST at commit */
    hobj_ref_t *rasters;
    size_t n_rasters, cap_rasters;
    /* progress hook: called per row strip and before the rename */
    am_progress_fn progress;
    void *progress_user;
    int threads; /* for compressing chunks (kernels/tasks.h); 0: all */
};

/* ---- HDF5 error stack -> am_error ------------------------------------ */

/*
 * Records an HDF5 failure: "<what>: <HDF5's outermost> (<innermost>)", on
 * one line, then clears the stack. Returns code.
 */
static am_status h5_fail(am_error *err, am_status code, const char *file,
                         const char *what)
{
    am_h5_errmsg w;
    am_h5_error_take(&w);
    if (w.top[0] == '\0')
        return am_error_set(err, code, file, "HDF5: %s", what);
    if (strcmp(w.top, w.deepest) == 0)
        return am_error_set(err, code, file, "HDF5: %s: %s", what, w.top);
    return am_error_set(err, code, file, "HDF5: %s: %s (%s)", what, w.top,
                        w.deepest);
}

/* h5_fail for a flush or close that writes to disk: a write HDF5's own
 * driver saw fail with EFBIG (errno e, saved right after the call) is
 * reported in our words, as our own writes report it. */
static am_status h5_write_fail(am_error *err, const char *file,
                               const char *what, int e)
{
    if (e != EFBIG)
        return h5_fail(err, AM_ERR_IO, file, what);
    H5Eclear2(H5E_DEFAULT);
    return am_error_set(err, AM_ERR_IO, file, "HDF5: %s: %s", what,
                        am_write_strerror(e));
}

/* ---- small helpers ---------------------------------------------------- */

static void close_id(hid_t *id, herr_t (*close_fn)(hid_t))
{
    if (*id != H5I_INVALID_HID) {
        close_fn(*id);
        *id = H5I_INVALID_HID;
    }
}

/* Whether a raster or table path is acceptable: absolute, no empty parts. */
static int valid_path(const char *p)
{
    if (p == NULL || p[0] != '/' || p[1] == '\0')
        return 0;
    size_t n = strlen(p);
    if (p[n - 1] == '/' || strstr(p, "//") != NULL)
        return 0;
    return 1;
}

/* Link creation properties that create missing parent groups. */
static hid_t lcpl_parents(void)
{
    hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
    if (lcpl == H5I_INVALID_HID)
        return H5I_INVALID_HID;
    if (H5Pset_create_intermediate_group(lcpl, 1) < 0 ||
        H5Pset_char_encoding(lcpl, H5T_CSET_UTF8) < 0) {
        H5Pclose(lcpl);
        return H5I_INVALID_HID;
    }
    return lcpl;
}

/*
 * Group creation properties: link and attribute creation order tracked and
 * indexed, as netCDF-4 does, so that readers list things in write order.
 */
static hid_t gcpl_ordered(void)
{
    hid_t gcpl = H5Pcreate(H5P_GROUP_CREATE);
    if (gcpl == H5I_INVALID_HID)
        return H5I_INVALID_HID;
    unsigned flags = H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED;
    if (H5Pset_link_creation_order(gcpl, flags) < 0 ||
        H5Pset_attr_creation_order(gcpl, flags) < 0) {
        H5Pclose(gcpl);
        return H5I_INVALID_HID;
    }
    return gcpl;
}

/* Dataset creation properties with attribute creation order tracked. */
static hid_t dcpl_ordered(void)
{
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    if (dcpl == H5I_INVALID_HID)
        return H5I_INVALID_HID;
    if (H5Pset_attr_creation_order(dcpl, H5P_CRT_ORDER_TRACKED |
                                             H5P_CRT_ORDER_INDEXED) < 0) {
        H5Pclose(dcpl);
        return H5I_INVALID_HID;
    }
    return dcpl;
}

/* Whether the deflate filter is present and can encode. */
static int deflate_usable(void)
{
    unsigned cfg = 0;
    if (H5Zfilter_avail(H5Z_FILTER_DEFLATE) <= 0 ||
        H5Zget_filter_info(H5Z_FILTER_DEFLATE, &cfg) < 0)
        return 0;
    if (!(cfg & H5Z_FILTER_CONFIG_ENCODE_ENABLED))
        return 0;
    if (H5Zfilter_avail(H5Z_FILTER_SHUFFLE) <= 0)
        return 0;
    return 1;
}

/*
 * Writes (or replaces) attribute `name` on the open object obj: file type
 * ftype, dataspace space, from buf of memory type mtype (buf NULL: nothing
 * to write, for a null dataspace). < 0 on HDF5 failure (stack left for
 * h5_fail).
 */
static herr_t put_attr(hid_t obj, const char *name, hid_t ftype, hid_t mtype,
                       hid_t space, const void *buf)
{
    htri_t exists = H5Aexists(obj, name);
    if (exists < 0)
        return -1;
    if (exists > 0 && H5Adelete(obj, name) < 0)
        return -1;
    hid_t acpl = H5Pcreate(H5P_ATTRIBUTE_CREATE);
    if (acpl == H5I_INVALID_HID)
        return -1;
    herr_t rc = -1;
    hid_t attr = H5I_INVALID_HID;
    if (H5Pset_char_encoding(acpl, H5T_CSET_UTF8) < 0)
        goto cleanup;
    attr = H5Acreate2(obj, name, ftype, space, acpl, H5P_DEFAULT);
    if (attr == H5I_INVALID_HID)
        goto cleanup;
    if (buf != NULL && H5Awrite(attr, mtype, buf) < 0)
        goto cleanup;
    rc = 0;
cleanup:
    close_id(&attr, H5Aclose);
    close_id(&acpl, H5Pclose);
    return rc;
}

/* A fixed-length NUL-terminated string type of size strlen(s) + 1. */
static hid_t str_type(const char *s, H5T_cset_t cset)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    if (t == H5I_INVALID_HID)
        return H5I_INVALID_HID;
    if (H5Tset_size(t, strlen(s) + 1) < 0 ||
        H5Tset_strpad(t, H5T_STR_NULLTERM) < 0 || H5Tset_cset(t, cset) < 0) {
        H5Tclose(t);
        return H5I_INVALID_HID;
    }
    return t;
}

/* Scalar string attribute (UTF-8 unless ascii). < 0 on failure. */
static herr_t put_str(hid_t obj, const char *name, const char *value, int ascii)
{
    herr_t rc = -1;
    hid_t t = str_type(value, ascii ? H5T_CSET_ASCII : H5T_CSET_UTF8);
    hid_t s = H5Screate(H5S_SCALAR);
    if (t != H5I_INVALID_HID && s != H5I_INVALID_HID)
        rc = put_attr(obj, name, t, t, s, value);
    close_id(&s, H5Sclose);
    close_id(&t, H5Tclose);
    return rc;
}

/* Scalar numeric attribute of file type ftype from memory type mtype. */
static herr_t put_scalar(hid_t obj, const char *name, hid_t ftype, hid_t mtype,
                         const void *value)
{
    hid_t s = H5Screate(H5S_SCALAR);
    if (s == H5I_INVALID_HID)
        return -1;
    herr_t rc = put_attr(obj, name, ftype, mtype, s, value);
    H5Sclose(s);
    return rc;
}

/*
 * Makes dataset ds a dimension scale called name (H5DSset_scale): CLASS and
 * NAME attributes, ASCII fixed-length strings.
 */
static herr_t make_scale(hid_t ds, const char *name)
{
    if (put_str(ds, "CLASS", "DIMENSION_SCALE", 1) < 0)
        return -1;
    return put_str(ds, "NAME", name, 1);
}

/*
 * Attaches scales to the dimensions of ds (H5DSattach_scale, for all its
 * dimensions at once): DIMENSION_LIST = one reference per dimension.
 */
static herr_t put_dimension_list(hid_t ds, int rank, const hobj_ref_t *scales)
{
    herr_t rc = -1;
    hvl_t lists[2];
    hsize_t dim = (hsize_t)rank;
    hid_t t = H5I_INVALID_HID, s = H5I_INVALID_HID;
    if (rank < 1 || rank > 2)
        return -1;
    for (int i = 0; i < rank; i++) {
        lists[i].len = 1;
        lists[i].p = (void *)&scales[i];
    }
    t = H5Tvlen_create(H5T_STD_REF_OBJ);
    s = H5Screate_simple(1, &dim, NULL);
    if (t == H5I_INVALID_HID || s == H5I_INVALID_HID)
        goto cleanup;
    rc = put_attr(ds, "DIMENSION_LIST", t, t, s, lists);
cleanup:
    close_id(&s, H5Sclose);
    close_id(&t, H5Tclose);
    return rc;
}

/* REFERENCE_LIST on scale ds: the datasets attached to it. n >= 1. */
static herr_t put_reference_list(hid_t ds, size_t n, const dim_ref *refs)
{
    herr_t rc = -1;
    hsize_t dim = (hsize_t)n;
    hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(dim_ref));
    hid_t s = H5I_INVALID_HID;
    if (t == H5I_INVALID_HID)
        return -1;
    if (H5Tinsert(t, "dataset", HOFFSET(dim_ref, dataset), H5T_STD_REF_OBJ) <
            0 ||
        H5Tinsert(t, "dimension", HOFFSET(dim_ref, dimension), H5T_NATIVE_INT) <
            0)
        goto cleanup;
    s = H5Screate_simple(1, &dim, NULL);
    if (s == H5I_INVALID_HID)
        goto cleanup;
    rc = put_attr(ds, "REFERENCE_LIST", t, t, s, refs);
cleanup:
    close_id(&s, H5Sclose);
    close_id(&t, H5Tclose);
    return rc;
}

/*
 * Length unit of a projected CRS from its WKT: the factor of the last
 * UNIT[...] / LENGTHUNIT[...] (WKT1 and WKT2 both end with the CS unit).
 * Returns the factor to metres, or 0 if not found.
 */
static double wkt_last_unit_factor(const char *wkt)
{
    const char *last = NULL;
    for (const char *p = strstr(wkt, "UNIT["); p != NULL;
         p = strstr(p + 1, "UNIT["))
        last = p;
    if (last == NULL)
        return 0.0;
    const char *q = strchr(last, '"');
    if (q == NULL || (q = strchr(q + 1, '"')) == NULL || q[1] != ',')
        return 0.0;
    char *end = NULL;
    double f = strtod(q + 2, &end);
    return (end != q + 2 && isfinite(f) && f > 0) ? f : 0.0;
}

/* Whether the WKT (1 or 2) describes a geographic CRS. */
static int wkt_is_geographic(const char *wkt)
{
    while (*wkt == ' ' || *wkt == '\n' || *wkt == '\t' || *wkt == '\r')
        wkt++;
    return strncmp(wkt, "GEOGCS[", 7) == 0 ||
           strncmp(wkt, "GEOGCRS[", 8) == 0 ||
           strncmp(wkt, "GEOGRAPHICCRS[", 14) == 0;
}

/* ---- the core driver's buffer ---------------------------------------- */

/* malloc/realloc/free for the core driver, recording where its buffer is. */
static void *image_malloc(size_t size, H5FD_file_image_op_t op, void *udata)
{
    (void)op;
    core_image *c = udata;
    void *p = am_malloc(size);
    if (p != NULL) {
        c->mem = p;
        c->size = size;
    } else {
        c->failed = size;
    }
    return p;
}

static void *image_realloc(void *ptr, size_t size, H5FD_file_image_op_t op,
                           void *udata)
{
    (void)op;
    core_image *c = udata;
    void *p = am_realloc(ptr, size);
    if (p != NULL) {
        c->mem = p;
        c->size = size;
    } else {
        c->failed = size;
    }
    return p;
}

static herr_t image_free(void *ptr, H5FD_file_image_op_t op, void *udata)
{
    (void)op;
    core_image *c = udata;
    if (ptr == c->mem) {
        c->mem = NULL;
        c->size = 0;
    }
    am_free(ptr);
    return 0;
}

/* udata is the am_h5's own core_image: property list copies share it */
static void *image_udata_copy(void *udata)
{
    return udata;
}

static herr_t image_udata_free(void *udata)
{
    (void)udata;
    return 0;
}

/* ---- lifecycle -------------------------------------------------------- */

/* Closes every dataset, group, named type and attribute open in file. */
static void close_open_objects(hid_t file)
{
    const unsigned types = H5F_OBJ_DATASET | H5F_OBJ_GROUP | H5F_OBJ_DATATYPE |
                           H5F_OBJ_ATTR | H5F_OBJ_LOCAL;
    ssize_t n = H5Fget_obj_count(file, types);
    if (n <= 0)
        return;
    hid_t *ids = am_malloc((size_t)n * sizeof *ids);
    if (ids == NULL)
        return;
    n = H5Fget_obj_ids(file, types, (size_t)n, ids);
    for (ssize_t i = 0; i < n; i++) {
        switch (H5Iget_type(ids[i])) {
        case H5I_DATASET:
            H5Dclose(ids[i]);
            break;
        case H5I_GROUP:
            H5Gclose(ids[i]);
            break;
        case H5I_DATATYPE:
            H5Tclose(ids[i]);
            break;
        case H5I_ATTR:
            H5Aclose(ids[i]);
            break;
        default:
            break;
        }
    }
    am_free(ids);
}

/*
 * Closes the file on an error path, whatever state HDF5 is in, and removes
 * the temporary. Why the care: HDF5 1.10 flushes its metadata cache when
 * the file is closed; when that flush fails (a full disk), H5Fclose fails,
 * leaves a file id pointing at freed memory, and the process crashes in
 * HDF5's exit handler (HDFFV-11052). The temporary's content no longer
 * matters here, so the file's descriptor is first pointed at an anonymous
 * in-memory file (memfd): the final flush cannot fail for lack of space
 * (failing that, the temporary is truncated, which frees its space). Then
 * every object still open in the file is closed, then the file.
 */
static void release_file(am_h5 *h)
{
    if (h->file != H5I_INVALID_HID) {
        void *handle = NULL;
        hid_t fapl = H5Fget_access_plist(h->file);
        if (fapl != H5I_INVALID_HID && H5Pget_driver(fapl) == H5FD_SEC2 &&
            H5Fget_vfd_handle(h->file, fapl, &handle) >= 0 && handle != NULL) {
            int fd = *(int *)handle;
            int m = memfd_create("accessim-discarded-output", MFD_CLOEXEC);
            if (m < 0 || dup2(m, fd) < 0)
                (void)ftruncate(fd, 0);
            if (m >= 0)
                close(m);
        }
        if (fapl != H5I_INVALID_HID)
            H5Pclose(fapl);
        close_open_objects(h->file);
        H5Fclose(h->file);
        h->file = H5I_INVALID_HID;
    }
    /* in the folder the temporary was made in, while its lock is held */
    am_atomic_discard(&h->af);
    H5Eclear2(H5E_DEFAULT);
}

/* Closes the folder and, last, the temporary's lock. */
static void h5_free(am_h5 *h)
{
    if (h == NULL)
        return;
    am_atomic_close(&h->af);
    am_free(h->rasters);
    am_free(h);
}

/* Creates the temporary and the HDF5 file h->file over it. */
static am_status open_file(am_h5 *h, const char *final_path, am_error *err)
{
    am_status rc = AM_OK;
    hid_t fcpl = H5Pcreate(H5P_FILE_CREATE);
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    unsigned flags = H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED;
    if (fcpl == H5I_INVALID_HID || fapl == H5I_INVALID_HID ||
        H5Pset_link_creation_order(fcpl, flags) < 0 ||
        H5Pset_attr_creation_order(fcpl, flags) < 0 ||
        H5Pset_fclose_degree(fapl, H5F_CLOSE_SEMI) < 0) {
        rc = h5_fail(err, AM_ERR_INTERNAL, final_path,
                     "cannot set up file properties");
        goto cleanup;
    }
    /* the temporary is created now (am_atomic_open: output checked, stale
       temporaries removed, ours locked, the folder held), so that an
       unwritable folder fails here rather than after the results are
       computed */
    if ((rc = am_atomic_open(final_path, &h->af, err)) != AM_OK)
        goto cleanup;
    /* HDF5 builds the file in memory (core driver, no backing store),
       written to the temporary at commit with checked POSIX I/O: HDF5 1.10
       cannot recover from a failed flush (a full disk; see release_file) */
    h->in_memory = H5Pset_fapl_core(fapl, CORE_INCREMENT, 0) >= 0;
    if (h->in_memory) {
        /* without them, commit copies the image out (H5Fget_file_image) */
        H5FD_file_image_callbacks_t cb = {image_malloc,     NULL,
                                          image_realloc,    image_free,
                                          image_udata_copy, image_udata_free,
                                          &h->image};
        if (H5Pset_file_image_callbacks(fapl, &cb) < 0)
            H5Eclear2(H5E_DEFAULT);
    }
    errno = 0;
    if (h->in_memory) {
        h->file = H5Fcreate(h->af.tmp_path, H5F_ACC_TRUNC, fcpl, fapl);
    } else {
        /* HDF5 writes the temporary itself (sec2), the same file as
           h->af.fd, which commit syncs */
        H5Eclear2(H5E_DEFAULT);
        h->file = H5Fcreate(h->af.tmp_path, H5F_ACC_TRUNC, fcpl, fapl);
    }
    if (h->file == H5I_INVALID_HID && h->image.failed > 0) {
        H5Eclear2(H5E_DEFAULT);
        rc = am_error_set(err, AM_ERR_NOMEM, final_path,
                          "out of memory for the file's image in memory "
                          "(%zu bytes)",
                          h->image.failed);
        goto cleanup;
    }
    if (h->file == H5I_INVALID_HID) {
        int e = errno;
        H5Eclear2(H5E_DEFAULT);
        rc = am_error_set(err, AM_ERR_IO, final_path,
                          "cannot create output file (temporary '%s'): %s",
                          h->af.tmp_path,
                          e != 0 ? strerror(e) : "HDF5 create failed");
        goto cleanup;
    }
cleanup:
    close_id(&fapl, H5Pclose);
    close_id(&fcpl, H5Pclose);
    return rc;
}

am_status am_h5_create(const char *final_path, am_h5 **out, am_error *err)
{
    am_status rc = AM_OK;
    am_h5 *h = NULL;
    hid_t root = H5I_INVALID_HID;
    am_h5_quiet q;
    am_h5_quiet_begin(&q);
    if (out != NULL)
        *out = NULL;
    if (final_path == NULL || final_path[0] == '\0' || out == NULL) {
        rc = am_error_set(err, AM_ERR_INVALID, final_path,
                          "no output path given");
        goto cleanup;
    }
    h = am_calloc(1, sizeof *h);
    if (h == NULL) {
        rc = am_error_set(err, AM_ERR_NOMEM, final_path, "out of memory");
        goto cleanup;
    }
    h->file = H5I_INVALID_HID;
    h->af.fd = -1;
    h->af.dir_fd = -1;
    if ((rc = open_file(h, final_path, err)) != AM_OK)
        goto cleanup;
    root = H5Gopen2(h->file, "/", H5P_DEFAULT);
    if (root == H5I_INVALID_HID ||
        put_str(root, "Conventions", "CF-1.8", 0) < 0) {
        rc = h5_fail(err, AM_ERR_IO, final_path, "cannot write root group");
        goto cleanup;
    }
cleanup:
    close_id(&root, H5Gclose);
    if (rc != AM_OK && h != NULL) {
        release_file(h);
        h5_free(h);
        h = NULL;
    }
    if (rc == AM_OK && out != NULL)
        *out = h;
    H5Eclear2(H5E_DEFAULT);
    am_h5_quiet_end(&q);
    return rc;
}

/* Writes REFERENCE_LIST on /x and /y for all rasters; -2 when out of
 * memory. */
static herr_t write_grid_reflists(am_h5 *h)
{
    herr_t rc = -1;
    dim_ref *refs = NULL;
    hid_t ds = H5I_INVALID_HID;
    if (!h->has_grid || h->n_rasters == 0)
        return 0;
    refs = am_alloc_array(h->n_rasters, sizeof *refs);
    if (refs == NULL)
        return -2;
    for (int axis = 0; axis < 2; axis++) {
        /* y is dimension 0 of every raster, x dimension 1 */
        for (size_t i = 0; i < h->n_rasters; i++) {
            refs[i].dataset = h->rasters[i];
            refs[i].dimension = axis;
        }
        ds = H5Dopen2(h->file, axis == 0 ? "/y" : "/x", H5P_DEFAULT);
        if (ds == H5I_INVALID_HID ||
            put_reference_list(ds, h->n_rasters, refs) < 0)
            goto cleanup;
        close_id(&ds, H5Dclose);
    }
    rc = 0;
cleanup:
    close_id(&ds, H5Dclose);
    am_free(refs);
    return rc;
}

/*
 * Writes the finished file image to the temporary, every write checked (a
 * full disk fails here, HDF5 not involved): its first n_head bytes from
 * head, the rest from image. The progress hook is called every
 * WRITE_PROGRESS_BYTES and may cancel.
 */
#define WRITE_STEP_BYTES ((size_t)1 << 20)
#define WRITE_PROGRESS_BYTES ((size_t)64 << 20)
static am_status write_image(am_h5 *h, const void *head, size_t n_head,
                             const void *image, size_t size, am_error *err)
{
    size_t done = 0, next_report = WRITE_PROGRESS_BYTES;
    while (done < size) {
        const char *p = done < n_head ? head : image;
        size_t end = done < n_head ? n_head : size;
        size_t step =
            end - done < WRITE_STEP_BYTES ? end - done : WRITE_STEP_BYTES;
        /* the one checked write of every output (common/atomic_file.h) */
        am_status rc = am_atomic_write(&h->af, p + done, step, err);
        if (rc != AM_OK)
            return rc;
        done += step;
        if (done >= next_report && h->progress != NULL) {
            next_report += WRITE_PROGRESS_BYTES;
            if (!h->progress((double)done / (double)size, h->af.final_path,
                             h->progress_user))
                return am_error_set(err, AM_ERR_CANCELLED, h->af.final_path,
                                    "cancelled while writing");
        }
    }
    return AM_OK;
}

/*
 * Writes the flushed in-memory file to the temporary, while the file is
 * still open. The file is the first EOA bytes of the core driver's buffer:
 * H5Fget_file_image copies those bytes and clears the superblock's status
 * flags in its copy; the same is done here on a copy of the superblock's
 * first bytes only, so that a large file is never held twice (the output
 * was checked byte for byte against H5Fget_file_image's). When the buffer
 * is not known (the callbacks were refused), the image is copied out.
 */
#define SUPERBLOCK_HEAD 64
static am_status write_core_image(am_h5 *h, am_error *err)
{
    am_status rc = AM_OK;
    void *copy = NULL;
    ssize_t size = H5Fget_file_image(h->file, NULL, 0);
    H5F_info2_t info;
    if (size <= 0 || H5Fget_info2(h->file, &info) < 0)
        return h5_fail(err, AM_ERR_IO, h->af.final_path,
                       "cannot get the file image");
    if (h->image.mem != NULL && (size_t)size <= h->image.size) {
        unsigned char head[SUPERBLOCK_HEAD];
        size_t n_head = (size_t)size < sizeof head ? (size_t)size : sizeof head;
        memcpy(head, h->image.mem, n_head);
        /* the status flags: 4 bytes after 20 (superblock v0, v1) or one
           byte after 11 (v2, v3), as H5F_SUPER_STATUS_FLAGS_OFF/_SIZE */
        unsigned v = info.super.version;
        size_t off = v >= 2 ? 11 : 20, n_flags = v >= 2 ? 1 : 4;
        if (off + n_flags <= n_head)
            memset(head + off, 0, n_flags);
        return write_image(h, head, n_head, h->image.mem, (size_t)size, err);
    }
    copy = am_malloc((size_t)size);
    if (copy == NULL)
        return am_error_set(err, AM_ERR_NOMEM, h->af.final_path,
                            "out of memory for the file image (%lld bytes)",
                            (long long)size);
    if (H5Fget_file_image(h->file, copy, (size_t)size) < 0)
        rc = h5_fail(err, AM_ERR_IO, h->af.final_path,
                     "cannot get the file image");
    else
        rc = write_image(h, NULL, 0, copy, (size_t)size, err);
    am_free(copy);
    return rc;
}

am_status am_h5_commit(am_h5 *h, am_error *err)
{
    return am_h5_commit_with(h, NULL, 0, err);
}

am_status am_h5_commit_with(am_h5 *h, am_atomic_file *const *with,
                            size_t n_with, am_error *err)
{
    am_status rc = AM_OK;
    am_h5_quiet q;
    if (h == NULL || n_with > AM_H5_WITH_MAX) {
        for (size_t i = 0; i < n_with; i++)
            if (with[i] != NULL) {
                am_atomic_discard(with[i]);
                am_atomic_close(with[i]);
            }
        am_h5_abort(h);
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            h == NULL ? "no file to commit"
                                      : "too many side files to commit");
    }
    am_h5_quiet_begin(&q);
    herr_t st = write_grid_reflists(h);
    if (st == -2) {
        rc = am_error_set(err, AM_ERR_NOMEM, h->af.final_path,
                          "out of memory attaching the x/y dimension scales");
        goto cleanup;
    }
    if (st < 0) {
        rc = h5_fail(err, AM_ERR_IO, h->af.final_path,
                     "cannot attach the x/y dimension scales");
        goto cleanup;
    }
    errno = 0;
    if (H5Fflush(h->file, H5F_SCOPE_GLOBAL) < 0) {
        rc = h5_write_fail(err, h->af.final_path, "cannot flush file", errno);
        goto cleanup;
    }
    if (h->in_memory && (rc = write_core_image(h, err)) != AM_OK)
        goto cleanup;
    close_open_objects(h->file);
    errno = 0;
    herr_t closed = H5Fclose(h->file);
    const int close_errno = errno;
    h->file = H5I_INVALID_HID;
    if (closed < 0) {
        rc = h5_write_fail(err, h->af.final_path, "cannot close file",
                           close_errno);
        goto cleanup;
    }
    /* the last moment a cancellation can keep an older output */
    if (h->progress != NULL &&
        !h->progress(1.0, h->af.final_path, h->progress_user)) {
        rc = am_error_set(err, AM_ERR_CANCELLED, h->af.final_path,
                          "cancelled before the output was renamed into "
                          "place");
        goto cleanup;
    }
    /* this file and the side files synced, then renamed together, the
       folder, final names and protected files checked again before
       (common/atomic_file.h); all closed on every path */
    {
        am_atomic_file *all[1 + AM_H5_WITH_MAX];
        size_t n = 0;
        all[n++] = &h->af;
        for (size_t i = 0; i < n_with && i < AM_H5_WITH_MAX; i++)
            if (with[i] != NULL && with[i]->fd >= 0)
                all[n++] = with[i];
        rc = am_atomic_commit_all(all, n, err);
    }
cleanup:
    if (rc != AM_OK)
        release_file(h);
    for (size_t i = 0; i < n_with; i++)
        if (with[i] != NULL) {
            if (rc != AM_OK)
                am_atomic_discard(with[i]);
            am_atomic_close(with[i]);
        }
    H5Eclear2(H5E_DEFAULT);
    am_h5_quiet_end(&q);
    h5_free(h);
    return rc;
}

void am_h5_abort(am_h5 *h)
{
    am_h5_quiet q;
    if (h == NULL)
        return;
    am_h5_quiet_begin(&q);
    release_file(h);
    am_h5_quiet_end(&q);
    h5_free(h);
}

void am_h5_set_protected(am_h5 *h, const am_file_guard *protect)
{
    if (h != NULL)
        h->af.protect = protect;
}

void am_h5_set_threads(am_h5 *h, int threads)
{
    if (h != NULL)
        h->threads = threads > 0 ? threads : 0;
}

void am_h5_set_progress(am_h5 *h, am_progress_fn progress, void *user)
{
    if (h == NULL)
        return;
    h->progress = progress;
    h->progress_user = user;
}

/* ---- grid ------------------------------------------------------------- */

/* Writes a 1-D float64 coordinate dataset made a dimension scale. */
static herr_t write_axis(am_h5 *h, const char *name, int32_t n, const double *v,
                         int geographic, double unit_m)
{
    herr_t rc = -1;
    hsize_t dim = (hsize_t)n;
    hid_t s = H5Screate_simple(1, &dim, NULL);
    hid_t dcpl = dcpl_ordered();
    hid_t ds = H5I_INVALID_HID;
    int is_x = (name[0] == 'x');
    if (s == H5I_INVALID_HID || dcpl == H5I_INVALID_HID)
        goto cleanup;
    ds = H5Dcreate2(h->file, name, H5T_IEEE_F64LE, s, H5P_DEFAULT, dcpl,
                    H5P_DEFAULT);
    if (ds == H5I_INVALID_HID ||
        H5Dwrite(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) < 0)
        goto cleanup;
    if (make_scale(ds, name) < 0)
        goto cleanup;
    if (geographic) {
        if (put_str(ds, "standard_name", is_x ? "longitude" : "latitude", 0) <
                0 ||
            put_str(ds, "long_name",
                    is_x ? "longitude of cell centre"
                         : "latitude of cell centre",
                    0) < 0 ||
            put_str(ds, "units", is_x ? "degrees_east" : "degrees_north", 0) <
                0)
            goto cleanup;
    } else {
        if (put_str(ds, "standard_name",
                    is_x ? "projection_x_coordinate"
                         : "projection_y_coordinate",
                    0) < 0 ||
            put_str(ds, "long_name",
                    is_x ? "x coordinate of cell centre"
                         : "y coordinate of cell centre",
                    0) < 0)
            goto cleanup;
        /* CF units only when known; GDAL rescales "km", so never guess */
        if (unit_m == 1.0 && put_str(ds, "units", "m", 0) < 0)
            goto cleanup;
    }
    if (put_str(ds, "axis", is_x ? "X" : "Y", 0) < 0)
        goto cleanup;
    rc = 0;
cleanup:
    close_id(&ds, H5Dclose);
    close_id(&dcpl, H5Pclose);
    close_id(&s, H5Sclose);
    return rc;
}

am_status am_h5_set_grid(am_h5 *h, const am_grid *grid, const char *crs_wkt,
                         am_error *err)
{
    am_status rc = AM_OK;
    double *xs = NULL, *ys = NULL;
    hid_t s = H5I_INVALID_HID, ds = H5I_INVALID_HID;
    am_h5_quiet q;
    if (h == NULL || grid == NULL)
        return am_error_set(err, AM_ERR_INVALID, NULL, "no file or grid");
    am_h5_quiet_begin(&q);
    const double *gt = grid->gt;
    if (h->has_grid) {
        rc = am_error_set(err, AM_ERR_INTERNAL, h->af.final_path,
                          "the grid is already written");
        goto cleanup;
    }
    if (crs_wkt == NULL || crs_wkt[0] == '\0') {
        rc = am_error_set(err, AM_ERR_CRS, h->af.final_path,
                          "the grid has no coordinate reference system");
        goto cleanup;
    }
    int finite = 1;
    for (int i = 0; i < 6; i++)
        finite = finite && isfinite(gt[i]);
    if (grid->nx < 1 || grid->ny < 1 || !finite || !(gt[1] > 0) || gt[5] == 0 ||
        gt[2] != 0 || gt[4] != 0) {
        rc = am_error_set(err, AM_ERR_INVALID, h->af.final_path,
                          "unsupported grid %dx%d, geotransform "
                          "[%g %g %g %g %g %g]: need a non-empty grid, "
                          "no rotation, positive cell width",
                          (int)grid->nx, (int)grid->ny, gt[0], gt[1], gt[2],
                          gt[3], gt[4], gt[5]);
        goto cleanup;
    }
    xs = am_malloc((size_t)grid->nx * sizeof *xs);
    ys = am_malloc((size_t)grid->ny * sizeof *ys);
    if (xs == NULL || ys == NULL) {
        rc = am_error_set(err, AM_ERR_NOMEM, h->af.final_path, "out of memory");
        goto cleanup;
    }
    /* cell centres, same formula as am_grid_cell_center for north-up */
    for (int32_t i = 0; i < grid->nx; i++)
        xs[i] = gt[0] + ((double)i + 0.5) * gt[1];
    for (int32_t j = 0; j < grid->ny; j++)
        ys[j] = gt[3] + ((double)j + 0.5) * gt[5];

    int geographic = wkt_is_geographic(crs_wkt);
    double unit_m = geographic ? 0.0 : wkt_last_unit_factor(crs_wkt);
    if (write_axis(h, "x", grid->nx, xs, geographic, unit_m) < 0 ||
        write_axis(h, "y", grid->ny, ys, geographic, unit_m) < 0) {
        rc = h5_fail(err, AM_ERR_IO, h->af.final_path,
                     "cannot write the x/y coordinates");
        goto cleanup;
    }

    /* the CF grid mapping variable: a scalar whose value is unused */
    char gt_text[6 * 26];
    snprintf(gt_text, sizeof gt_text, "%.17g %.17g %.17g %.17g %.17g %.17g",
             gt[0], gt[1], gt[2], gt[3], gt[4], gt[5]);
    int32_t zero = 0;
    s = H5Screate(H5S_SCALAR);
    if (s == H5I_INVALID_HID)
        goto hdf5_error;
    ds = H5Dcreate2(h->file, "crs", H5T_STD_I32LE, s, H5P_DEFAULT, H5P_DEFAULT,
                    H5P_DEFAULT);
    if (ds == H5I_INVALID_HID || H5Dwrite(ds, H5T_NATIVE_INT32, H5S_ALL,
                                          H5S_ALL, H5P_DEFAULT, &zero) < 0)
        goto hdf5_error;
    if (geographic &&
        put_str(ds, "grid_mapping_name", "latitude_longitude", 0) < 0)
        goto hdf5_error;
    if (put_str(ds, "crs_wkt", crs_wkt, 0) < 0 ||
        put_str(ds, "spatial_ref", crs_wkt, 0) < 0 ||
        put_str(ds, "GeoTransform", gt_text, 0) < 0)
        goto hdf5_error;
    h->has_grid = 1;
    h->nx = grid->nx;
    h->ny = grid->ny;
    goto cleanup;
hdf5_error:
    rc = h5_fail(err, AM_ERR_IO, h->af.final_path,
                 "cannot write the grid mapping variable 'crs'");
cleanup:
    close_id(&ds, H5Dclose);
    close_id(&s, H5Sclose);
    am_free(xs);
    am_free(ys);
    am_h5_quiet_end(&q);
    return rc;
}

/* ---- groups and attributes ------------------------------------------- */

am_status am_h5_make_group(am_h5 *h, const char *path, am_error *err)
{
    am_status rc = AM_OK;
    hid_t lcpl = H5I_INVALID_HID, gcpl = H5I_INVALID_HID;
    hid_t g = H5I_INVALID_HID;
    am_h5_quiet q;
    if (h == NULL)
        return am_error_set(err, AM_ERR_INVALID, NULL, "no file");
    am_h5_quiet_begin(&q);
    if (!valid_path(path)) {
        rc = am_error_set(err, AM_ERR_INVALID, h->af.final_path,
                          "bad group path '%s'", path ? path : "(null)");
        goto cleanup;
    }
    lcpl = lcpl_parents();
    gcpl = gcpl_ordered();
    if (lcpl == H5I_INVALID_HID || gcpl == H5I_INVALID_HID) {
        rc = h5_fail(err, AM_ERR_INTERNAL, h->af.final_path,
                     "cannot set up group properties");
        goto cleanup;
    }
    g = H5Gcreate2(h->file, path, lcpl, gcpl, H5P_DEFAULT);
    if (g == H5I_INVALID_HID) {
        char what[512];
        snprintf(what, sizeof what, "cannot create group '%s'", path);
        rc = h5_fail(err, AM_ERR_IO, h->af.final_path, what);
    }
cleanup:
    close_id(&g, H5Gclose);
    close_id(&gcpl, H5Pclose);
    close_id(&lcpl, H5Pclose);
    am_h5_quiet_end(&q);
    return rc;
}

/* Kinds of attribute value for set_attr. */
typedef enum attr_kind {
    ATTR_STR,
    ATTR_F64,
    ATTR_I64,
    ATTR_F64_ARRAY
} attr_kind;

static am_status set_attr(am_h5 *h, const char *obj_path, const char *name,
                          attr_kind kind, const void *value, int32_t n,
                          am_error *err)
{
    am_status rc = AM_OK;
    hid_t obj = H5I_INVALID_HID, s = H5I_INVALID_HID;
    herr_t hrc = -1;
    am_h5_quiet q;
    if (h == NULL)
        return am_error_set(err, AM_ERR_INVALID, NULL, "no file");
    am_h5_quiet_begin(&q);
    if (obj_path == NULL || obj_path[0] != '/' || name == NULL ||
        name[0] == '\0' || value == NULL || n < 0) {
        rc = am_error_set(err, AM_ERR_INVALID, h->af.final_path,
                          "bad attribute '%s' on '%s'", name ? name : "(null)",
                          obj_path ? obj_path : "(null)");
        goto cleanup;
    }
    obj = H5Oopen(h->file, obj_path, H5P_DEFAULT);
    if (obj == H5I_INVALID_HID) {
        char what[512];
        snprintf(what, sizeof what, "no object '%s' for attribute '%s'",
                 obj_path, name);
        rc = h5_fail(err, AM_ERR_IO, h->af.final_path, what);
        goto cleanup;
    }
    switch (kind) {
    case ATTR_STR:
        hrc = put_str(obj, name, value, 0);
        break;
    case ATTR_F64:
        hrc = put_scalar(obj, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, value);
        break;
    case ATTR_I64:
        hrc = put_scalar(obj, name, H5T_STD_I64LE, H5T_NATIVE_INT64, value);
        break;
    case ATTR_F64_ARRAY: {
        /* an empty array is an HDF5 null dataspace (netCDF: length 0) */
        hsize_t dim = (hsize_t)n;
        s = (n == 0) ? H5Screate(H5S_NULL) : H5Screate_simple(1, &dim, NULL);
        if (s != H5I_INVALID_HID)
            hrc = put_attr(obj, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, s,
                           n == 0 ? NULL : value);
        break;
    }
    }
    if (hrc < 0) {
        char what[512];
        snprintf(what, sizeof what, "cannot write attribute '%s' on '%s'", name,
                 obj_path);
        rc = h5_fail(err, AM_ERR_IO, h->af.final_path, what);
    }
cleanup:
    close_id(&s, H5Sclose);
    close_id(&obj, H5Oclose);
    am_h5_quiet_end(&q);
    return rc;
}

am_status am_h5_attr_string(am_h5 *h, const char *obj_path, const char *name,
                            const char *value, am_error *err)
{
    return set_attr(h, obj_path, name, ATTR_STR, value, 1, err);
}

am_status am_h5_attr_double(am_h5 *h, const char *obj_path, const char *name,
                            double value, am_error *err)
{
    return set_attr(h, obj_path, name, ATTR_F64, &value, 1, err);
}

am_status am_h5_attr_int64(am_h5 *h, const char *obj_path, const char *name,
                           int64_t value, am_error *err)
{
    return set_attr(h, obj_path, name, ATTR_I64, &value, 1, err);
}

am_status am_h5_attr_double_array(am_h5 *h, const char *obj_path,
                                  const char *name, int32_t n,
                                  const double *values, am_error *err)
{
    static const double none = 0.0;
    return set_attr(h, obj_path, name, ATTR_F64_ARRAY,
                    (n == 0 && values == NULL) ? &none : values, n, err);
}

/* ---- rasters ---------------------------------------------------------- */

/* Where a raster's rows come from: the caller's function, or a full grid. */
typedef struct row_source {
    am_h5_rows_fn fn;
    void *user;
    const void *full; /* [ny][nx] values, or NULL: fn supplies strips */
} row_source;

/* HDF5 file and memory types and the size of one value of type t. */
static int raster_type(am_h5_type t, hid_t *ftype, hid_t *mtype, size_t *size)
{
    switch (t) {
    case AM_H5_F32:
        *ftype = H5T_IEEE_F32LE;
        *mtype = H5T_NATIVE_FLOAT;
        *size = sizeof(float);
        return 1;
    case AM_H5_I32:
        *ftype = H5T_STD_I32LE;
        *mtype = H5T_NATIVE_INT32;
        *size = sizeof(int32_t);
        return 1;
    }
    return 0;
}

/* The fill value as one value of type t in out; 0 if t cannot hold it. */
static int raster_fill(am_h5_type t, double fill, unsigned char out[8])
{
    if (t == AM_H5_F32) {
        float f = (float)fill;
        if (!isnan(fill) && (double)f != fill)
            return 0;
        memcpy(out, &f, sizeof f);
        return 1;
    }
    if (!(fill >= INT32_MIN && fill <= INT32_MAX) || fill != floor(fill))
        return 0;
    int32_t i = (int32_t)fill;
    memcpy(out, &i, sizeof i);
    return 1;
}

/* Whether the n values of size `size` at p all equal the fill value. */
static int all_fill(const unsigned char *p, size_t n, size_t size,
                    const unsigned char *fill)
{
    /* values are 4 bytes (f32, i32): compare as one 32-bit pattern, bitwise
       (a NaN fill matches itself, -0.0 does not match 0.0) */
    uint32_t f;
    memcpy(&f, fill, sizeof f);
    if (size != sizeof f)
        return 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t v;
        memcpy(&v, p + i * sizeof v, sizeof v);
        if (v != f)
            return 0;
    }
    return 1;
}

/* Whether rows [0, n_rows) x columns [c0, c1) of a strip are all fill. */
static int block_is_fill(const unsigned char *rows, size_t row_bytes,
                         hsize_t n_rows, hsize_t c0, hsize_t c1, size_t size,
                         const unsigned char *fill)
{
    for (hsize_t r = 0; r < n_rows; r++)
        if (!all_fill(rows + r * row_bytes + c0 * size, (size_t)(c1 - c0), size,
                      fill))
            return 0;
    return 1;
}

/*
 * The chunks of one group of strips (whole rows of chunks), shuffled and
 * deflated as HDF5's own filters would, one task per chunk
 * (kernels/tasks.h): pure computation, no HDF5 call; the caller then
 * stores them in order with H5Dwrite_chunk. A chunk that holds only the
 * fill value gets size 0 and is not stored: HDF5 returns the dataset's
 * fill value for a chunk never written, so the data read back is the
 * same, and a national raster that is mostly empty costs neither deflate
 * time nor file space there.
 *
 * Byte for byte what HDF5 1.10's pipeline makes of a chunk (checked
 * against it by tests/outputs): the chunk buffer is chunk_rows x
 * chunk_cols values, the part outside the dataset (edge chunks) holding
 * the fill value, as HDF5 initialises a new chunk; H5Z_FILTER_SHUFFLE
 * puts byte k of every value into plane k (planes one after another);
 * H5Z_FILTER_DEFLATE is zlib's compress2 at the dataset's level, i.e. one
 * deflate(Z_FINISH) on a stream made by deflateInit(level); a stream
 * reset by deflateReset makes the same bytes as a new one, so each thread
 * keeps one.
 */
typedef struct chunk_group {
    const unsigned char *rows; /* the group's rows, row_bytes apart */
    size_t row_bytes;
    hsize_t n_rows;     /* rows in the group */
    hsize_t chunk_rows; /* chunk shape */
    hsize_t chunk_cols;
    hsize_t nx;
    size_t size; /* bytes per value */
    size_t chunk_bytes;
    const unsigned char *fill;
    int filtered;           /* shuffle + deflate (else stored as is) */
    int64_t n_cols;         /* chunks per strip */
    unsigned char *scratch; /* [threads][2 chunk_bytes] */
    z_stream *zs;           /* [threads], made by deflateInit */
    unsigned char *out;     /* [chunks][out_cap] */
    size_t out_cap;
    size_t *out_size; /* [chunks]: bytes to store, 0: only fill */
    int *failed;      /* [chunks]: zlib refused */
} chunk_group;

/* HDF5's shuffle filter: byte k of value i to k * n + i. */
static void shuffle_bytes(const unsigned char *in, unsigned char *out,
                          size_t n_values, size_t size)
{
    for (size_t k = 0; k < size; k++) {
        unsigned char *o = out + k * n_values;
        const unsigned char *p = in + k;
        for (size_t i = 0; i < n_values; i++)
            o[i] = p[i * size];
    }
}

static void chunk_task(int64_t task, int thread, void *user)
{
    chunk_group *g = user;
    const hsize_t strip = (hsize_t)(task / g->n_cols);
    const hsize_t c0 = (hsize_t)(task % g->n_cols) * g->chunk_cols;
    const hsize_t r0 = strip * g->chunk_rows;
    const hsize_t h =
        g->n_rows - r0 < g->chunk_rows ? g->n_rows - r0 : g->chunk_rows;
    const hsize_t w = g->nx - c0 < g->chunk_cols ? g->nx - c0 : g->chunk_cols;
    const unsigned char *rows = g->rows + (size_t)r0 * g->row_bytes;
    unsigned char *out = g->out + (size_t)task * g->out_cap;
    g->out_size[task] = 0;
    g->failed[task] = 0;
    if (block_is_fill(rows, g->row_bytes, h, c0, c0 + w, g->size, g->fill))
        return;
    unsigned char *chunk =
        g->filtered ? g->scratch + (size_t)thread * 2 * g->chunk_bytes : out;
    const size_t line = (size_t)g->chunk_cols * g->size;
    for (hsize_t r = 0; r < g->chunk_rows; r++) {
        unsigned char *dst = chunk + (size_t)r * line;
        hsize_t from = 0;
        if (r < h) {
            memcpy(dst, rows + (size_t)r * g->row_bytes + (size_t)c0 * g->size,
                   (size_t)w * g->size);
            from = w;
        }
        for (hsize_t c = from; c < g->chunk_cols; c++)
            memcpy(dst + (size_t)c * g->size, g->fill, g->size);
    }
    if (!g->filtered) {
        g->out_size[task] = g->chunk_bytes;
        return;
    }
    unsigned char *shuffled = chunk + g->chunk_bytes;
    shuffle_bytes(chunk, shuffled, g->chunk_bytes / g->size, g->size);
    z_stream *z = &g->zs[thread];
    if (deflateReset(z) != Z_OK) {
        g->failed[task] = 1;
        return;
    }
    z->next_in = shuffled;
    z->avail_in = (uInt)g->chunk_bytes;
    z->next_out = out;
    z->avail_out = (uInt)g->out_cap;
    if (deflate(z, Z_FINISH) != Z_STREAM_END) {
        g->failed[task] = 1;
        return;
    }
    g->out_size[task] = (size_t)z->total_out;
}

/*
 * Stores the chunks of a compressed group, row of chunks `strip` of the
 * group, whose first row is row0 of the dataset. < 0 on HDF5 failure.
 */
static herr_t store_strip(hid_t ds, const chunk_group *g, hsize_t strip,
                          hsize_t row0)
{
    for (int64_t c = 0; c < g->n_cols; c++) {
        const int64_t i = (int64_t)strip * g->n_cols + c;
        if (g->out_size[i] == 0)
            continue;
        hsize_t offset[2] = {row0, (hsize_t)c * g->chunk_cols};
        if (H5Dwrite_chunk(ds, H5P_DEFAULT, 0, offset, g->out_size[i],
                           g->out + (size_t)i * g->out_cap) < 0)
            return -1;
    }
    return 0;
}

/* Room for one more raster reference in h->rasters. */
static am_status reserve_raster(am_h5 *h, am_error *err)
{
    if (h->n_rasters < h->cap_rasters)
        return AM_OK;
    size_t cap = h->cap_rasters ? 2 * h->cap_rasters : 8;
    hobj_ref_t *r = am_realloc(h->rasters, cap * sizeof *r);
    if (r == NULL)
        return am_error_set(err, AM_ERR_NOMEM, h->af.final_path,
                            "out of memory");
    h->rasters = r;
    h->cap_rasters = cap;
    return AM_OK;
}

/* The CF attributes of a raster and its x/y dimension scales. */
static herr_t finish_raster(am_h5 *h, hid_t ds, const char *path, hid_t ftype,
                            hid_t mtype, const void *fill,
                            const am_h5_raster_info *info)
{
    /* CF attributes; _FillValue has the variable's own type (netCDF rule) */
    if (put_scalar(ds, "_FillValue", ftype, mtype, fill) < 0)
        return -1;
    if (info != NULL && info->long_name != NULL &&
        put_str(ds, "long_name", info->long_name, 0) < 0)
        return -1;
    if (info != NULL && info->units != NULL &&
        put_str(ds, "units", info->units, 0) < 0)
        return -1;
    /* CF 1.8 resolves a bare name in the variable's own group; GDAL 3.6
       finds /crs from a subgroup only by absolute path */
    if (put_str(ds, "grid_mapping", strchr(path + 1, '/') ? "/crs" : "crs", 0) <
        0)
        return -1;
    /* attach the y (dim 0) and x (dim 1) scales */
    hobj_ref_t scales[2];
    if (H5Rcreate(&scales[0], h->file, "/y", H5R_OBJECT, -1) < 0 ||
        H5Rcreate(&scales[1], h->file, "/x", H5R_OBJECT, -1) < 0 ||
        put_dimension_list(ds, 2, scales) < 0 ||
        H5Rcreate(&h->rasters[h->n_rasters], h->file, path, H5R_OBJECT, -1) < 0)
        return -1;
    h->n_rasters++;
    return 0;
}

/* The HDF5 failure of raster path, as an AM_ERR_IO. */
static am_status raster_fail(const am_h5 *h, const char *path, am_error *err)
{
    char what[512];
    snprintf(what, sizeof what, "cannot write raster '%s'", path);
    return h5_fail(err, AM_ERR_IO, h->af.final_path, what);
}

/* Sets n values of `size` bytes at p to the value at v (doubling copies). */
static void fill_values(unsigned char *p, size_t n, size_t size,
                        const unsigned char *v)
{
    if (n == 0)
        return;
    memcpy(p, v, size);
    size_t done = 1;
    while (done < n) {
        size_t k = done < n - done ? done : n - done;
        memcpy(p + done * size, p, k * size);
        done += k;
    }
}

/* The buffers of a raster's chunk groups; see write_rows. */
typedef struct group_buffers {
    unsigned char *strips; /* the group's rows (NULL for a full grid) */
    int n_zs;              /* streams made by deflateInit */
    chunk_group g;
} group_buffers;

static void group_free(group_buffers *b)
{
    for (int t = 0; t < b->n_zs; t++)
        deflateEnd(&b->g.zs[t]);
    am_free(b->g.zs);
    am_free(b->g.scratch);
    am_free(b->g.out);
    am_free(b->g.out_size);
    am_free(b->g.failed);
    am_free(b->strips);
}

/* Allocates b for n_chunks chunks (group_bytes of rows unless full) on nt
 * threads; 0 when out of memory. */
static int group_alloc(group_buffers *b, int full, size_t group_bytes,
                       int64_t n_chunks, int nt)
{
    chunk_group *g = &b->g;
    g->out_cap = (size_t)compressBound((uLong)g->chunk_bytes);
    if (g->out_cap < g->chunk_bytes)
        g->out_cap = g->chunk_bytes;
    if (!full && (b->strips = am_malloc(group_bytes)) == NULL)
        return 0;
    g->scratch = am_alloc_array((size_t)nt, 2 * g->chunk_bytes);
    g->zs = am_calloc_array((size_t)nt, sizeof *g->zs);
    g->out = am_alloc_array((size_t)n_chunks, g->out_cap);
    g->out_size = am_alloc_array((size_t)n_chunks, sizeof *g->out_size);
    g->failed = am_alloc_array((size_t)n_chunks, sizeof *g->failed);
    if (g->scratch == NULL || g->zs == NULL || g->out == NULL ||
        g->out_size == NULL || g->failed == NULL)
        return 0;
    for (int t = 0; g->filtered && t < nt; t++) {
        if (deflateInit(&g->zs[t], DEFLATE_LEVEL) != Z_OK)
            return 0;
        b->n_zs++;
    }
    return 1;
}

/*
 * Asks src for strips rows [row0, row0 + n) into b->strips (filled with
 * the fill value first), strip by strip. AM_OK, or the row source's
 * error (see am_h5_write_raster_rows).
 */
static am_status group_rows(am_h5 *h, const char *path, const row_source *src,
                            group_buffers *b, hsize_t row0, hsize_t n,
                            am_error *err)
{
    const chunk_group *g = &b->g;
    fill_values(b->strips, (size_t)n * (size_t)g->nx, g->size, g->fill);
    for (hsize_t r = 0; r < n; r += g->chunk_rows) {
        hsize_t k = n - r < g->chunk_rows ? n - r : g->chunk_rows;
        if (!src->fn((int32_t)(row0 + r), (int32_t)k,
                     b->strips + (size_t)r * g->row_bytes, src->user)) {
            if (err != NULL && err->code != AM_OK)
                return err->code;
            return am_error_set(err, AM_ERR_CANCELLED, h->af.final_path,
                                "raster '%s': rows %lld to %lld were "
                                "not supplied (the row source stopped)",
                                path, (long long)(row0 + r),
                                (long long)(row0 + r + k - 1));
        }
    }
    return AM_OK;
}

/*
 * The rows of raster ds (dims[0] rows of dims[1] values of `size` bytes,
 * chunks of chunk[0] x chunk[1]) by groups of strips of chunk rows: the
 * group's rows are gathered (from the full grid, or asked from the row
 * source strip by strip), its chunks compressed in parallel (chunk_task,
 * on h->threads threads), then stored in order, strip by strip, each
 * followed by the progress hook. A group holds at least GROUP_MIN_CHUNKS
 * chunks (one strip of a national grid; several of a narrow one), so that
 * the threads meet once per group, not once per strip: on a busy machine
 * a thread descheduled while the others wait at the end of each region
 * cost more than the compression saved. filtered: the dataset has the
 * shuffle and deflate filters.
 */
#define GROUP_MIN_CHUNKS 256
#define GROUP_MAX_BYTES ((size_t)32 << 20)
static am_status write_rows(am_h5 *h, hid_t ds, const char *path,
                            const row_source *src, const hsize_t dims[2],
                            const hsize_t chunk[2], size_t size,
                            const unsigned char *fillv, int filtered,
                            am_error *err)
{
    am_status rc = AM_OK;
    group_buffers b;
    memset(&b, 0, sizeof b);
    chunk_group *g = &b.g;
    g->row_bytes = (size_t)h->nx * size;
    g->chunk_rows = chunk[0];
    g->chunk_cols = chunk[1];
    g->nx = dims[1];
    g->size = size;
    g->chunk_bytes = (size_t)chunk[0] * (size_t)chunk[1] * size;
    g->fill = fillv;
    g->filtered = filtered;
    g->n_cols = (int64_t)((dims[1] + chunk[1] - 1) / chunk[1]);
    const hsize_t n_strips = (dims[0] + chunk[0] - 1) / chunk[0];
    const size_t strip_bytes = (size_t)chunk[0] * g->row_bytes;
    /* strips per group: enough chunks that one parallel region per group
       costs nothing next to its work, within GROUP_MAX_BYTES of rows */
    hsize_t per = (hsize_t)((GROUP_MIN_CHUNKS + g->n_cols - 1) / g->n_cols);
    if (per > GROUP_MAX_BYTES / strip_bytes)
        per = GROUP_MAX_BYTES / strip_bytes;
    per = per < 1 ? 1 : per > n_strips ? n_strips : per;
    const int64_t group_chunks = (int64_t)per * g->n_cols;
    const int nt = am_tasks_threads(group_chunks, h->threads);
    const size_t group_bytes = (size_t)per * strip_bytes;
    if (!group_alloc(&b, src->full != NULL, group_bytes, group_chunks, nt)) {
        rc = am_error_set(err, AM_ERR_NOMEM, h->af.final_path,
                          "out of memory for the rows of '%s' (%zu bytes)",
                          path, group_bytes);
        goto cleanup;
    }
    if (src->full == NULL)
        am_error_clear(err); /* tells an error fn recorded from none */
    const hsize_t group_rows_n = per * chunk[0];
    for (hsize_t row0 = 0; row0 < dims[0]; row0 += group_rows_n) {
        hsize_t n =
            dims[0] - row0 < group_rows_n ? dims[0] - row0 : group_rows_n;
        if (src->full != NULL) {
            g->rows = (const unsigned char *)src->full + row0 * g->row_bytes;
        } else {
            if ((rc = group_rows(h, path, src, &b, row0, n, err)) != AM_OK)
                goto cleanup;
            g->rows = b.strips;
        }
        g->n_rows = n;
        const hsize_t strips = (n + chunk[0] - 1) / chunk[0];
        const int64_t n_tasks = (int64_t)strips * g->n_cols;
        am_tasks_run(n_tasks, h->threads, chunk_task, g);
        for (int64_t i = 0; i < n_tasks; i++)
            if (g->failed[i]) {
                rc = am_error_set(err, AM_ERR_INTERNAL, h->af.final_path,
                                  "raster '%s': zlib could not compress a "
                                  "chunk",
                                  path);
                goto cleanup;
            }
        for (hsize_t k = 0; k < strips; k++) {
            const hsize_t r = row0 + k * chunk[0];
            const hsize_t end = r + chunk[0] < dims[0] ? r + chunk[0] : dims[0];
            if (store_strip(ds, g, k, r) < 0) {
                rc = raster_fail(h, path, err);
                goto cleanup;
            }
            if (h->progress != NULL &&
                !h->progress((double)end / (double)dims[0], path,
                             h->progress_user)) {
                rc = am_error_set(err, AM_ERR_CANCELLED, h->af.final_path,
                                  "cancelled while writing '%s'", path);
                goto cleanup;
            }
        }
    }
cleanup:
    group_free(&b);
    return rc;
}

/*
 * Every raster is written here, by strips of chunk rows, from a full grid
 * or from the caller's strips (one strip buffer, filled with the fill
 * value before each call).
 */
static am_status write_raster(am_h5 *h, const char *path, am_h5_type type,
                              double fill, const row_source *src,
                              const am_h5_raster_info *info, am_error *err)
{
    am_status rc = AM_OK;
    hid_t s = H5I_INVALID_HID, dcpl = H5I_INVALID_HID;
    hid_t lcpl = H5I_INVALID_HID, ds = H5I_INVALID_HID;
    hid_t ftype = H5I_INVALID_HID, mtype = H5I_INVALID_HID;
    size_t size = 0;
    unsigned char fillv[8];
    am_h5_quiet q;
    if (h == NULL)
        return am_error_set(err, AM_ERR_INVALID, NULL, "no file");
    am_h5_quiet_begin(&q);
    if (!h->has_grid) {
        rc = am_error_set(err, AM_ERR_INTERNAL, h->af.final_path,
                          "raster '%s' written before the grid",
                          path ? path : "(null)");
        goto cleanup;
    }
    if (!valid_path(path) || (src->full == NULL && src->fn == NULL)) {
        rc = am_error_set(err, AM_ERR_INVALID, h->af.final_path,
                          "bad raster path '%s' or no data",
                          path ? path : "(null)");
        goto cleanup;
    }
    if (!raster_type(type, &ftype, &mtype, &size) ||
        !raster_fill(type, fill, fillv)) {
        rc = am_error_set(err, AM_ERR_INVALID, h->af.final_path,
                          "raster '%s': unknown type %d or a fill value "
                          "(%.17g) the type cannot hold",
                          path, (int)type, fill);
        goto cleanup;
    }
    if ((rc = reserve_raster(h, err)) != AM_OK)
        goto cleanup;
    hsize_t dims[2] = {(hsize_t)h->ny, (hsize_t)h->nx};
    hsize_t chunk[2] = {
        dims[0] < RASTER_CHUNK_ROWS ? dims[0] : RASTER_CHUNK_ROWS,
        dims[1] < RASTER_CHUNK_COLS ? dims[1] : RASTER_CHUNK_COLS};
    s = H5Screate_simple(2, dims, NULL);
    dcpl = dcpl_ordered();
    lcpl = lcpl_parents();
    if (s == H5I_INVALID_HID || dcpl == H5I_INVALID_HID ||
        lcpl == H5I_INVALID_HID || H5Pset_chunk(dcpl, 2, chunk) < 0 ||
        H5Pset_fill_value(dcpl, mtype, fillv) < 0)
        goto hdf5_error;
    /* the filters are named in the dataset (readers apply them); the
       writer applies them itself (write_rows), in the same order */
    const int filtered = deflate_usable();
    if (filtered &&
        (H5Pset_shuffle(dcpl) < 0 || H5Pset_deflate(dcpl, DEFLATE_LEVEL) < 0))
        goto hdf5_error;
    ds = H5Dcreate2(h->file, path, ftype, s, lcpl, dcpl, H5P_DEFAULT);
    if (ds == H5I_INVALID_HID)
        goto hdf5_error;
    rc = write_rows(h, ds, path, src, dims, chunk, size, fillv, filtered, err);
    if (rc != AM_OK)
        goto cleanup;
    if (finish_raster(h, ds, path, ftype, mtype, fillv, info) < 0)
        goto hdf5_error;
    goto cleanup;
hdf5_error:
    rc = raster_fail(h, path, err);
cleanup:
    close_id(&ds, H5Dclose);
    close_id(&lcpl, H5Pclose);
    close_id(&dcpl, H5Pclose);
    close_id(&s, H5Sclose);
    am_h5_quiet_end(&q);
    return rc;
}

am_status am_h5_write_raster_rows(am_h5 *h, const char *path, am_h5_type type,
                                  double fill, am_h5_rows_fn fn, void *user,
                                  const am_h5_raster_info *info, am_error *err)
{
    const row_source src = {fn, user, NULL};
    return write_raster(h, path, type, fill, &src, info, err);
}

am_status am_h5_write_raster_f32(am_h5 *h, const char *path, const float *data,
                                 float nodata, const am_h5_raster_info *info,
                                 am_error *err)
{
    const row_source src = {NULL, NULL, data};
    return write_raster(h, path, AM_H5_F32, nodata, &src, info, err);
}

am_status am_h5_write_raster_i32(am_h5 *h, const char *path,
                                 const int32_t *data, int32_t nodata,
                                 const am_h5_raster_info *info, am_error *err)
{
    const row_source src = {NULL, NULL, data};
    return write_raster(h, path, AM_H5_I32, nodata, &src, info, err);
}

/* ---- sparse rasters ----------------------------------------------------- */

/* The state of a walk over ascending cells, strip by strip. */
typedef struct sparse_walk {
    int64_t n, next; /* cells, and the first not yet placed */
    const int64_t *cell;
    const void *value;
    size_t size; /* bytes per value */
    int64_t nx;
} sparse_walk;

static int sparse_rows(int32_t row0, int32_t n_rows, void *buf, void *user)
{
    sparse_walk *w = user;
    const int64_t first = (int64_t)row0 * w->nx;
    const int64_t end = first + (int64_t)n_rows * w->nx;
    unsigned char *out = buf;
    const unsigned char *in = w->value;
    while (w->next < w->n && w->cell[w->next] < end) {
        int64_t c = w->cell[w->next];
        memcpy(out + (size_t)(c - first) * w->size,
               in + (size_t)w->next * w->size, w->size);
        w->next++;
    }
    return 1;
}

static am_status write_sparse(am_h5 *h, const char *path, am_h5_type type,
                              double fill, int64_t n, const int64_t *cell,
                              const void *value, size_t size,
                              const am_h5_raster_info *info, am_error *err)
{
    if (h == NULL)
        return am_error_set(err, AM_ERR_INVALID, NULL, "no file");
    if (!h->has_grid)
        return am_error_set(err, AM_ERR_INTERNAL, h->af.final_path,
                            "raster '%s' written before the grid",
                            path ? path : "(null)");
    if (n < 0 || (n > 0 && (cell == NULL || value == NULL)))
        return am_error_set(err, AM_ERR_INVALID, h->af.final_path,
                            "raster '%s': %lld cells but no cell or value "
                            "array",
                            path ? path : "(null)", (long long)n);
    /* everything checked before the dataset exists */
    const int64_t n_grid = (int64_t)h->nx * (int64_t)h->ny;
    for (int64_t i = 0; i < n; i++) {
        if (cell[i] < 0 || cell[i] >= n_grid)
            return am_error_set(err, AM_ERR_INVALID, h->af.final_path,
                                "raster '%s': cell %lld (index %lld) is "
                                "outside the %dx%d grid",
                                path ? path : "(null)", (long long)cell[i],
                                (long long)i, (int)h->nx, (int)h->ny);
        if (i > 0 && cell[i] <= cell[i - 1])
            return am_error_set(err, AM_ERR_INVALID, h->af.final_path,
                                "raster '%s': cell %lld (index %lld) does "
                                "not follow cell %lld: cells must be in "
                                "ascending order, each once",
                                path ? path : "(null)", (long long)cell[i],
                                (long long)i, (long long)cell[i - 1]);
    }
    sparse_walk w = {n, 0, cell, value, size, h->nx};
    return am_h5_write_raster_rows(h, path, type, fill, sparse_rows, &w, info,
                                   err);
}

am_status am_h5_write_raster_sparse_f32(am_h5 *h, const char *path, int64_t n,
                                        const int64_t *cell, const float *value,
                                        float fill,
                                        const am_h5_raster_info *info,
                                        am_error *err)
{
    return write_sparse(h, path, AM_H5_F32, fill, n, cell, value, sizeof *value,
                        info, err);
}

am_status am_h5_write_raster_sparse_i32(am_h5 *h, const char *path, int64_t n,
                                        const int64_t *cell,
                                        const int32_t *value, int32_t fill,
                                        const am_h5_raster_info *info,
                                        am_error *err)
{
    return write_sparse(h, path, AM_H5_I32, fill, n, cell, value, sizeof *value,
                        info, err);
}

/* ---- tables ----------------------------------------------------------- */

/* Writes one column dataset into group g. < 0 on HDF5 failure. */
static herr_t write_column(hid_t g, const am_h5_column *c, hid_t space,
                           int64_t n_rows, hobj_ref_t row_ref,
                           const char **strings)
{
    herr_t rc = -1;
    hid_t ftype = H5I_INVALID_HID, mtype = H5I_INVALID_HID;
    hid_t dcpl = dcpl_ordered(), ds = H5I_INVALID_HID;
    const void *buf = c->data;
    if (dcpl == H5I_INVALID_HID)
        return -1;
    switch (c->type) {
    case AM_H5_COL_INT32:
        ftype = H5Tcopy(H5T_STD_I32LE);
        mtype = H5Tcopy(H5T_NATIVE_INT32);
        break;
    case AM_H5_COL_INT64:
        ftype = H5Tcopy(H5T_STD_I64LE);
        mtype = H5Tcopy(H5T_NATIVE_INT64);
        break;
    case AM_H5_COL_DOUBLE:
        ftype = H5Tcopy(H5T_IEEE_F64LE);
        mtype = H5Tcopy(H5T_NATIVE_DOUBLE);
        break;
    case AM_H5_COL_STRING:
        ftype = H5Tcopy(H5T_C_S1);
        if (ftype == H5I_INVALID_HID || H5Tset_size(ftype, H5T_VARIABLE) < 0 ||
            H5Tset_cset(ftype, H5T_CSET_UTF8) < 0)
            goto cleanup;
        mtype = H5Tcopy(ftype);
        buf = strings;
        break;
    }
    if (ftype == H5I_INVALID_HID || mtype == H5I_INVALID_HID)
        goto cleanup;
    ds = H5Dcreate2(g, c->name, ftype, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    if (ds == H5I_INVALID_HID)
        goto cleanup;
    if (n_rows > 0 &&
        H5Dwrite(ds, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0)
        goto cleanup;
    if (c->description != NULL &&
        put_str(ds, "long_name", c->description, 0) < 0)
        goto cleanup;
    if (c->units != NULL && put_str(ds, "units", c->units, 0) < 0)
        goto cleanup;
    if (put_dimension_list(ds, 1, &row_ref) < 0)
        goto cleanup;
    rc = 0;
cleanup:
    close_id(&ds, H5Dclose);
    close_id(&dcpl, H5Pclose);
    close_id(&mtype, H5Tclose);
    close_id(&ftype, H5Tclose);
    return rc;
}

/* The table's arguments: a path, a count, named typed columns with data. */
static am_status check_table(const am_h5 *h, const char *path, int64_t n_rows,
                             int32_t n_cols, const am_h5_column *cols,
                             am_error *err)
{
    if (!valid_path(path) || n_rows < 0 || n_cols < 1 || cols == NULL)
        return am_error_set(err, AM_ERR_INVALID, h->af.final_path,
                            "bad table '%s' (%lld rows, %d columns)",
                            path ? path : "(null)", (long long)n_rows,
                            (int)n_cols);
    for (int32_t i = 0; i < n_cols; i++) {
        const am_h5_column *c = &cols[i];
        int bad = c->name == NULL || c->name[0] == '\0' ||
                  strchr(c->name, '/') != NULL || strcmp(c->name, ".") == 0 ||
                  strcmp(c->name, TABLE_DIM) == 0 ||
                  c->type < AM_H5_COL_INT32 || c->type > AM_H5_COL_STRING ||
                  (c->data == NULL && n_rows > 0);
        for (int32_t j = 0; j < i && !bad; j++)
            bad = strcmp(cols[j].name, c->name) == 0;
        if (bad)
            return am_error_set(err, AM_ERR_INVALID, h->af.final_path,
                                "table '%s': bad, duplicate or reserved "
                                "('" TABLE_DIM "') column name '%s', or no "
                                "data",
                                path, c->name ? c->name : "(null)");
    }
    return AM_OK;
}

/* The table's group, opened or created (with its parents): it may exist
 * already, made to hold attributes first. H5I_INVALID_HID on failure. */
static hid_t open_table_group(am_h5 *h, const char *path)
{
    hid_t g = H5I_INVALID_HID;
    hid_t lcpl = lcpl_parents(), gcpl = gcpl_ordered();
    if (lcpl != H5I_INVALID_HID && gcpl != H5I_INVALID_HID) {
        htri_t exists = H5Lexists(h->file, path, H5P_DEFAULT);
        if (exists > 0)
            g = H5Gopen2(h->file, path, H5P_DEFAULT);
        else {
            H5Eclear2(H5E_DEFAULT); /* a missing parent makes H5Lexists fail */
            g = H5Gcreate2(h->file, path, lcpl, gcpl, H5P_DEFAULT);
        }
    }
    close_id(&gcpl, H5Pclose);
    close_id(&lcpl, H5Pclose);
    return g;
}

/* The shared dimension in group g: "row" over space s, holding row[]
 * (0 .. n_rows-1), a dimension scale. H5I_INVALID_HID on failure. */
static hid_t write_row_scale(hid_t g, hid_t s, int64_t n_rows,
                             const int64_t *row)
{
    hid_t dcpl = dcpl_ordered();
    if (dcpl == H5I_INVALID_HID)
        return H5I_INVALID_HID;
    hid_t rowds = H5Dcreate2(g, TABLE_DIM, H5T_STD_I64LE, s, H5P_DEFAULT, dcpl,
                             H5P_DEFAULT);
    close_id(&dcpl, H5Pclose);
    if (rowds != H5I_INVALID_HID &&
        ((n_rows > 0 && H5Dwrite(rowds, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL,
                                 H5P_DEFAULT, row) < 0) ||
         make_scale(rowds, TABLE_DIM) < 0 ||
         put_str(rowds, "long_name", "row number (0-based)", 0) < 0))
        close_id(&rowds, H5Dclose);
    return rowds;
}

am_status am_h5_write_table(am_h5 *h, const char *path, int64_t n_rows,
                            int32_t n_cols, const am_h5_column *cols,
                            am_error *err)
{
    am_status rc = AM_OK;
    hid_t g = H5I_INVALID_HID, s = H5I_INVALID_HID, rowds = H5I_INVALID_HID;
    int64_t *row = NULL;
    const char **strings = NULL;
    dim_ref *refs = NULL;
    char what[512] = "";
    am_h5_quiet q;
    if (h == NULL)
        return am_error_set(err, AM_ERR_INVALID, NULL, "no file");
    am_h5_quiet_begin(&q);
    if ((rc = check_table(h, path, n_rows, n_cols, cols, err)) != AM_OK)
        goto cleanup;
    row = am_malloc((size_t)(n_rows > 0 ? n_rows : 1) * sizeof *row);
    strings = am_malloc((size_t)(n_rows > 0 ? n_rows : 1) * sizeof *strings);
    refs = am_malloc((size_t)n_cols * sizeof *refs);
    if (row == NULL || strings == NULL || refs == NULL) {
        rc = am_error_set(err, AM_ERR_NOMEM, h->af.final_path, "out of memory");
        goto cleanup;
    }
    for (int64_t i = 0; i < n_rows; i++)
        row[i] = i;

    snprintf(what, sizeof what, "cannot write table '%s'", path);
    if ((g = open_table_group(h, path)) == H5I_INVALID_HID)
        goto hdf5_error;
    hsize_t dim = (hsize_t)n_rows;
    s = H5Screate_simple(1, &dim, NULL);
    if (s == H5I_INVALID_HID ||
        (rowds = write_row_scale(g, s, n_rows, row)) == H5I_INVALID_HID)
        goto hdf5_error;
    hobj_ref_t row_ref;
    if (H5Rcreate(&row_ref, g, TABLE_DIM, H5R_OBJECT, -1) < 0)
        goto hdf5_error;

    for (int32_t i = 0; i < n_cols; i++) {
        const am_h5_column *c = &cols[i];
        if (c->type == AM_H5_COL_STRING) {
            /* NULL entries are written as "" */
            char *const *src = c->data;
            for (int64_t r = 0; r < n_rows; r++)
                strings[r] = (src[r] != NULL) ? src[r] : "";
        }
        if (write_column(g, c, s, n_rows, row_ref, strings) < 0 ||
            H5Rcreate(&refs[i].dataset, g, c->name, H5R_OBJECT, -1) < 0) {
            snprintf(what, sizeof what, "cannot write column '%s' of '%s'",
                     c->name, path);
            goto hdf5_error;
        }
        refs[i].dimension = 0;
    }
    if (put_reference_list(rowds, (size_t)n_cols, refs) < 0)
        goto hdf5_error;
    goto cleanup;
hdf5_error:
    rc = h5_fail(err, AM_ERR_IO, h->af.final_path, what);
cleanup:
    close_id(&rowds, H5Dclose);
    close_id(&s, H5Sclose);
    close_id(&g, H5Gclose);
    am_free(refs);
    am_free(strings);
    am_free(row);
    am_h5_quiet_end(&q);
    return rc;
}
