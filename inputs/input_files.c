/*
 * input_files.c: see input_files.h.
 */
#include "common/alloc.h"
#include "common/strutil.h"
#include "inputs/input_files.h"

#include <cpl_conv.h>
#include <cpl_minixml.h>
#include <cpl_string.h>
#include <gdal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/file_check.h"
#include "inputs/gdal_util.h"

/* Datasets opened at most (the input and the VRTs it lists). */
#define AM_INPUT_FILES_MAX_DATASETS 64

typedef struct file_list {
    char **v;
    int n, cap;
} file_list;

static int list_has(const file_list *l, const char *s)
{
    for (int i = 0; i < l->n; i++)
        if (strcmp(l->v[i], s) == 0)
            return 1;
    return 0;
}

/* Appends a copy of s unless it is there. 0, or -1 when out of memory. */
static int list_add(file_list *l, const char *s)
{
    if (list_has(l, s))
        return 0;
    if (l->n == l->cap) {
        int cap = l->cap > 0 ? 2 * l->cap : 8;
        char **v = am_realloc(l->v, (size_t)cap * sizeof *v);
        if (v == NULL)
            return -1;
        l->v = v;
        l->cap = cap;
    }
    if ((l->v[l->n] = am_strdup(s)) == NULL)
        return -1;
    l->n++;
    return 0;
}

static int is_vrt(const char *s)
{
    size_t n = strlen(s);
    return n > 4 && strcasecmp(s + n - 4, ".vrt") == 0;
}

/* Adds file (a file GDAL reads for ds_path) to out, and to todo when it is
 * a VRT. */
static am_status add_file(const char *ds_path, const char *file, file_list *out,
                          file_list *todo, am_error *err)
{
    if (list_has(out, file))
        return AM_OK;
    /* a VRT's source that is a FIFO would block the reader */
    am_status rc = am_file_check_input(file, 1, err);
    if (rc != AM_OK)
        return rc;
    if (list_add(out, file) != 0 || (is_vrt(file) && list_add(todo, file) != 0))
        return am_error_set(err, AM_ERR_NOMEM, ds_path, "out of memory");
    return AM_OK;
}

/*
 * Every <SourceFilename> anywhere in the VRT at vrt_path (resolved as GDAL
 * does: relativeToVRT="1" against the VRT's folder), added to out: GDAL's
 * file list of a VRT names its bands' sources but not those of a band's
 * own <MaskBand> (a population mask) or of its <Overview>s, which GDAL
 * reads all the same. A VRT that cannot be parsed adds nothing (GDAL
 * opened it, or the loader reports why).
 */
static am_status add_vrt_sources(const char *vrt_path, const CPLXMLNode *n,
                                 file_list *out, file_list *todo, am_error *err)
{
    am_status rc = AM_OK;
    for (; rc == AM_OK && n != NULL; n = n->psNext) {
        if (n->eType != CXT_Element)
            continue;
        const char *name = CPLGetXMLValue(n, NULL, NULL);
        if (strcmp(n->pszValue, "SourceFilename") == 0 && name != NULL &&
            name[0] != '\0') {
            const char *rel = CPLGetXMLValue(n, "relativeToVRT", "0");
            char *dir = CPLStrdup(CPLGetPath(vrt_path));
            const char *file =
                atoi(rel) != 0 ? CPLProjectRelativeFilename(dir, name) : name;
            char *copy = CPLStrdup(file);
            CPLFree(dir);
            rc = add_file(vrt_path, copy, out, todo, err);
            CPLFree(copy);
            continue;
        }
        rc = add_vrt_sources(vrt_path, n->psChild, out, todo, err);
    }
    return rc;
}

/*
 * Adds the files of the dataset at ds_path to out, and the VRTs among them
 * (other than ds_path) to todo. Files GDAL cannot open count as
 * themselves.
 */
static am_status add_dataset(const char *ds_path, file_list *out,
                             file_list *todo, am_error *err)
{
    const unsigned kinds = GDAL_OF_RASTER | GDAL_OF_VECTOR;
    am_gdal_errors ge;
    GDALDatasetH ds = NULL;
    am_gdal_capture_begin(&ge);
    GDALDriverH drv = GDALIdentifyDriverEx(ds_path, kinds, NULL, NULL);
    const char *dname = drv != NULL ? GDALGetDriverShortName(drv) : NULL;
    /* the OSM driver reads its one file, and its open is not light */
    if (dname != NULL && strcmp(dname, "OSM") != 0)
        ds = GDALOpenEx(ds_path, GDAL_OF_READONLY | kinds, NULL, NULL, NULL);
    /* GDAL reads side files lazily (a .tfw when the file list is asked): its
     * messages stay captured until the dataset is closed; the loader
     * reports a real failure later, naming the file */
    char **fl = ds != NULL ? GDALGetFileList(ds) : NULL;
    am_status rc = AM_OK;
    if (list_add(out, ds_path) != 0)
        rc = am_error_set(err, AM_ERR_NOMEM, ds_path, "out of memory");
    for (int i = 0; rc == AM_OK && fl != NULL && fl[i] != NULL; i++)
        rc = add_file(ds_path, fl[i], out, todo, err);
    CSLDestroy(fl);
    if (rc == AM_OK && ds != NULL && dname != NULL &&
        strcmp(dname, "VRT") == 0) {
        CPLXMLNode *xml = CPLParseXMLFile(ds_path);
        rc = add_vrt_sources(ds_path, xml, out, todo, err);
        CPLDestroyXMLNode(xml);
    }
    if (ds != NULL)
        GDALClose(ds);
    am_gdal_capture_end(&ge);
    return rc;
}

am_status am_input_files(const char *path, char ***files, int *n, am_error *err)
{
    file_list out = {NULL, 0, 0}, todo = {NULL, 0, 0};
    am_status rc;
    *files = NULL;
    *n = 0;
    /* missing, or a FIFO/device that would block GDAL's open forever */
    if ((rc = am_file_check_input(path, 1, err)) != AM_OK)
        return rc;
    am_gdal_init();
    if (list_add(&todo, path) != 0)
        rc = am_error_set(err, AM_ERR_NOMEM, path, "out of memory");
    /* todo grows while it is walked: a VRT's VRT sources */
    for (int k = 0; rc == AM_OK && k < todo.n; k++) {
        if (k >= AM_INPUT_FILES_MAX_DATASETS)
            break;
        rc = add_dataset(todo.v[k], &out, &todo, err);
    }
    am_input_files_free(todo.v, todo.n);
    if (rc != AM_OK) {
        am_input_files_free(out.v, out.n);
        return rc;
    }
    *files = out.v;
    *n = out.n;
    return AM_OK;
}

void am_input_files_free(char **files, int n)
{
    if (files == NULL)
        return;
    for (int i = 0; i < n; i++)
        am_free(files[i]);
    am_free(files);
}
