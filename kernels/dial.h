/*
 * dial.h: Dial's bucket queue on whole deciseconds, shared by the bounded
 * search (search.c) and the multi-source nearest search (nearest.c).
 * Private to kernels/.
 *
 * Dial (1969), "Algorithm 360: shortest-path forest with topological
 * ordering", CACM 12(11):632-633: the tentative times are small integers,
 * so the queue is an array of buckets indexed by time. Bucket t holds the
 * nodes whose tentative time is t in a doubly linked list threaded through
 * the nodes' own records (an am_dial_link member of the caller's per-node
 * record, so that a relaxation touches one cache line: the time, and
 * whatever else the caller keeps, and the links), which makes a
 * decrease-key an unlink and a link, O(1). A bitmap of the non-empty
 * buckets finds the next one a word of 64 buckets at a time.
 *
 * The caller's records are an array with one dummy record before node 0:
 * the list updates that touch "no node" (-1) write the dummy's links
 * instead of branching. The queue addresses the links through `base`
 * (the link member of node 0's record) and `stride` (the record size):
 * with a constant stride the inline functions compile to plain indexing.
 *
 * bucket[t] stores the first node + 1 (0: empty), so a zeroed array (calloc)
 * is an empty queue and only the pages of the times a search reaches are
 * ever touched. Invariant between searches: every bucket is empty and the
 * bitmap is all zero (a search that empties its queue leaves it so).
 *
 * Allocation: am_dial_init only. Not thread-safe on one queue.
 */
#ifndef AM_DIAL_H
#define AM_DIAL_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

/* A node's place in its bucket's list: -1 ends the list either way. */
typedef struct am_dial_link {
    int32_t next; /* next node in its bucket, -1: last */
    int32_t prev; /* previous node in its bucket, -1: first */
} am_dial_link;

typedef struct am_dial {
    int32_t *bucket; /* [n_buckets] first node + 1, 0: empty */
    uint64_t *occ;   /* [n_buckets / 64 + 1] bit t: bucket t not empty */
    uint32_t n_buckets;
} am_dial;

/* An empty queue for times 0 .. n_buckets - 1. AM_ERR_NOMEM (q then
 * holds nothing; am_dial_free accepts it). */
am_status am_dial_init(am_dial *q, uint32_t n_buckets);

/* Frees the arrays; q may be zeroed or half made. */
void am_dial_free(am_dial *q);

/* The links of node v (v = -1: the dummy). */
static inline am_dial_link *am_dial_at(char *base, size_t stride, int32_t v)
{
    return (am_dial_link *)(base + (ptrdiff_t)v * (ptrdiff_t)stride);
}

/* Puts v (not queued) first in bucket t < n_buckets. */
static inline void am_dial_push(am_dial *q, char *base, size_t stride,
                                int32_t v, uint32_t t)
{
    const int32_t h = q->bucket[t] - 1;
    am_dial_link *lv = am_dial_at(base, stride, v);
    lv->next = h;
    lv->prev = -1;
    am_dial_at(base, stride, h)->prev = v; /* the dummy when empty */
    q->bucket[t] = v + 1;
    q->occ[t >> 6] |= (uint64_t)1 << (t & 63);
}

/* Takes v out of bucket t (where it is queued). */
static inline void am_dial_remove(am_dial *q, char *base, size_t stride,
                                  int32_t v, uint32_t t)
{
    const am_dial_link *lv = am_dial_at(base, stride, v);
    const int32_t p = lv->prev, nx = lv->next;
    if (p >= 0) {
        am_dial_at(base, stride, p)->next = nx;
    } else {
        q->bucket[t] = nx + 1;
        if (nx < 0)
            q->occ[t >> 6] &= ~((uint64_t)1 << (t & 63));
    }
    if (nx >= 0)
        am_dial_at(base, stride, nx)->prev = p;
}

/*
 * Pops the first node of the first non-empty bucket >= *b (the queue must
 * not be empty, and hold nothing below *b); *b becomes that bucket's time.
 * The popped node's next link still names the node popped after it from
 * the same bucket (-1: none), for prefetching.
 */
static inline int32_t am_dial_pop(am_dial *q, char *base, size_t stride,
                                  uint32_t *b)
{
    uint32_t w = *b >> 6;
    uint64_t x = q->occ[w] & (~(uint64_t)0 << (*b & 63));
    while (x == 0)
        x = q->occ[++w];
    const uint32_t t = (w << 6) | (uint32_t)__builtin_ctzll(x);
    const int32_t u = q->bucket[t] - 1;
    const int32_t nx = am_dial_at(base, stride, u)->next;
    q->bucket[t] = nx + 1;
    am_dial_at(base, stride, nx)->prev = -1; /* the dummy when u was last */
    q->occ[w] &= ~((uint64_t)(nx < 0) << (t & 63));
    *b = t;
    return u;
}

#endif /* AM_DIAL_H */
