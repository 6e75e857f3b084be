/*
 * referral.h: referral times between facility tiers (issue 9, "Facility
 * tiers and referral times"): for every facility of a lower tier, the
 * travel time up to the nearest facility of a higher tier and the time
 * back from that facility to it.
 *
 * Orientation. A facility is reached through its destination links (the
 * nodes from which it is reached, with the time from the node to it) and
 * left through its origin links (the nodes it drives to, with the time
 * from it to the node): geo/snap.h. Up is lower (origin links) -> higher
 * (destination links); back is higher (origin links) -> lower
 * (destination links). On one-way roads the two differ.
 *
 * Up, for every lower facility at once, comes from one multi-source
 * search on the reverse graph seeded from the higher facilities
 * (am_nearest_nodes: every node's time to its nearest higher facility,
 * ties to the lowest row); am_referral_up combines it with each lower
 * facility's origin links, ties again to the lowest row. Back needs one
 * forward search per chosen higher facility (am_referral_back): the lower
 * facilities are grouped by the facility they chose, so each is searched
 * once, in parallel; each search's result is a function of the graph and
 * its seeds, so the times do not depend on the thread count.
 *
 * Same place. Two facilities snapped to the same position (the same
 * destination links, and the same driving part of each link's time: the
 * same foot on the same road, to the decisecond; am_referral_place) are
 * joined directly on foot, not through the network: the search above only
 * meets the road at graph nodes, so it would walk to the road, drive to a
 * node and back and walk again (a co-located hospital lost to one 550 m
 * away). am_referral_same_place compares positions first: the walking time
 * between the two points (0 for the same point) replaces the network time
 * when it is no longer, ties to the lowest row as everywhere. Facilities on
 * the same road segment at different feet are not joined along it (the
 * limitation of geo/snap.h); they meet through its end nodes.
 *
 * Times are whole deciseconds; beyond limit_ds, AM_TIME_INF (unreachable).
 */
#ifndef AM_REFERRAL_H
#define AM_REFERRAL_H

#include <stdint.h>

#include "common/error.h"
#include "kernels/graph.h"

/*
 * Up times: for each of n lower points (links low_node[2 i + k],
 * low_off_ds[2 i + k], k = 0, 1; node < 0: absent), the smallest
 * (low_off + node_time_ds[node], node_src[node]) over its links, as
 * am_nearest_nodes labelled the nodes; up_ds[i] that time when <=
 * limit_ds, else AM_TIME_INF with to[i] = -1. Outputs caller-allocated
 * [n]. Serial, no allocation.
 */
void am_referral_up(int32_t n, const int32_t *low_node,
                    const uint32_t *low_off_ds, const uint32_t *node_time_ds,
                    const int32_t *node_src, uint32_t limit_ds, uint32_t *up_ds,
                    int32_t *to);

/*
 * Back times: for each of n lower points with to[i] >= 0 (a row of the
 * n_hi higher points), the shortest time on g from higher point to[i]
 * (origin links hi_node[2 j + k], hi_off_ds) to lower point i
 * (destination links low_node[2 i + k], low_off_ds), when <= limit_ds;
 * else AM_TIME_INF (also when to[i] < 0). One bounded forward search
 * (kernels/search.h) per distinct to[i], threads in parallel (<= 0:
 * OpenMP's default). The search first goes only to 2 x the largest up
 * time of its lower points (up_ds, [n]) + slack_ds, which usually holds
 * the way back, and again to limit_ds only when some lower point was not
 * reached: the same exact times, without searching the whole graph to
 * 24 h for every facility. back_ds caller-allocated [n]. Allocates O(n)
 * and one search workspace per thread: AM_ERR_NOMEM; AM_ERR_INVALID for a
 * to[i] out of range.
 */
am_status am_referral_back(const am_graph *g, int32_t n_hi,
                           const int32_t *hi_node, const uint32_t *hi_off_ds,
                           int32_t n, const int32_t *to, const uint32_t *up_ds,
                           const int32_t *low_node, const uint32_t *low_off_ds,
                           uint32_t limit_ds, uint32_t slack_ds, int threads,
                           uint32_t *back_ds, am_error *err);

/*
 * Where a point meets the road (geo/snap.h, the destination links): the
 * two links' nodes (-1 absent) and the driving part of each link's time
 * (the offset less the walking leg; AM_TIME_INF where absent). Equal
 * places: the same foot, to the decisecond. A point off network (no link)
 * has no place.
 */
typedef struct am_referral_place {
    int32_t node[2];
    uint32_t drive_ds[2];
} am_referral_place;

/* The walking time in deciseconds between lower point i and higher point
 * j (the engine: the geodesic distance at the walking speed). */
typedef uint32_t (*am_referral_walk_fn)(int32_t i, int32_t j, void *user);

/*
 * Same place (see above): for each of n lower points on network, the
 * higher points (n_hi) at an equal place; the walking time w = walk(i, j)
 * to the nearest of them (ties to the lowest row), when w <= limit_ds,
 * replaces (up_ds[i], to[i]) from am_referral_up when (w, j) is smaller.
 * direct_ds[i] (caller-allocated [n]): the walking time to to[i] when
 * to[i] is at i's place, else AM_TIME_INF; after am_referral_back, back
 * is min(back_ds[i], direct_ds[i]) (the walk is the same both ways).
 * low [n], hi [n_hi] borrowed. Serial; allocates O(n_hi) (AM_ERR_NOMEM);
 * walk is called from the calling thread only.
 */
am_status am_referral_same_place(int32_t n, const am_referral_place *low,
                                 int32_t n_hi, const am_referral_place *hi,
                                 am_referral_walk_fn walk, void *user,
                                 uint32_t limit_ds, uint32_t *up_ds,
                                 int32_t *to, uint32_t *direct_ds,
                                 am_error *err);

#endif /* AM_REFERRAL_H */
