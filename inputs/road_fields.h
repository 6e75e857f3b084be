/*
 * road_fields.h: speeds, times and directions of plain GIS road layers
 * from their attribute fields (a field mapping, docs/scenario.md "roads").
 *
 * OSM sources carry their meaning in tags (road_profile.h); a road layer
 * from a GIS department carries it in fields of its own naming: a class
 * with a table of speeds, a speed in km/h, or a travel time of the whole
 * line. This is the value side of that mapping: pure functions over
 * strings and numbers; thread-safe; no allocation. roads.c reads the
 * fields and calls these.
 */
#ifndef AM_ROAD_FIELDS_H
#define AM_ROAD_FIELDS_H

#include <stdint.h>

/* How a feature's travel time is found. */
typedef enum am_road_speed_source {
    AM_ROAD_SPEED_PROFILE = 0, /* OSM tags and the travel profile */
    AM_ROAD_SPEED_CLASS,       /* class_field looked up in a speed table */
    AM_ROAD_SPEED_FIELD,       /* speed_field, km/h */
    AM_ROAD_TIME_FIELD         /* time_field, the whole line's time */
} am_road_speed_source;

/* Speeds accepted from a table or a field, km/h: (0, this]. */
#define AM_ROAD_SPEED_MAX_KMH 300.0

/* One row of a class speed table (strings borrowed). */
typedef struct am_road_class_speed {
    const char *klass;
    double kmh;
} am_road_class_speed;

/* Values of a one-way field per direction (strings borrowed). Matching
 * ignores case and surrounding blanks; a null field reads as "". */
typedef struct am_road_oneway_values {
    const char *const *forward; /* [n_forward]: digitised direction only */
    int n_forward;
    const char *const *backward; /* [n_backward]: against it only */
    int n_backward;
    const char *const *both; /* [n_both]: both ways */
    int n_both;
} am_road_oneway_values;

/*
 * The default one-way values: forward yes, true, 1, FT; backward -1,
 * reverse, TF; both no, false, 0, B and "" (a null field).
 */
const am_road_oneway_values *am_road_oneway_default(void);

/* 1 forward, -1 backward, 0 both, 2 when v is not in any list. */
int am_road_oneway_of(const am_road_oneway_values *vals, const char *v);

/*
 * The speed of class k in table[0 .. n-1] (exact, case-sensitive match),
 * else default_kmh (0: the class is not routable). k may be NULL (a null
 * field): default_kmh.
 */
double am_road_class_speed_of(const am_road_class_speed *table, int n,
                              const char *k, double default_kmh);

/*
 * A field's text as a number: decimal notation with optional blanks around
 * (no hex, inf, nan). 1 and *out on success, else 0.
 */
int am_road_value_parse(const char *text, double *out);

/* Whether v is a usable speed in km/h: finite, > 0, <= the maximum. */
int am_road_speed_ok(double kmh);

/* Whether v is a usable line time (minutes or seconds): finite, > 0, and
 * no more than 24 h in deciseconds once converted (total_ds). */
int am_road_time_ok(double total_ds);

/*
 * Splitting a line's travel time along its segments by length: the arc
 * ending at cumulative length cum_m (of total_m) gets round(cum_m /
 * total_m * total_ds) minus what the earlier arcs got (*given_ds, updated).
 * So the arcs of a line sum to round(total_ds) exactly, and each differs
 * from its share by less than 1 ds.
 */
uint32_t am_road_time_share(double cum_m, double total_m, double total_ds,
                            uint64_t *given_ds);

#endif /* AM_ROAD_FIELDS_H */
