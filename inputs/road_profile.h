/*
 * road_profile.h: travel profiles (which ways are routable, how fast).
 *
 * The built-in "car" profile gives a speed per OSM highway class; a valid
 * maxspeed tag wins over it (km/h, "mph" suffix, "none"/"signals" ignored,
 * implausible values ignored). Non-routable classes (footway, path,
 * cycleway, steps, pedestrian, bridleway, construction, proposed,
 * abandoned, platform, raceway, corridor, ...) are dropped.
 * Pure functions over strings; thread-safe; no allocation.
 */
#ifndef AM_ROAD_PROFILE_H
#define AM_ROAD_PROFILE_H

#include "common/error.h"

typedef enum am_profile_kind { AM_PROFILE_CAR = 1 } am_profile_kind;

/* "car" -> AM_PROFILE_CAR; AM_ERR_INVALID for an unknown name. */
am_status am_profile_from_name(const char *name, am_profile_kind *out,
                               am_error *err);

/* Default speed for a highway class in km/h, or 0 if not routable. */
double am_profile_speed_kmh(am_profile_kind p, const char *highway);

/* Parses an OSM maxspeed value; km/h > 0, or 0 if not usable. */
double am_profile_parse_maxspeed(const char *value);

/*
 * Direction from oneway/junction tags: 0 both ways, 1 forward only,
 * -1 backward only ("-1", "reverse"). junction=roundabout or circular
 * implies forward unless oneway says otherwise; motorway implies oneway.
 */
int am_profile_oneway(const char *oneway, const char *junction,
                      const char *highway);

#endif /* AM_ROAD_PROFILE_H */
