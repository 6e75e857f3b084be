/*
 * numparse.h: numbers typed by people and shown to them: the one grammar
 * for numbers read from text (scenario keys, capacity and coordinate cells
 * read as text, command-line options), the one rule for thread counts, and
 * counts formatted with thousands separators for the summary.
 *
 * strtod and strtol accept far more than a user means to write: "0x10"
 * (16), "inf", "nan", "1e400" (HUGE_VAL with ERANGE), leading blanks,
 * locale-dependent forms. A number here is decimal only, the YAML 1.2 core
 * schema's grammar without its .inf/.nan spellings:
 *
 *   real     [-+]? ( [0-9]+ ( "." [0-9]* )? | "." [0-9]+ ) ( [eE] [-+]? [0-9]+
 * )? integer  [-+]? [0-9]+
 *
 * No surrounding blanks (callers that allow them, such as spreadsheet
 * cells, trim first), no hex, octal prefixes, digit separators, inf or
 * nan. A value whose magnitude does not fit a double ("1e400"), or that
 * underflows to a subnormal or zero while its digits are not zero
 * ("1e-400"), is AM_NUM_RANGE; so is an integer outside long long.
 *
 * No allocation; thread-safe (strtod in the "C" locale's syntax is only
 * called on strings already checked to be in the grammar above).
 */
#ifndef AM_NUMPARSE_H
#define AM_NUMPARSE_H

typedef enum am_num_status {
    AM_NUM_OK = 0,
    AM_NUM_SYNTAX, /* not a decimal number (empty, hex, inf, blanks, ...) */
    AM_NUM_RANGE   /* decimal, but beyond what the type holds */
} am_num_status;

/* A whole string as a finite double (grammar above). *out set on OK. */
am_num_status am_parse_real(const char *s, double *out);

/* A whole string as an integer (grammar above). *out set on OK. */
am_num_status am_parse_integer(const char *s, long long *out);

/*
 * Thread counts: the command line's --threads and the scenario's
 * `threads:` follow this one rule. 0 means "all cores" (in both: the
 * CLI's --threads 0 overrides the scenario's count with all cores); more
 * than AM_THREADS_MAX is refused, since
 * OpenMP runtimes crash or abort well before 65536 threads. The engine
 * further caps a count above AM_THREADS_PER_CORE_MAX times the cores, with
 * a warning: compute-bound kernels gain nothing beyond the cores.
 */
#define AM_THREADS_MAX 4096
#define AM_THREADS_PER_CORE_MAX 8

/* 1 if n is a valid thread count (0..AM_THREADS_MAX), else 0. */
int am_threads_valid(long long n);

/* Room for any am_format_count result, terminator included. */
#define AM_COUNT_BUF 32

/*
 * v rounded to a whole number with thousands separators ("1,234,568",
 * "-12"); beyond 1e18 in magnitude, where the digits stop meaning anything,
 * in exponent notation ("3.403e+38"); "nan", "inf", "-inf" as such. Never
 * writes more than AM_COUNT_BUF bytes. Returns buf.
 */
const char *am_format_count(double v, char buf[AM_COUNT_BUF]);

#endif /* AM_NUMPARSE_H */
