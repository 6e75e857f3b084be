/*
 * test_pgrouting.c: bounded Dijkstra against pgRouting's own documented
 * pgr_drivingDistance results (tests/data/pgrouting, CC BY-SA 3.0).
 *
 * Both the graph (edges.csv) and the expected rows (the verbatim .result
 * file of pgRouting's docqueries) are read at run time, so nothing here is
 * hand-copied from them. Costs are scaled x10 to deciseconds; a negative
 * cost or reverse_cost closes that direction, as in pgRouting. Node sets
 * and aggregate costs are compared, not predecessor edges (equal-cost paths
 * may legitimately differ).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/units.h"
#include "kernels/graph.h"
#include "kernels/search.h"

#define EDGES_CSV AM_TEST_DATA "/pgrouting/edges.csv"
#define RESULT_FILE                                                            \
    AM_TEST_DATA "/pgrouting/expected_pgr_drivingDistance.result"
#define SCALE 10.0 /* cost units -> ds */
#define MAX_EDGES 64
#define MAX_ROWS 64

typedef struct edge {
    int32_t source, target;
    double cost, reverse_cost;
} edge;

typedef struct edge_list {
    int n;
    int32_t max_node;
    edge e[MAX_EDGES];
} edge_list;

static void read_edges(edge_list *el)
{
    FILE *f = fopen(EDGES_CSV, "r");
    assert_non_null(f);
    char line[512];
    assert_non_null(fgets(line, sizeof line, f)); /* header */
    assert_int_equal(strncmp(line, "id,source,target,cost,reverse_cost", 34),
                     0);
    el->n = 0;
    el->max_node = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        if (line[0] == '\n' || line[0] == '\0')
            continue;
        assert_true(el->n < MAX_EDGES);
        char *p = line, *end;
        (void)strtol(p, &end, 10); /* id */
        assert_true(*end == ',');
        edge *e = &el->e[el->n];
        e->source = (int32_t)strtol(end + 1, &end, 10);
        assert_true(*end == ',');
        e->target = (int32_t)strtol(end + 1, &end, 10);
        assert_true(*end == ',');
        e->cost = strtod(end + 1, &end);
        assert_true(*end == ',');
        e->reverse_cost = strtod(end + 1, &end);
        assert_true(*end == ',');
        if (e->source > el->max_node)
            el->max_node = e->source;
        if (e->target > el->max_node)
            el->max_node = e->target;
        el->n++;
    }
    fclose(f);
    assert_int_equal(el->n, 18);
}

/* Node ids are pgRouting's vertex ids (node 0 is simply unused). */
static am_graph *build(const edge_list *el, int directed)
{
    int32_t tail[4 * MAX_EDGES], head[4 * MAX_EDGES];
    uint32_t time[4 * MAX_EDGES];
    int64_t m = 0;
    for (int i = 0; i < el->n; i++) {
        const edge *e = &el->e[i];
        const double costs[2] = {e->cost, e->reverse_cost};
        for (int dir = 0; dir < 2; dir++) {
            if (costs[dir] < 0)
                continue; /* direction closed */
            const uint32_t t = (uint32_t)lround(costs[dir] * SCALE);
            const int32_t a = dir == 0 ? e->source : e->target;
            const int32_t b = dir == 0 ? e->target : e->source;
            tail[m] = a;
            head[m] = b;
            time[m] = t;
            m++;
            if (!directed) { /* undirected: each usable cost both ways */
                tail[m] = b;
                head[m] = a;
                time[m] = t;
                m++;
            }
        }
    }
    am_graph *g = NULL;
    assert_int_equal(
        am_graph_build(el->max_node + 1, m, tail, head, time, &g, NULL), AM_OK);
    assert_int_equal(am_graph_validate(g, NULL), AM_OK);
    return g;
}

/* One expected row: start vertex, reached node, aggregate cost. */
typedef struct dd_row {
    int32_t from, node;
    double agg_cost;
} dd_row;

/*
 * Parses the rows of query `tag` ("q5", ...) from the .result file:
 * "seq | [from_v |] node | edge | cost | agg_cost", up to "(N rows)".
 * Single-source queries have no from_v column: from = single_source.
 */
static int read_expected(const char *tag, int32_t single_source, dd_row *rows)
{
    FILE *f = fopen(RESULT_FILE, "r");
    assert_non_null(f);
    char marker[32], line[512];
    snprintf(marker, sizeof marker, "/* --%s */", tag);
    int in_query = 0, in_table = 0, n = 0, declared = -1;
    while (fgets(line, sizeof line, f) != NULL) {
        if (!in_query) {
            in_query = strstr(line, marker) != NULL;
            continue;
        }
        if (!in_table) {
            in_table = strncmp(line, "-----", 5) == 0;
            continue;
        }
        if (line[0] == '(') {
            assert_int_equal(sscanf(line, "(%d rows)", &declared), 1);
            break;
        }
        double col[8];
        int nc = 0;
        char *p = line;
        for (;;) {
            char *end;
            assert_true(nc < 8);
            col[nc++] = strtod(p, &end);
            assert_true(end != p);
            p = strchr(end, '|');
            if (p == NULL)
                break;
            p++;
        }
        assert_true(n < MAX_ROWS);
        if (nc == 5) { /* seq node edge cost agg_cost */
            rows[n].from = single_source;
            rows[n].node = (int32_t)col[1];
        } else {
            assert_int_equal(nc, 6); /* seq from_v node edge cost agg */
            rows[n].from = (int32_t)col[1];
            rows[n].node = (int32_t)col[2];
        }
        rows[n].agg_cost = col[nc - 1];
        n++;
    }
    fclose(f);
    assert_int_equal(declared, n);
    assert_true(n > 0);
    return n;
}

/* Expected time of node v from `from` among rows, or AM_TIME_INF. */
static uint32_t expected_time(const dd_row *rows, int n, int32_t from,
                              int32_t v)
{
    for (int k = 0; k < n; k++)
        if (rows[k].from == from && rows[k].node == v)
            return (uint32_t)lround(rows[k].agg_cost * SCALE);
    return AM_TIME_INF;
}

/* Asserts that a search from `from` reaches exactly the expected rows. */
static void check_source(am_search *s, const am_graph *g, const dd_row *rows,
                         int n, int32_t from, uint32_t limit)
{
    const uint32_t zero = 0;
    const int32_t got = am_search_run(s, g, 1, &from, &zero, limit);
    int n_exp = 0;
    for (int k = 0; k < n; k++)
        n_exp += rows[k].from == from;
    assert_int_equal(got, n_exp);
    const int32_t *nodes;
    const uint32_t *times;
    am_search_result(s, &nodes, &times);
    for (int32_t k = 0; k < got; k++) {
        if (k > 0)
            assert_true(nodes[k - 1] < nodes[k]);
        assert_int_equal(times[k], expected_time(rows, n, from, nodes[k]));
    }
}

static void test_q5_directed_single(void **state)
{
    (void)state;
    edge_list el;
    read_edges(&el);
    am_graph *g = build(&el, 1);
    dd_row rows[MAX_ROWS];
    const int n = read_expected("q5", 11, rows);
    assert_int_equal(n, 13);
    am_search *s = NULL;
    assert_int_equal(am_search_create(g->n_nodes, &s), AM_OK);
    check_source(s, g, rows, n, 11, (uint32_t)lround(3.0 * SCALE));
    /* 10 is reached only the long way (11->16->15->10 = 3): edge 10->11
     * is one-way towards 11. */
    assert_int_equal(am_search_time(s, 10), 30);
    am_search_destroy(s);
    am_graph_destroy(g);
}

static void test_q6_equicost(void **state)
{
    (void)state;
    edge_list el;
    read_edges(&el);
    am_graph *g = build(&el, 1);
    dd_row rows[MAX_ROWS];
    const int n = read_expected("q6", -1, rows);
    const int32_t src[2] = {11, 16};
    const uint32_t zero[2] = {0, 0};
    const uint32_t limit = (uint32_t)lround(3.0 * SCALE);

    /* Per-source searches, then each node to its nearest source; a tie
     * would go to the first source in the array (pgRouting's order). */
    am_search *s = NULL;
    assert_int_equal(am_search_create(g->n_nodes, &s), AM_OK);
    uint32_t best[64];
    int32_t owner[64];
    for (int32_t v = 0; v < g->n_nodes; v++) {
        best[v] = AM_TIME_INF;
        owner[v] = -1;
    }
    int ties = 0;
    for (int k = 0; k < 2; k++) {
        am_search_run(s, g, 1, &src[k], &zero[k], limit);
        for (int32_t v = 0; v < g->n_nodes; v++) {
            const uint32_t t = am_search_time(s, v);
            if (t == AM_TIME_INF)
                continue;
            ties += t == best[v];
            if (t < best[v]) {
                best[v] = t;
                owner[v] = src[k];
            }
        }
    }
    /* The documented example has no equal-cost node between 11 and 16. */
    assert_int_equal(ties, 0);
    int n_assigned = 0;
    for (int32_t v = 0; v < g->n_nodes; v++) {
        if (owner[v] < 0) {
            for (int k = 0; k < n; k++)
                assert_int_not_equal(rows[k].node, v);
            continue;
        }
        n_assigned++;
        assert_int_equal(expected_time(rows, n, owner[v], v), best[v]);
    }
    assert_int_equal(n_assigned, n);

    /* One multi-seed search gives the same node set and times. */
    const int32_t got = am_search_run(s, g, 2, src, zero, limit);
    assert_int_equal(got, n);
    const int32_t *nodes;
    const uint32_t *times;
    am_search_result(s, &nodes, &times);
    for (int32_t k = 0; k < got; k++) {
        const uint32_t e11 = expected_time(rows, n, 11, nodes[k]);
        const uint32_t e16 = expected_time(rows, n, 16, nodes[k]);
        assert_int_equal(times[k], e11 < e16 ? e11 : e16);
    }
    am_search_destroy(s);
    am_graph_destroy(g);
}

static void test_q10_undirected(void **state)
{
    (void)state;
    edge_list el;
    read_edges(&el);
    am_graph *g = build(&el, 0);
    dd_row rows[MAX_ROWS];
    const int n = read_expected("q10", -1, rows);
    assert_int_equal(n, 23);
    am_search *s = NULL;
    assert_int_equal(am_search_create(g->n_nodes, &s), AM_OK);
    const uint32_t limit = (uint32_t)lround(3.0 * SCALE);
    check_source(s, g, rows, n, 11, limit);
    check_source(s, g, rows, n, 16, limit);
    /* Undirected, last run from 16: 10 is two steps away (via 15 or 11),
     * where the directed graph needed the one-way 15 -> 10 only. */
    assert_int_equal(am_search_time(s, 10), 20);
    am_search_destroy(s);
    am_graph_destroy(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_q5_directed_single),
        cmocka_unit_test(test_q6_equicost),
        cmocka_unit_test(test_q10_undirected),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
