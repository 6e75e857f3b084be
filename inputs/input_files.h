/*
 * input_files.h: every file GDAL reads for an input dataset.
 *
 * Why: an output must never replace anything a run reads, and a dataset
 * is more than the path in the scenario: a shapefile's parts (in whatever
 * case they are spelled), a VRT's sources (and theirs), a raster's world
 * file and .aux.xml, the files of a folder dataset. GDAL knows them
 * (GDALGetFileList); this asks it, without the engine including GDAL.
 *
 * Allocates the list. Opens datasets read-only (one at a time, closed
 * before return); safe from any thread outside parallel regions.
 */
#ifndef AM_INPUT_FILES_H
#define AM_INPUT_FILES_H

#include "common/error.h"

/*
 * The files GDAL reads for the dataset at path (raster or vector), path's
 * own first, as GDAL names them (relative paths stay relative; virtual
 * paths stay virtual): GDALGetFileList of the dataset, and of every VRT
 * it lists in turn (GDAL lists a VRT's sources but not their sources),
 * at most 64 datasets, and every <SourceFilename> of each VRT (GDAL's
 * list leaves out those of a band's <MaskBand> and <Overview>s). A
 * raster's .msk mask file is in GDAL's list. Files are not read beyond
 * what GDAL's open reads (an OSM file is not opened at all: the driver
 * reads that one file).
 *
 * Every file listed must be one that can be read without blocking
 * (am_file_check_input): AM_ERR_IO naming it (a FIFO as a VRT's source).
 * When GDAL cannot open path at all, the list holds path alone and the
 * call succeeds: the loader reports why, with its own message.
 *
 * *files: a heap array of *n heap strings (free with am_input_files_free);
 * NULL and 0 on failure. AM_ERR_NOMEM.
 */
am_status am_input_files(const char *path, char ***files, int *n,
                         am_error *err);

/* Frees what am_input_files returned. Accepts NULL. */
void am_input_files_free(char **files, int n);

#endif /* AM_INPUT_FILES_H */
