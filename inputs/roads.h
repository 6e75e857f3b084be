/*
 * roads.h: road networks from any OGR line source, OSM PBF/XML included.
 *
 * Each line feature's vertices become graph nodes; vertices with exactly
 * the same coordinates are the same node, so ways connect where they share
 * a vertex (an OSM node). Each consecutive vertex pair becomes one arc (or
 * two, unless one-way) with its geodesic length and the profile's time.
 * Attributes: `highway`, `oneway`, `maxspeed`, `junction`, `area`,
 * `route`, `duration`, the profile's access keys and its oneway key, as
 * fields, or for GDAL's OSM driver from its `other_tags` field. Their
 * meaning is the profile's (inputs/road_profile.h, docs/profiles.md).
 * Plain GIS layers: a field mapping instead (road_fields.h), and line ends
 * joined within a tolerance in metres (am_road_options.join_tolerance_m).
 */
#ifndef AM_ROADS_H
#define AM_ROADS_H

#include <stdint.h>

#include "common/error.h"
#include "common/progress.h"
#include "common/warning.h"
#include "inputs/road_fields.h"
#include "inputs/road_profile.h"

/*
 * Address space that must be free before GDAL's OSM driver opens a file:
 * AM_ROADS_OSM_BASE_MIB + AM_ROADS_OSM_PER_CPU_MIB per online CPU (its
 * decoding threads, each with a stack and a malloc arena) + the file's
 * size. Measured on GDAL 3.6 with the Comoros demo (3.4 MB PBF, 2 CPUs):
 * the driver needs about 250 MiB above what the process holds before it;
 * the constants add a margin. See am_roads_load and README ("Memory").
 */
#define AM_ROADS_OSM_BASE_MIB 192
#define AM_ROADS_OSM_PER_CPU_MIB 72

typedef struct am_road_options {
    const char *path;          /* borrowed */
    const char *layer;         /* NULL: "lines" for OSM sources, else layer 0 */
    const char *where;         /* OGR SQL attribute filter or NULL */
    const am_profile *profile; /* borrowed; NULL: the built-in car */
    am_warnings *warnings;     /* borrowed, may be NULL: features skipped */
    /* issue 7, plain GIS line layers (zero: OSM tags, exact joins) */
    am_road_speed_source speed_source;       /* PROFILE: OSM tags + profile */
    const char *speed_field;                 /* class, speed or time field */
    const am_road_class_speed *class_speeds; /* [n_class_speeds] (CLASS) */
    int n_class_speeds;
    double default_speed_kmh; /* CLASS: unlisted classes; 0: skipped */
    double time_unit_s;       /* TIME: seconds per unit (60 or 1) */
    const char *oneway_field; /* NULL: both ways (unless PROFILE) */
    const am_road_oneway_values *oneway_values; /* NULL: the defaults */
    double join_tolerance_m; /* 0: identical vertices only; <= 100 */
    int join_all_vertices;   /* 0: a tolerance join needs a line end */
    /* issue 7, crossings: 1 joins segments of different lines that cross
       (geo/crossings.h), unless their levels (bridge, tunnel, layer)
       differ; 0 (default): lines meet only at shared or joined vertices */
    int join_crossings;
    /* threads measuring segments while the graph is built, and reading
       GeoPackage, Shapefile and FlatGeobuf layers in FID ranges, one
       GDAL dataset each (issue 8; kernels/tasks.h); 0: OpenMP's default.
       The network, warnings and errors are the same for any count. */
    int threads;
} am_road_options;

/* am_road_network.arc_flags: a ferry crossing (route=ferry), routable
 * but not a road people or facilities snap onto. */
#define AM_ARC_FERRY 1u
#define AM_ARC_FLAGS_ALL AM_ARC_FERRY

typedef struct am_road_network {
    int32_t n_nodes;
    double *lon; /* [n_nodes], WGS 84 degrees */
    double *lat; /* [n_nodes] */
    int64_t n_arcs;
    int32_t *tail;      /* [n_arcs] */
    int32_t *head;      /* [n_arcs] */
    uint32_t *time_ds;  /* [n_arcs] */
    float *len_m;       /* [n_arcs], geodesic length */
    uint8_t *arc_flags; /* [n_arcs], AM_ARC_* bits */
    /* what was read, for the summary */
    int64_t n_features;     /* features read from the layer */
    int64_t n_routable;     /* features that became arcs */
    int64_t n_not_routable; /* dropped by the profile (class) */
    int64_t n_bad_geometry; /* no geometry, empty, non-line or out of
                               lon/lat range: skipped with a warning */
    int64_t n_oneway;       /* routable features with one direction */
    int64_t n_maxspeed;     /* features whose maxspeed was used */
    double total_len_km;    /* sum of routable way lengths */
    /* field mapping and joining (issue 7, plain GIS line layers) */
    int64_t n_unlisted_class; /* CLASS: class not in the table: skipped */
    int64_t n_bad_value;      /* speed/time field null or not usable */
    int64_t n_bad_oneway;     /* oneway value in no list: both ways */
    int64_t n_collapsed;      /* features whose segments all joined into
                                 one node (shorter than the tolerance) */
    int64_t n_joined;         /* vertices joined to a node within the
                                 tolerance (not at identical coordinates) */
    int64_t n_crossings;      /* join_crossings: nodes where crossing
                                 segments were split (new or existing) */
    /* OSM tag outcomes (issue 7, profiles), all counted over features of
       a routable class (n_not_routable excludes them) */
    int64_t n_maxspeed_unparsable;  /* class speed used instead */
    int64_t n_maxspeed_implausible; /* used only with use_implausible */
    int64_t n_closed_access;        /* access tags close it: dropped */
    int64_t n_area;                 /* area=yes: dropped */
    int64_t n_reversible;           /* oneway=reversible: dropped */
    int64_t n_ferry;                /* ferry crossings used */
    int64_t n_ferry_bad_duration;   /* duration unreadable: ferry speed */
    /* GDAL's OSM driver, for ways that reference nodes absent from the
       file (a clipped extract): it joins the nodes it has, or drops the
       way when fewer than two are left */
    int64_t n_missing_nodes_kept;      /* ways read with nodes missing */
    int64_t n_missing_nodes_dropped;   /* ways GDAL dropped */
    char profile[AM_PROFILE_NAME_MAX]; /* the profile's name */
} am_road_network;

/*
 * Loads the network. With a field mapping (speed_source other than
 * PROFILE) the speeds come from opt->speed_field, directions from
 * opt->oneway_field, and features whose value is not usable are skipped,
 * counted and warned about (one warning per reason, first feature ids).
 * With join_tolerance_m > 0 a line end (any vertex with join_all_vertices)
 * joins the nearest node of another line within the tolerance
 * (geo/join_grid.h); arc lengths stay those of the lines as drawn.
 * With join_crossings, segments of different features that cross get a
 * node where they cross (geo/crossings.h), unless their levels differ
 * (OSM `layer`, else +1 for `bridge`, -1 for `tunnel`, from fields of
 * those names or other_tags): both are split there, lengths and times in
 * proportion (times stay whole deciseconds and sum to the segment's).
 * New nodes come after all the vertices' nodes, in the order of the
 * crossing segment pairs (segments in file order).
 * Errors name the file and layer: AM_ERR_IO (missing;
 * a damaged file: GDAL failed to read a feature or the layer, naming the
 * feature id where known and GDAL's message), AM_ERR_FORMAT (not a vector
 * source, no line layer or no line in it, no `highway` field where one
 * is needed, a mapped field that does not exist: the message lists the
 * layer's fields), AM_ERR_INVALID (a tolerance or mapping out of range),
 * AM_ERR_CRS (layer without a CRS), AM_ERR_EMPTY (no routable road after
 * filtering), AM_ERR_NOMEM (out of memory, GDAL's included; for an OSM
 * file also when less than the address space above (AM_ROADS_OSM_*) is
 * left, since GDAL's OSM driver can crash when an allocation fails).
 * Routable features without a usable line geometry are skipped and
 * counted, with one warning on opt->warnings. progress may be NULL.
 */
am_status am_roads_load(const am_road_options *opt, am_progress_fn progress,
                        void *progress_user, am_road_network **out,
                        am_error *err);

/* Accepts NULL. */
void am_road_network_destroy(am_road_network *r);

/*
 * AM_OK when path is not read by GDAL's OSM driver, or when the address
 * space that driver needs (AM_ROADS_OSM_*) is free; else AM_ERR_NOMEM
 * naming path (AM_ERR_IO when its temporary folder is not writable).
 * Called before any read of an OSM file (am_roads_load, road_nodes.h).
 */
am_status am_roads_osm_memory_check(const char *path, am_error *err);

#endif /* AM_ROADS_H */
