/*
 * near_pairs.h: pairs of points closer than a distance, without comparing
 * every pair: the near-duplicate facilities of a set (OpenStreetMap often
 * maps one hospital twice, as a node and as a building polygon, 10-50 m
 * apart; docs/scenario.md, "Near-duplicate facilities").
 *
 * Method: the points sorted by latitude band (bands max_m of meridian
 * arc wide: two points in bands more than one apart are farther than
 * max_m, since the geodesic between two parallels is at least their
 * meridian arc, itself at least b dphi with b = a (1 - e^2) the least
 * meridian radius of curvature), then by longitude within a band; each
 * point is compared with the points of its own band and of the next one
 * within a longitude window (across the antimeridian too), as wide as the
 * chordal lower bound of geodesic.h allows at the band's highest
 * latitude (the whole band near a pole). In the window the lower bound
 * (am_geodesic_distance_lower_m) settles most pairs, the geodesic
 * (Karney 2013) the rest. Time O(n log n + n k + pairs), k the points in a
 * window (a few for facilities); O(n) memory. Measured on the 2-core
 * machine: 10,000 random points over 1 deg x 1 deg 0.02 s, over 0.1 deg
 * (3,331 pairs) 0.03 s, all on one parallel (45,685 pairs) 0.13 s;
 * 100,000 over 10 deg 0.15 s.
 *
 * Deterministic: the count, and the pairs kept, do not depend on the sort
 * (ties) nor on anything but the input.
 */
#ifndef AM_NEAR_PAIRS_H
#define AM_NEAR_PAIRS_H

#include <stdint.h>

/* One pair: indices a < b and their geodesic distance in metres. */
typedef struct am_near_pair {
    int32_t a, b;
    double distance_m;
} am_near_pair;

/*
 * The pairs i < j of the n points (lon/lat, WGS 84 degrees) whose
 * geodesic distance is <= max_m (inclusive), leaving out pairs at exactly
 * the same position (equal coordinates: reported apart by the facility
 * loader) and points with a non-finite coordinate. Their number goes to
 * *count; the first max_keep of them in the order of (a, b) go to
 * keep[0 .. min(count, max_keep) - 1] (keep may be NULL when max_keep is
 * 0). Returns 0, or -1 when out of memory (*count 0).
 */
int am_near_pairs(int32_t n, const double *lon, const double *lat, double max_m,
                  int64_t *count, am_near_pair *keep, int max_keep);

#endif /* AM_NEAR_PAIRS_H */
