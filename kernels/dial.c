/*
 * dial.c: the bucket queue's arrays (see dial.h).
 */
#include "kernels/dial.h"

#include "common/alloc.h"

am_status am_dial_init(am_dial *q, uint32_t n_buckets)
{
    q->n_buckets = n_buckets;
    q->bucket = am_calloc((size_t)n_buckets + 1, sizeof *q->bucket);
    q->occ = am_calloc((size_t)n_buckets / 64 + 1, sizeof *q->occ);
    if (q->bucket == NULL || q->occ == NULL) {
        am_dial_free(q);
        return AM_ERR_NOMEM;
    }
    return AM_OK;
}

void am_dial_free(am_dial *q)
{
    am_free(q->bucket);
    am_free(q->occ);
    q->bucket = NULL;
    q->occ = NULL;
    q->n_buckets = 0;
}
