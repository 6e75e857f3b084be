/*
 * test_referral.c: kernels/referral.h against a serial oracle.
 *  - a hand case: a one-way ring where the way up and the way back
 *    differ (orientation), a tie broken to the lowest row, an off-network
 *    point and a higher point beyond the limit;
 *  - random graphs with random links: am_nearest_nodes + am_referral_up
 *    and am_referral_back against plain Dijkstra (O(n^2), no queue) from
 *    every lower point's origin links, every higher point's destination
 *    links and back; the same bytes for 1, 2, 3 and 8 threads;
 *  - same place (am_referral_same_place): a hand case where a co-located
 *    higher point (0 min on foot) beats one nearer by the network, and the
 *    random graphs again with places drawn from a small pool (so that
 *    points share them), against the oracle's min over every higher point
 *    of the network time and, at an equal place, the walk.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "thread_counts.h"

#include "common/units.h"
#include "kernels/graph.h"
#include "kernels/nearest.h"
#include "kernels/referral.h"

#define INF AM_TIME_INF

/* Plain Dijkstra (Dijkstra 1959, the O(n^2) form) from seeds on arcs
 * (tail, head, time): dist[v] (INF unreached). */
static void oracle_dist(int32_t n, int64_t m, const int32_t *tail,
                        const int32_t *head, const uint32_t *time, int n_seeds,
                        const int32_t *seed, const uint32_t *t0, uint64_t *dist)
{
    char *done = calloc((size_t)n, 1);
    for (int32_t v = 0; v < n; v++)
        dist[v] = UINT64_MAX;
    for (int s = 0; s < n_seeds; s++)
        if (seed[s] >= 0 && t0[s] < dist[seed[s]])
            dist[seed[s]] = t0[s];
    for (;;) {
        int32_t u = -1;
        for (int32_t v = 0; v < n; v++)
            if (!done[v] && dist[v] != UINT64_MAX &&
                (u < 0 || dist[v] < dist[u]))
                u = v;
        if (u < 0)
            break;
        done[u] = 1;
        for (int64_t a = 0; a < m; a++)
            if (tail[a] == u && dist[u] + time[a] < dist[head[a]])
                dist[head[a]] = dist[u] + time[a];
    }
    free(done);
}

typedef struct problem {
    int32_t n;
    int64_t m;
    int32_t *tail, *head;
    uint32_t *time;
    int32_t n_lo, n_hi;
    /* links: [2 i + k]; o = origin (leave), d = destination (reach) */
    int32_t *lo_onode, *lo_dnode, *hi_onode, *hi_dnode;
    uint32_t *lo_ooff, *lo_doff, *hi_ooff, *hi_doff;
    uint32_t limit;
    /* same place (NULL: not used): places [n_lo], [n_hi] and the walk
       between lower i and higher j, walk[i * n_hi + j] */
    am_referral_place *lo_place, *hi_place;
    uint32_t *walk;
} problem;

static uint32_t walk_of(int32_t i, int32_t j, void *user)
{
    const problem *p = user;
    return p->walk[(size_t)i * (size_t)p->n_hi + (size_t)j];
}

/* The oracle's same place: every field equal, some link present. */
static int same_place(const problem *p, int32_t i, int32_t j)
{
    if (p->lo_place == NULL)
        return 0;
    const am_referral_place *a = &p->lo_place[i], *b = &p->hi_place[j];
    return (a->node[0] >= 0 || a->node[1] >= 0) && a->node[0] == b->node[0] &&
           a->node[1] == b->node[1] && a->drive_ds[0] == b->drive_ds[0] &&
           a->drive_ds[1] == b->drive_ds[1];
}

/* The oracle: time from point a (origin links) to point b (destination
 * links), INF beyond limit. */
static uint64_t oracle_pair(const problem *p, const int32_t *onode,
                            const uint32_t *ooff, int32_t a,
                            const int32_t *dnode, const uint32_t *doff,
                            int32_t b)
{
    uint64_t *dist = malloc((size_t)p->n * sizeof *dist);
    int32_t seed[2];
    uint32_t t0[2];
    int ns = 0;
    for (int k = 0; k < 2; k++)
        if (onode[2 * a + k] >= 0) {
            seed[ns] = onode[2 * a + k];
            t0[ns++] = ooff[2 * a + k];
        }
    oracle_dist(p->n, p->m, p->tail, p->head, p->time, ns, seed, t0, dist);
    uint64_t best = UINT64_MAX;
    for (int k = 0; k < 2; k++) {
        const int32_t v = dnode[2 * b + k];
        if (v >= 0 && dist[v] != UINT64_MAX && dist[v] + doff[2 * b + k] < best)
            best = dist[v] + doff[2 * b + k];
    }
    free(dist);
    return best <= p->limit ? best : INF;
}

/* Runs the kernels with threads and checks them against the oracle;
 * returns the back times (malloc'd) for the determinism check. */
static uint32_t *run_and_check(const problem *p, int threads, uint32_t slack_ds,
                               int32_t **to_out, uint32_t **up_out)
{
    am_graph *g = NULL, *gr = NULL;
    assert_int_equal(
        am_graph_build(p->n, p->m, p->tail, p->head, p->time, &g, NULL), AM_OK);
    assert_int_equal(am_graph_reverse(g, &gr, NULL), AM_OK);
    uint32_t *node_ds = malloc((size_t)p->n * sizeof *node_ds);
    int32_t *node_src = malloc((size_t)p->n * sizeof *node_src);
    uint32_t *up = malloc((size_t)(p->n_lo + 1) * sizeof *up);
    uint32_t *back = malloc((size_t)(p->n_lo + 1) * sizeof *back);
    int32_t *to = malloc((size_t)(p->n_lo + 1) * sizeof *to);
    assert_int_equal(am_nearest_nodes(gr, p->n_hi, p->hi_dnode, p->hi_doff,
                                      p->limit, node_ds, node_src, NULL),
                     AM_OK);
    am_referral_up(p->n_lo, p->lo_onode, p->lo_ooff, node_ds, node_src,
                   p->limit, up, to);
    uint32_t *direct = malloc((size_t)(p->n_lo + 1) * sizeof *direct);
    if (p->lo_place != NULL)
        assert_int_equal(am_referral_same_place(p->n_lo, p->lo_place, p->n_hi,
                                                p->hi_place, walk_of, (void *)p,
                                                p->limit, up, to, direct, NULL),
                         AM_OK);
    assert_int_equal(am_referral_back(g, p->n_hi, p->hi_onode, p->hi_ooff,
                                      p->n_lo, to, up, p->lo_dnode, p->lo_doff,
                                      p->limit, slack_ds, threads, back, NULL),
                     AM_OK);
    for (int32_t i = 0; p->lo_place != NULL && i < p->n_lo; i++)
        if (direct[i] < back[i])
            back[i] = direct[i];
    free(direct);
    for (int32_t i = 0; i < p->n_lo; i++) {
        uint64_t best = INF;
        int32_t best_j = -1;
        for (int32_t j = 0; j < p->n_hi; j++) {
            uint64_t t = oracle_pair(p, p->lo_onode, p->lo_ooff, i, p->hi_dnode,
                                     p->hi_doff, j);
            if (same_place(p, i, j) && walk_of(i, j, (void *)p) < t &&
                walk_of(i, j, (void *)p) <= p->limit)
                t = walk_of(i, j, (void *)p);
            if (t != INF && (best_j < 0 || t < best)) {
                best = t;
                best_j = j;
            }
        }
        assert_int_equal(to[i], best_j);
        assert_int_equal(up[i], (uint32_t)best);
        uint64_t b = best_j < 0
                         ? INF
                         : oracle_pair(p, p->hi_onode, p->hi_ooff, best_j,
                                       p->lo_dnode, p->lo_doff, i);
        if (best_j >= 0 && same_place(p, i, best_j) &&
            walk_of(i, best_j, (void *)p) < b &&
            walk_of(i, best_j, (void *)p) <= p->limit)
            b = walk_of(i, best_j, (void *)p);
        assert_int_equal(back[i], (uint32_t)b);
    }
    free(node_ds);
    free(node_src);
    am_graph_destroy(g);
    am_graph_destroy(gr);
    *to_out = to;
    *up_out = up;
    return back;
}

/*
 * Ring 0 -> 1 -> 2 -> 3 -> 0, 10 ds each, one way. Lower points: A at
 * node 0 (both roles), B off network, C at node 2. Higher points: X at
 * node 1 and Y at node 3, and Z at node 1 too (a tie with X: X, the lower
 * row, wins). From A: up to X 10 (0 -> 1), back X -> A 30 (1 -> 2 -> 3 ->
 * 0). From C: up to Y 10, back 30. B: unreachable, no higher point.
 */
static void test_ring(void **state)
{
    (void)state;
    int32_t tail[4] = {0, 1, 2, 3}, head[4] = {1, 2, 3, 0};
    uint32_t time[4] = {10, 10, 10, 10};
    int32_t lo_node[6] = {0, -1, -1, -1, 2, -1};
    uint32_t lo_off[6] = {0, 0, 0, 0, 0, 0};
    int32_t hi_node[6] = {1, -1, 3, -1, 1, -1};
    uint32_t hi_off[6] = {0, 0, 0, 0, 0, 0};
    problem p = {4,       4,       tail,    head,    time,   3,      3,
                 lo_node, lo_node, hi_node, hi_node, lo_off, lo_off, hi_off,
                 hi_off,  1000,    NULL,    NULL,    NULL};
    int32_t *to;
    uint32_t *up;
    /* slack 0: the first search goes to 2 x 10 = 20 ds, short of the
       way back (30): the second, full one finds it */
    uint32_t *back = run_and_check(&p, 2, 0, &to, &up);
    assert_int_equal(to[0], 0);
    assert_int_equal(up[0], 10);
    assert_int_equal(back[0], 30);
    assert_int_equal(to[1], -1);
    assert_int_equal(up[1], INF);
    assert_int_equal(back[1], INF);
    assert_int_equal(to[2], 1);
    assert_int_equal(up[2], 10);
    assert_int_equal(back[2], 30);
    free(to);
    free(up);
    free(back);
    /* a limit of 20 ds: the way back (30) is beyond it */
    p.limit = 20;
    back = run_and_check(&p, 1, 18000, &to, &up);
    assert_int_equal(up[0], 10);
    assert_int_equal(back[0], INF);
    free(to);
    free(up);
    free(back);
}

/*
 * Same place. A two-way road 0 <-> 1, 10 ds each way. Lower point A
 * meets it at node 0 after a 30 ds walk (a building set back from the
 * road). Higher X: at node 1, 5 ds from it; higher Y: in A's building
 * (the same place, 0 ds apart on foot). Through the network A -> Y is
 * 30 + 30 = 60 ds (walk out and back in), A -> X 30 + 10 + 5 = 45: X
 * would win. Compared by place first, Y wins at 0, both ways. Lower B
 * shares the place too but is 80 ds away on foot: the network's X (45)
 * stays.
 */
static void test_same_place(void **state)
{
    (void)state;
    int32_t tail[2] = {0, 1}, head[2] = {1, 0};
    uint32_t time[2] = {10, 10};
    int32_t lo_node[4] = {0, -1, 0, -1};
    uint32_t lo_off[4] = {30, INF, 30, INF};
    int32_t hi_node[4] = {1, -1, 0, -1};
    uint32_t hi_off[4] = {5, INF, 30, INF};
    am_referral_place lo_place[2] = {{{0, -1}, {0, INF}}, {{0, -1}, {0, INF}}};
    am_referral_place hi_place[2] = {{{1, -1}, {0, INF}}, {{0, -1}, {0, INF}}};
    uint32_t walk[4] = {900, 0, 900, 80}; /* [i * 2 + j] */
    problem p = {2,       2,       tail,     head,     time,   2,      2,
                 lo_node, lo_node, hi_node,  hi_node,  lo_off, lo_off, hi_off,
                 hi_off,  1000,    lo_place, hi_place, walk};
    int32_t *to;
    uint32_t *up;
    uint32_t *back = run_and_check(&p, 1, 18000, &to, &up);
    assert_int_equal(to[0], 1);
    assert_int_equal(up[0], 0);
    assert_int_equal(back[0], 0);
    assert_int_equal(to[1], 0);
    assert_int_equal(up[1], 45);
    assert_int_equal(back[1], 45);
    free(to);
    free(up);
    free(back);
    /* without places, A goes to X */
    p.lo_place = p.hi_place = NULL;
    back = run_and_check(&p, 1, 18000, &to, &up);
    assert_int_equal(to[0], 0);
    assert_int_equal(up[0], 45);
    free(to);
    free(up);
    free(back);
}

static uint32_t rnd(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(*s >> 33);
}

static void random_links(uint64_t *s, int32_t n_pts, int32_t n, int32_t *node,
                         uint32_t *off)
{
    for (int32_t i = 0; i < n_pts; i++) {
        const int off_net = rnd(s) % 10 == 0;
        node[2 * i] = off_net ? -1 : (int32_t)(rnd(s) % (uint32_t)n);
        node[2 * i + 1] =
            off_net || rnd(s) % 2 ? -1 : (int32_t)(rnd(s) % (uint32_t)n);
        off[2 * i] = rnd(s) % 50;
        off[2 * i + 1] = rnd(s) % 50;
    }
}

static void test_random(void **state)
{
    (void)state;
    uint64_t s = 12345;
    for (int round = 0; round < 20; round++) {
        problem p;
        p.n = 10 + (int32_t)(rnd(&s) % 60);
        p.m = (int64_t)p.n * (1 + rnd(&s) % 3);
        p.tail = malloc((size_t)p.m * sizeof *p.tail);
        p.head = malloc((size_t)p.m * sizeof *p.head);
        p.time = malloc((size_t)p.m * sizeof *p.time);
        for (int64_t a = 0; a < p.m; a++) {
            p.tail[a] = (int32_t)(rnd(&s) % (uint32_t)p.n);
            p.head[a] = (int32_t)(rnd(&s) % (uint32_t)p.n);
            p.time[a] = rnd(&s) % 8 == 0 ? 0 : rnd(&s) % 100; /* ties too */
        }
        p.n_lo = 1 + (int32_t)(rnd(&s) % 15);
        p.n_hi = 1 + (int32_t)(rnd(&s) % 6);
        const size_t l2 = 2 * (size_t)p.n_lo, h2 = 2 * (size_t)p.n_hi;
        p.lo_onode = malloc(l2 * sizeof(int32_t));
        p.lo_dnode = malloc(l2 * sizeof(int32_t));
        p.lo_ooff = malloc(l2 * sizeof(uint32_t));
        p.lo_doff = malloc(l2 * sizeof(uint32_t));
        p.hi_onode = malloc(h2 * sizeof(int32_t));
        p.hi_dnode = malloc(h2 * sizeof(int32_t));
        p.hi_ooff = malloc(h2 * sizeof(uint32_t));
        p.hi_doff = malloc(h2 * sizeof(uint32_t));
        random_links(&s, p.n_lo, p.n, p.lo_onode, p.lo_ooff);
        random_links(&s, p.n_lo, p.n, p.lo_dnode, p.lo_doff);
        random_links(&s, p.n_hi, p.n, p.hi_onode, p.hi_ooff);
        random_links(&s, p.n_hi, p.n, p.hi_dnode, p.hi_doff);
        p.limit = round % 3 == 0 ? 150 : 100000;
        /* odd rounds: places from a pool of 3 (one off network), walks
           0-199 ds (some beyond the limit of 150) */
        p.lo_place = p.hi_place = NULL;
        p.walk = NULL;
        am_referral_place pool[3] = {
            {{2, 5}, {7, 3}}, {{1, -1}, {0, INF}}, {{-1, -1}, {INF, INF}}};
        if (round % 2 == 1) {
            p.lo_place = malloc((size_t)p.n_lo * sizeof *p.lo_place);
            p.hi_place = malloc((size_t)p.n_hi * sizeof *p.hi_place);
            p.walk = malloc((size_t)p.n_lo * (size_t)p.n_hi * sizeof *p.walk);
            for (int32_t i = 0; i < p.n_lo; i++)
                p.lo_place[i] = pool[rnd(&s) % 3];
            for (int32_t j = 0; j < p.n_hi; j++)
                p.hi_place[j] = pool[rnd(&s) % 3];
            for (int32_t k = 0; k < p.n_lo * p.n_hi; k++)
                p.walk[k] = rnd(&s) % 200;
        }
        int32_t *to[AM_TEST_N_THREADS];
        uint32_t *up[AM_TEST_N_THREADS], *back[AM_TEST_N_THREADS];
        /* slack 0 (a second search often needed) or plenty */
        const uint32_t slack = round % 2 == 0 ? 0 : 18000;
        for (int t = 0; t < AM_TEST_N_THREADS; t++)
            back[t] =
                run_and_check(&p, am_test_threads[t], slack, &to[t], &up[t]);
        for (int t = 1; t < AM_TEST_N_THREADS; t++) {
            const int nt = am_test_threads[t];
            assert_same_at_threads(to[t], to[0], (size_t)p.n_lo * sizeof **to,
                                   nt);
            assert_same_at_threads(up[t], up[0], (size_t)p.n_lo * sizeof **up,
                                   nt);
            assert_same_at_threads(back[t], back[0],
                                   (size_t)p.n_lo * sizeof **back, nt);
        }
        for (int t = 0; t < AM_TEST_N_THREADS; t++) {
            free(to[t]);
            free(up[t]);
            free(back[t]);
        }
        free(p.tail);
        free(p.head);
        free(p.time);
        free(p.lo_onode);
        free(p.lo_dnode);
        free(p.lo_ooff);
        free(p.lo_doff);
        free(p.hi_onode);
        free(p.hi_dnode);
        free(p.hi_ooff);
        free(p.hi_doff);
        free(p.lo_place);
        free(p.hi_place);
        free(p.walk);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ring),
        cmocka_unit_test(test_random),
        cmocka_unit_test(test_same_place),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
