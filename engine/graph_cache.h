/*
 * graph_cache.h: the prepared-graph cache (`accessim prepare`): the ROADS
 * stage's output (inputs/roads.h am_road_network: nodes, arcs and every
 * counter) stored in one file that later runs load instead of reading the
 * road layer again. The GRAPH stage (CSR, reverse, spatial index, ...) is
 * always rebuilt from it: it is fast, and its policies may change without
 * invalidating a cache. The cache holds road vertex ids only, never graph
 * node ids: the contracted graph's node order (a Hilbert curve,
 * kernels/order.h) is made again from the vertices on every load, so a
 * cache written before that order existed loads to the same graph as one
 * written after (the format did not change for it).
 *
 * Validity: a cache holds the canonical text of everything that affects
 * am_roads_load (am_roads_cache_key) and its SHA-256; a run uses the cache
 * only when the key it computes now is the same. A cache that cannot be
 * trusted (wrong magic, version or byte order, sizes that disagree with
 * the file's size, a payload whose SHA-256 differs, node ids out of range,
 * times not below AM_TIME_INF, coordinates not finite or outside lon/lat
 * range, a counter missing) is never used: the reader says why in one
 * line and the caller rebuilds.
 *
 * File layout (version AM_ROADS_CACHE_FORMAT; host byte order, recorded
 * and checked; every section padded to 8 bytes):
 *   header    magic "AMROADS\0", format, byte-order mark 0x01020304,
 *             header size, counters, n_nodes, n_arcs, key text bytes,
 *             payload bytes, key SHA-256, payload SHA-256
 *   payload   key text; counters (name[32], type, value: one row per
 *             entry of the counters table); lon[n], lat[n] (f64);
 *             tail[m], head[m] (i32); time_ds[m] (u32); len_m[m] (f32);
 *             arc_flags[m] (u8, AM_ARC_*)
 * Written through common/atomic_file.h (temporary, lock, rename).
 * Not thread-safe per file; no globals.
 */
#ifndef AM_GRAPH_CACHE_H
#define AM_GRAPH_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/file_check.h"
#include "inputs/roads.h"
#include <accessim.h>

/* Bump when the file layout changes (the key includes it too). */
#define AM_ROADS_CACHE_FORMAT 2

/* The default cache file's suffix, after the scenario file's stem. */
#define AM_ROADS_CACHE_SUFFIX ".amgraph"

/* The canonical key text and its SHA-256. text is owned (am_free). */
typedef struct am_roads_key {
    char *text;
    uint8_t sha[32];
} am_roads_key;

/*
 * The cache key of scenario s whose roads input has content fingerprint
 * roads_sha256_hex / roads_size (inputs/fingerprint.h): a canonical text,
 * one "name=value" line per input or setting that affects am_roads_load,
 * and its SHA-256. AM_ERR_NOMEM only.
 */
am_status am_roads_cache_key(const am_scenario *s, const char *roads_sha256_hex,
                             long long roads_size, const char *side_files,
                             am_roads_key *out, am_error *err);

/*
 * The other files GDAL reads for the roads input (a shapefile's .dbf,
 * .shx, .prj, a VRT's sources, ...) as "name size sha256" lines, for the
 * key's roads.side_files (a shapefile's speeds and classes live in its
 * .dbf): *out heap text (am_free), "" when there are none. AM_ERR_IO,
 * AM_ERR_NOMEM.
 */
am_status am_roads_side_files(const char *roads_path, char **out,
                              am_error *err);

void am_roads_key_free(am_roads_key *k);

/*
 * Writes r under key to path (atomically; protect: files the cache must
 * not replace, may be NULL). AM_ERR_IO naming path, AM_ERR_NOMEM.
 */
am_status am_roads_cache_write(const char *path, const am_roads_key *key,
                               const am_road_network *r,
                               const am_file_guard *protect, am_error *err);

/* What am_roads_cache_read found. */
typedef enum am_cache_state {
    AM_CACHE_LOADED = 0, /* valid, key matches: *out set */
    AM_CACHE_MISSING,    /* no file at path */
    AM_CACHE_STALE,      /* valid, another key: why names what changed */
    AM_CACHE_DAMAGED     /* not a cache, truncated, or inconsistent */
} am_cache_state;

/*
 * Loads the network cached at path if its key is key. Returns AM_OK with
 * *state (and *out for AM_CACHE_LOADED, owned by the caller); why[n]
 * gets one line for STALE ("roads.where changed") and DAMAGED ("payload
 * checksum mismatch"). Other statuses: AM_ERR_NOMEM only (an unreadable
 * file is DAMAGED).
 */
am_status am_roads_cache_read(const char *path, const am_roads_key *key,
                              am_cache_state *state, am_road_network **out,
                              char *why, size_t n, am_error *err);

#endif /* AM_GRAPH_CACHE_H */
