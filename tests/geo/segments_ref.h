/* segments_ref.h: the serial oracle of the segment table (segments_ref.c). */
#ifndef AM_SEGMENTS_REF_H
#define AM_SEGMENTS_REF_H

#include "geo/segments.h"

am_status ref_segments_from_chains(int32_t n_vertices, int64_t n_arcs,
                                   const int32_t *tail, const int32_t *head,
                                   const uint32_t *time_ds,
                                   const am_segment_chains *chains,
                                   const uint8_t *allowed, am_segment **out,
                                   int32_t *n_out, am_error *err);

#endif
