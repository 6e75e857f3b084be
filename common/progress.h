/*
 * progress.h: the progress callback used by every long-running step.
 *
 * Same shape as GDAL's GDALProgressFunc (fraction in [0,1], an optional
 * message, the caller's pointer), so GDALTermProgress can be passed straight
 * through. Return non-zero to go on, 0 to ask the step to stop; a step that
 * stops returns AM_ERR_CANCELLED. A NULL callback means "no progress".
 * Kernels call it only from the calling (master) thread, outside parallel
 * work, so the callback need not be thread-safe.
 */
#ifndef AM_PROGRESS_H
#define AM_PROGRESS_H

#include <accessim.h> /* am_progress_fn, defined there for API users */

#endif /* AM_PROGRESS_H */
