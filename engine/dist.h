/*
 * dist.h: a run split between MPI processes (issue 12), and the same calls
 * as no-ops in the serial build.
 *
 * Built with ACCESSIM_MPI, `mpirun -n N accessim run` starts N ranks that
 * each build the model (the same inputs, the same arrays), then split the
 * catchment searches of every facility set by fixed blocks of
 * AM_DIST_BLOCK facilities: rank r of N computes blocks
 * [nb r / N, nb (r + 1) / N) of the set's nb blocks, a contiguous range of
 * facilities. The ranges are gathered onto every rank in facility order
 * (rank order is facility order: the ranges are contiguous and ascending),
 * and each rank then runs the serial measures on the whole catchments. A
 * catchment row is the output of one deterministic search, whoever
 * computes it, and no floating-point value is summed across ranks, so the
 * results are bitwise identical to a one-process run for any N
 * (docs/mpi.md). Rank 0 writes the output with the serial writer.
 *
 * Errors: every collective below is an agreement. A rank that fails
 * carries its status to the next agreement instead of returning past it;
 * there every rank learns the status and error of the lowest failing rank
 * and returns it, so a bad input seen by one rank ends all ranks with one
 * message, never a hang. The rule for callers: between two agreements no
 * rank may skip one that the others reach.
 *
 * Without ACCESSIM_MPI, or before am_dist_init, or in a library user's
 * process that never calls it: one rank, every call returns at once.
 * Not thread-safe: call from the main thread only (MPI_THREAD_FUNNELED).
 */
#ifndef AM_ENGINE_DIST_H
#define AM_ENGINE_DIST_H

#include <stdint.h>

#include "common/error.h"
#include "kernels/catchment.h"

/* Facilities per block of work: fixed, independent of the rank count. */
#define AM_DIST_BLOCK 8

/* Starts MPI when built with it (argc, argv as main's); a no-op without. */
void am_dist_init(int *argc, char ***argv);

/*
 * Agrees on the exit status st (every rank calls it once, last), finalizes
 * MPI and returns the status to exit with: the lowest failing rank's, or
 * 0. A no-op returning st without MPI.
 */
int am_dist_finish(int st);

/* This process's rank and the number of ranks (0 and 1 without MPI). */
int am_dist_rank(void);
int am_dist_size(void);

/*
 * The agreement: every rank passes its own status; all return the lowest
 * failing rank's status with its error copied into *err (err may be NULL),
 * or AM_OK when all succeeded. Collective.
 */
am_status am_dist_agree(am_status rc, am_error *err);

/* The same for CLI exit statuses (0: fine): returns the lowest failing
 * rank's status, or 0. *from gets that rank (-1 when none). Collective. */
int am_dist_agree_exit(int st, int *from);

/* This rank's range of n sources: [*first, *first + *count). */
void am_dist_range(int32_t n, int32_t *first, int32_t *count);

/*
 * Gathers every rank's catchment range into the whole set's catchments of
 * n rows (an agreement first: rc is this rank's status so far, *rows its
 * range, NULL on failure). On return *rows is the whole set on every rank
 * (the range's rows freed) or NULL with the agreed error. budget > 0: the
 * memory cap's room for entries (AM_ERR_NOMEM beyond it, as a one-process
 * run's search would stop). Collective; a no-op with one rank.
 */
am_status am_dist_gather_catchments(am_status rc, int32_t n,
                                    am_catchments **rows, int64_t budget,
                                    am_error *err);

#endif /* AM_ENGINE_DIST_H */
