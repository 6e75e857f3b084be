/*
 * h5_errors.h: HDF5's error stack in our words (internal to outputs/).
 * Every HDF5 call of the writer and the reader runs with HDF5's automatic
 * error printing off (am_h5_quiet_*); a failure is then read off the stack
 * as two lines of text, its outermost and innermost descriptions
 * (am_h5_error_take), which the caller puts into one am_error message.
 */
#ifndef AM_H5_ERRORS_H
#define AM_H5_ERRORS_H

#include <hdf5.h>

/*
 * Turns HDF5's dynamic filter plugins off for the process (issue 13,
 * H5PLset_loading_state(0)), once; am_h5_quiet_begin calls it, so every
 * HDF5 use of the writer and the reader runs with plugins off. Our files
 * use HDF5's built-in shuffle and deflate only; a file with another
 * filter fails to read ("filter not available") instead of loading code.
 * Thread-safe.
 */
void am_h5_no_plugins(void);

/* HDF5's automatic error printing, saved and turned off, then restored. */
typedef struct am_h5_quiet {
    H5E_auto2_t func;
    void *data;
    int saved;
} am_h5_quiet;

void am_h5_quiet_begin(am_h5_quiet *q);
void am_h5_quiet_end(const am_h5_quiet *q);

/* The current error stack's outermost (top) and innermost (deepest)
 * descriptions, each on one line ("" when the stack is empty): the sec2
 * driver's "file write failed: ..., error message = 'No space left on
 * device', ..." becomes the quoted system message, control characters
 * become spaces. Clears the stack. */
typedef struct am_h5_errmsg {
    char top[256];
    char deepest[512];
} am_h5_errmsg;

void am_h5_error_take(am_h5_errmsg *m);

#endif /* AM_H5_ERRORS_H */
