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
 * instead of branching.
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

/*
 * The operations are macros over the caller's record array `rec` (indexed
 * by node, rec[-1] the dummy; each record has an am_dial_link member `q`)
 * and the queue's arrays `bucket` and `occ` (local copies of q->bucket and
 * q->occ): type-generic, and compiled exactly as code written out for that
 * record type (inline functions through a byte stride measured 8 % more
 * instructions per settled node in the search). Arguments are evaluated
 * more than once: pass plain variables.
 */

/* Puts node v (not queued) first in bucket t. */
#define AM_DIAL_PUSH(rec, bucket, occ, v, t)                                   \
    do {                                                                       \
        const int32_t dial_h_ = (bucket)[t] - 1;                               \
        (rec)[v].q.next = dial_h_;                                             \
        (rec)[v].q.prev = -1;                                                  \
        (rec)[dial_h_].q.prev = (v); /* the dummy when empty */                \
        (bucket)[t] = (v) + 1;                                                 \
        (occ)[(t) >> 6] |= (uint64_t)1 << ((t)&63);                            \
    } while (0)

/* Takes node v out of bucket t, where it is queued. */
#define AM_DIAL_REMOVE(rec, bucket, occ, v, t)                                 \
    do {                                                                       \
        const int32_t dial_p_ = (rec)[v].q.prev, dial_n_ = (rec)[v].q.next;    \
        if (dial_p_ >= 0) {                                                    \
            (rec)[dial_p_].q.next = dial_n_;                                   \
        } else {                                                               \
            (bucket)[t] = dial_n_ + 1;                                         \
            if (dial_n_ < 0)                                                   \
                (occ)[(t) >> 6] &= ~((uint64_t)1 << ((t)&63));                 \
        }                                                                      \
        if (dial_n_ >= 0)                                                      \
            (rec)[dial_n_].q.prev = dial_p_;                                   \
    } while (0)

/*
 * Pops the first node of the first non-empty bucket >= b (a uint32_t
 * variable; the queue must not be empty nor hold anything below b) into
 * u (an int32_t variable); b becomes that bucket's time. rec[u].q.next
 * still names the node popped after u from the same bucket (-1: none),
 * for prefetching.
 */
#define AM_DIAL_POP(rec, bucket, occ, b, u)                                    \
    do {                                                                       \
        uint32_t dial_w_ = (b) >> 6;                                           \
        uint64_t dial_x_ = (occ)[dial_w_] & (~(uint64_t)0 << ((b)&63));        \
        while (dial_x_ == 0)                                                   \
            dial_x_ = (occ)[++dial_w_];                                        \
        (b) = (dial_w_ << 6) | (uint32_t)__builtin_ctzll(dial_x_);             \
        (u) = (bucket)[b] - 1;                                                 \
        const int32_t dial_n_ = (rec)[u].q.next;                               \
        (bucket)[b] = dial_n_ + 1;                                             \
        (rec)[dial_n_].q.prev = -1; /* the dummy when u was the last */        \
        (occ)[dial_w_] &= ~((uint64_t)(dial_n_ < 0) << ((b)&63));              \
    } while (0)

#endif /* AM_DIAL_H */
