/*
 * dist.c: the MPI split of a run (see dist.h, docs/mpi.md). Compiled with
 * AM_WITH_MPI in the MPI build (CMake option ACCESSIM_MPI); without it
 * every call is the one-rank no-op, and nothing links MPI.
 */
#include "engine/dist.h"

#include <limits.h>
#include <string.h>

#include "common/alloc.h"

#ifdef AM_WITH_MPI
#include <mpi.h>

static int g_active; /* MPI initialized by am_dist_init */
static int g_rank;
static int g_size = 1;

void am_dist_init(int *argc, char ***argv)
{
    int provided = 0;
    /* OpenMP threads run inside a rank; only the main thread calls MPI */
    if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) !=
        MPI_SUCCESS)
        return; /* MPI's default handler has aborted already */
    MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &g_size);
    g_active = 1;
}

int am_dist_rank(void)
{
    return g_active ? g_rank : 0;
}

int am_dist_size(void)
{
    return g_active ? g_size : 1;
}

/* The lowest rank whose flag is set, or g_size when none. Collective. */
static int lowest_failing(int failed)
{
    int mine = failed ? g_rank : g_size, first = g_size;
    MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    return first;
}

am_status am_dist_agree(am_status rc, am_error *err)
{
    if (!g_active || g_size == 1)
        return rc;
    const int first = lowest_failing(rc != AM_OK);
    if (first == g_size)
        return AM_OK;
    struct {
        int code;
        am_error e;
    } msg;
    memset(&msg, 0, sizeof msg);
    if (g_rank == first) {
        msg.code = (int)rc;
        if (err != NULL)
            msg.e = *err;
        else
            am_error_set(&msg.e, rc, NULL, "failed on rank %d", first);
    }
    MPI_Bcast(&msg, (int)sizeof msg, MPI_BYTE, first, MPI_COMM_WORLD);
    if (err != NULL)
        *err = msg.e;
    return (am_status)msg.code;
}

int am_dist_agree_exit(int st, int *from)
{
    *from = -1;
    if (!g_active || g_size == 1)
        return st;
    const int first = lowest_failing(st != 0);
    if (first == g_size)
        return 0;
    int v = st;
    MPI_Bcast(&v, 1, MPI_INT, first, MPI_COMM_WORLD);
    *from = first;
    return v;
}

int am_dist_finish(int st)
{
    if (!g_active)
        return st;
    int from = -1;
    st = am_dist_agree_exit(st, &from);
    MPI_Finalize();
    g_active = 0;
    return st;
}

#else /* one rank: no MPI */

void am_dist_init(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
}

int am_dist_rank(void)
{
    return 0;
}

int am_dist_size(void)
{
    return 1;
}

am_status am_dist_agree(am_status rc, am_error *err)
{
    (void)err;
    return rc;
}

int am_dist_agree_exit(int st, int *from)
{
    *from = -1;
    return st;
}

int am_dist_finish(int st)
{
    return st;
}

#endif

/* Rank r's range of n sources out of `size` ranks, by whole blocks. */
static void range_of(int32_t n, int r, int size, int32_t *first, int32_t *count)
{
    const int64_t nb = ((int64_t)n + AM_DIST_BLOCK - 1) / AM_DIST_BLOCK;
    const int64_t b0 = nb * r / size, b1 = nb * (r + 1) / size;
    int64_t lo = b0 * AM_DIST_BLOCK, hi = b1 * AM_DIST_BLOCK;
    if (lo > n)
        lo = n;
    if (hi > n)
        hi = n;
    *first = (int32_t)lo;
    *count = (int32_t)(hi - lo);
}

void am_dist_range(int32_t n, int32_t *first, int32_t *count)
{
    range_of(n, am_dist_rank(), am_dist_size(), first, count);
}

#ifdef AM_WITH_MPI

/* The rows of every rank's range, in rank (= facility) order. */
static am_status gather_rows(int32_t n, const am_catchments *mine,
                             am_catchments **out, int64_t budget, am_error *err)
{
    const int size = g_size;
    am_status rc = AM_OK;
    am_catchments *all = NULL;
    long long *nnz = am_calloc_array((size_t)size, sizeof *nnz);
    int *cnt = am_calloc_array((size_t)size, sizeof *cnt);
    int *dsp = am_calloc_array((size_t)size, sizeof *dsp);
    int64_t *row_size = am_calloc_array((size_t)n + 1, sizeof *row_size);
    if (nnz == NULL || cnt == NULL || dsp == NULL || row_size == NULL)
        rc = am_error_set(err, AM_ERR_NOMEM, NULL,
                          "out of memory gathering the catchments");
    if ((rc = am_dist_agree(rc, err)) != AM_OK)
        goto done;
    long long my_nnz = (long long)am_catchments_nnz(mine);
    MPI_Allgather(&my_nnz, 1, MPI_LONG_LONG, nnz, 1, MPI_LONG_LONG,
                  MPI_COMM_WORLD);
    /* the same figures on every rank: the same decisions, no agreement */
    long long total = 0;
    for (int r = 0; r < size; r++)
        total += nnz[r];
    if (budget > 0 && total > budget) {
        rc = am_error_set(err, AM_ERR_NOMEM, NULL,
                          "the catchments hold %lld entries; the memory cap "
                          "leaves room for %lld",
                          total, (long long)budget);
        goto done;
    }
    if (total > INT_MAX) {
        rc = am_error_set(err, AM_ERR_NOMEM, NULL,
                          "the catchments hold %lld entries; gathering them "
                          "between MPI ranks is limited to %d in this "
                          "version (docs/mpi.md)",
                          total, INT_MAX);
        goto done;
    }
    rc = am_catchments_create(n, mine->n_cols, mine->limit_ds, (int64_t)total,
                              &all);
    if (rc != AM_OK)
        rc = am_error_set(err, AM_ERR_NOMEM, NULL,
                          "out of memory for the catchments' %lld entries",
                          total);
    if ((rc = am_dist_agree(rc, err)) != AM_OK)
        goto done;
    /* row sizes, then entries, each rank's range at its place */
    int32_t first = 0, count = 0;
    am_dist_range(n, &first, &count);
    for (int32_t i = 0; i < count; i++)
        row_size[first + i] = mine->first[i + 1] - mine->first[i];
    for (int r = 0; r < size; r++) {
        int32_t f = 0, c = 0;
        range_of(n, r, size, &f, &c);
        cnt[r] = c;
        dsp[r] = f;
    }
    MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, row_size, cnt, dsp,
                   MPI_INT64_T, MPI_COMM_WORLD);
    all->first[0] = 0;
    for (int32_t i = 0; i < n; i++)
        all->first[i + 1] = all->first[i] + row_size[i];
    long long at = 0;
    for (int r = 0; r < size; r++) {
        cnt[r] = (int)nnz[r];
        dsp[r] = (int)at;
        at += nnz[r];
    }
    MPI_Allgatherv(mine->col, (int)my_nnz, MPI_INT32_T, all->col, cnt, dsp,
                   MPI_INT32_T, MPI_COMM_WORLD);
    if (all->time16 != NULL)
        MPI_Allgatherv(mine->time16, (int)my_nnz, MPI_UINT16_T, all->time16,
                       cnt, dsp, MPI_UINT16_T, MPI_COMM_WORLD);
    else
        MPI_Allgatherv(mine->time_ds, (int)my_nnz, MPI_UINT32_T, all->time_ds,
                       cnt, dsp, MPI_UINT32_T, MPI_COMM_WORLD);
    *out = all;
    all = NULL;
done:
    am_catchments_destroy(all);
    am_free(nnz);
    am_free(cnt);
    am_free(dsp);
    am_free(row_size);
    return rc;
}

am_status am_dist_gather_catchments(am_status rc, int32_t n,
                                    am_catchments **rows, int64_t budget,
                                    am_error *err)
{
    if (!g_active || g_size == 1)
        return rc;
    if ((rc = am_dist_agree(rc, err)) == AM_OK) {
        am_catchments *all = NULL;
        rc = gather_rows(n, *rows, &all, budget, err);
        if (rc == AM_OK) {
            am_catchments_destroy(*rows);
            *rows = all;
            return AM_OK;
        }
    }
    am_catchments_destroy(*rows);
    *rows = NULL;
    return rc;
}

#else

am_status am_dist_gather_catchments(am_status rc, int32_t n,
                                    am_catchments **rows, int64_t budget,
                                    am_error *err)
{
    (void)n;
    (void)rows;
    (void)budget;
    (void)err;
    return rc;
}

#endif
