/*
 * main.c: the `accessim` command, a thin layer over the engine API: parse
 * arguments, read the scenario, run it with a progress bar on stderr, print
 * the summary on stdout, map errors to one line and an exit code.
 *
 * Exit codes: 0 success, 1 the run failed (bad input, I/O, ...),
 * 2 command-line usage error, 3 the --time-limit was reached (not 124,
 * which timeout(1) gives when it kills a command), 130
 * interrupted (SIGINT/SIGTERM/SIGHUP/SIGUSR1; SIGUSR1 is what a batch
 * system such as Slurm sends before pre-empting a job, docs/cluster.md).
 * Both stop the run at its next progress point, which removes its
 * temporary output. Running out of memory is a failed run (1): one line
 * saying "out of memory" and the stage.
 *
 * Fault-injection builds only (ACCESSIM_FAULT_INJECTION=ON, common/alloc.h):
 * AM_ALLOC_FAIL_AT=N in the environment makes the Nth allocation of the
 * process fail (tests/common/alloc_sweep.sh), and AM_ALLOC_COUNT=1 prints
 * the number of allocations at exit. Release builds ignore both.
 */
#define _XOPEN_SOURCE 700 /* realpath */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/error.h"
#include "common/numparse.h"
#include "engine/compare.h"
#include "engine/dist.h"
#include "outputs/h5_probe.h"
#include <accessim.h>

static void usage(FILE *f)
{
    fprintf(
        f,
        "usage: accessim run SCENARIO.yaml [-o OUT.h5] [--threads N] "
        "[--max-memory SIZE] [--time-limit MIN]\n"
        "                [--no-cache] [--quiet]\n"
        "       accessim prepare SCENARIO.yaml [-o GRAPH_FILE] [--threads N] "
        "[--max-memory SIZE]\n"
        "                [--time-limit MIN] [--quiet]\n"
        "       accessim compare A.h5[:SCENARIO] B.h5[:SCENARIO] [-o DIFF.h5] "
        "[--csv FILE]\n"
        "                [--set NAME]... [--threads N]\n"
        "       accessim --help | --version\n"
        "\n"
        "Computes travel-time catchments, coverage and 2SFCA accessibility\n"
        "for the facility sets of a scenario file and writes one HDF5 "
        "file.\n"
        "A matrix scenario (matrix:, demand:, supply:) reads a travel-time\n"
        "table instead of roads and writes a per-zone CSV (-o: its path).\n"
        "prepare reads the road network once into a prepared-graph file\n"
        "(roads.cache, default <scenario stem>.amgraph next to the "
        "scenario)\n"
        "that run loads while the roads input and settings are unchanged.\n"
        "compare reports what changes from the results A to B (same grid\n"
        "and CRS): population gaining and losing access at each cutoff,\n"
        "equity statistics overall and per zone, and with -o a difference\n"
        "raster (B - A) per common raster. SCENARIO: 'baseline' (the file's\n"
        "root, the default) or a group /scenarios/SCENARIO of the file.\n"
        "\n"
        "  -o, --output PATH   output file (prepare: the graph file), "
        "relative\n"
        "                      to the current folder\n"
        "                      (default: the scenario's 'output', else\n"
        "                      <name>.h5, both next to the scenario file)\n"
        "  -t, --threads N     OpenMP threads, 0 for all cores (default: the\n"
        "                      scenario's 'threads', else all cores)\n"
        "  -m, --max-memory SIZE  refuse to run when the memory estimate is\n"
        "                      above SIZE (e.g. 8G, 500M; default 80 %% of\n"
        "                      physical memory or the cgroup limit)\n"
        "      --time-limit MIN  stop the run after MIN minutes of wall-clock\n"
        "                      time (a decimal number > 0, e.g. 90 or 0.5),\n"
        "                      writing nothing; exit status 3\n"
        "      --no-cache      run: ignore the prepared graph\n"
        "      --csv FILE      compare: the table as CSV\n"
        "      --set NAME      compare: only this facility set (repeatable;\n"
        "                      default: every set both files have)\n"
        "  -q, --quiet         no progress (warnings, errors and the summary\n"
        "                      still print)\n"
        "  -h, --help          this help\n"
        "  -V, --version       version\n"
        "\n"
        "Exit status: 0 success, 1 run failed, 2 usage error, 3 time limit "
        "reached,\n130 interrupted (SIGINT, SIGTERM, SIGHUP or SIGUSR1).\n"
        "Options taking a value also accept --name=VALUE.\n"
        "Scenario format: README.md and docs/scenario.md; outputs:\n"
        "docs/hdf5-layout.md.\n");
}

/* Set by SIGINT/SIGTERM/SIGHUP/SIGUSR1; the progress callback then asks
 * the run to stop. */
static volatile sig_atomic_t interrupted = 0;

/* --time-limit: the run stops at its first progress point at or after
 * this time (CLOCK_MONOTONIC, seconds); 0: no limit. */
static double deadline_s = 0.0;
static double time_limit_min = 0.0;
static int timed_out = 0;

static double monotonic_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

/* Installs the handlers: a first Ctrl-C cancels cleanly, a second one
 * kills (SA_RESETHAND). */
static void catch_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = (int)SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL); /* a dropped ssh session: the same */
    /* a batch system's warning before pre-emption or the time limit
     * (Slurm's --signal=B:USR1@120): the same, so that the job script
     * can tell it from a cancellation (TERM) and requeue only then */
    sigaction(SIGUSR1, &sa, NULL);
}

/* The line for a run stopped by --time-limit; returns its exit status. */
static int time_limit_reached(const char *what)
{
    fprintf(stderr,
            "accessim: error: the time limit of %g min (--time-limit) was "
            "reached; %s (a file already at the output path is left as it "
            "was)\n",
            time_limit_min, what);
    return 3;
}

/* Progress on stderr: a redrawn bar on a terminal, GDAL-style dots else. */
typedef struct progress_state {
    int quiet;
    int tty;
    char label[64];
    int last;   /* last printed percentage step, -1 before any */
    int broken; /* a warning ended the unfinished line of this label */
} progress_state;

/* Whether a progress line is open on stderr (a stage begun, not done). */
static int progress_open(const progress_state *p)
{
    return !p->quiet && p->last >= 0 && p->last < 100 && !p->broken;
}

/* The stage being run (the last progress label, even with --quiet): an
 * out-of-memory error names it. */
static char stage[64];

static int progress_cb(double fraction, const char *message, void *user)
{
    progress_state *p = user;
    if (message != NULL)
        snprintf(stage, sizeof stage, "%s", message);
    if (interrupted)
        return 0;
    if (deadline_s > 0.0 && monotonic_s() >= deadline_s) {
        timed_out = 1;
        return 0;
    }
    if (p->quiet)
        return 1;
    if (message == NULL)
        message = "";
    if (fraction < 0)
        fraction = 0;
    if (fraction > 1)
        fraction = 1;
    int redraw = 0;
    if (strcmp(message, p->label) != 0) {
        if (progress_open(p))
            fputs(p->tty ? "\n" : " - done.\n", stderr);
        snprintf(p->label, sizeof p->label, "%s", message);
        p->last = -1;
        p->broken = 0;
        if (!p->tty)
            fprintf(stderr, "%-22s ", p->label);
    } else if (p->broken) {
        /* the stage goes on after a warning: its label again on a fresh
         * line, the steps already printed not repeated */
        p->broken = 0;
        redraw = 1;
        if (!p->tty)
            fprintf(stderr, "%-22s ", p->label);
    }
    int pct = (int)(fraction * 100.0);
    if (p->tty) {
        if (pct == p->last && !redraw)
            return 1;
        int width = 30, fill = (int)(fraction * width);
        fprintf(stderr, "\r%-22s [", p->label);
        for (int i = 0; i < width; i++)
            fputc(i < fill ? '#' : '.', stderr);
        fprintf(stderr, "] %3d%%", pct);
        p->last = pct;
        if (pct == 100)
            fputc('\n', stderr);
    } else {
        /* 0...10...20... like GDALTermProgress */
        int step = pct / 10 * 10;
        while (p->last < step) {
            int next = p->last < 0 ? 0 : p->last + 10;
            if (next > step)
                break;
            if (next % 10 == 0)
                fprintf(stderr, next == 100 ? "%d - done.\n" : "%d...", next);
            p->last = next;
        }
    }
    fflush(stderr);
    return 1;
}

/* Warnings go to stderr as they are found, on a line of their own. */
static void warning_cb(const char *message, void *user)
{
    progress_state *p = user;
    if (progress_open(p)) {
        fputc('\n', stderr); /* end the progress line being drawn */
        p->broken = 1; /* the next call for this stage starts a new line */
    }
    /* A finished stage (100) has ended its line: its last call, often
     * after the warning, prints nothing again. */
    fprintf(stderr, "accessim: warning: %s\n", message);
    fflush(stderr);
}

/* --threads: decimal digits only, 0 (all cores) to AM_THREADS_MAX
 * (common/numparse.h, the rule the scenario's `threads:` follows too). */
static int parse_threads(const char *s, int *out)
{
    long long v = 0;
    if (am_parse_integer(s, &v) != AM_NUM_OK || !am_threads_valid(v))
        return 0;
    *out = (int)v;
    return 1;
}

/*
 * Whether everything written to stdout reached it (a full device, a closed
 * descriptor); prints the error line and returns 0 when not.
 */
static int stdout_ok(const char *what, const char *note)
{
    if (fflush(stdout) == 0 && !ferror(stdout))
        return 1;
    int e = errno;
    fprintf(stderr,
            "accessim: error: cannot write %s to standard output: %s%s\n", what,
            e != 0 ? am_write_strerror(e) : "write error", note);
    return 0;
}

static int fail(const am_error *err)
{
    char line[4096];
    am_error_format(err, line, sizeof line);
    /* out of memory: the message may not say in which step */
    if (err->code == AM_ERR_NOMEM && strstr(line, "out of memory") != NULL &&
        stage[0] != '\0')
        fprintf(stderr, "accessim: error: %s (while %s)\n", line, stage);
    else
        fprintf(stderr, "accessim: error: %s\n", line);
    return err->code == AM_ERR_USAGE ? 2 : 1;
}

/* What `accessim run` was asked. */
typedef struct cli_args {
    const char *scenario_path, *output;
    int threads, quiet, no_cache;
    int threads_given; /* --threads was given (0: all cores) */
    int prepare;       /* the command is prepare */
    uint64_t max_memory;
    double time_limit_min; /* --time-limit; 0: none */
} cli_args;

/* Usage error: one line, exit 2. */
/* Whether a size am_parse_size refused has its shape (digits, an optional
 * fraction, a unit K/M/G/T with an optional B or iB), so that only its
 * value is wrong: 0 (or below a byte) or beyond 2^64 bytes. */
static int size_shaped(const char *v)
{
    size_t d = strspn(v, "0123456789");
    if (v[d] == '.') {
        size_t f = strspn(v + d + 1, "0123456789");
        if (f == 0)
            return 0;
        d += 1 + f;
    }
    if (d == 0 || v[d] == '\0' || strchr("kKmMgGtT", v[d]) == NULL)
        return 0;
    const char *rest = v + d + 1;
    return strcmp(rest, "") == 0 || strcmp(rest, "B") == 0 ||
           strcmp(rest, "iB") == 0;
}

static int usage_error(const char *fmt, const char *a, const char *b)
{
    fputs("accessim: error: ", stderr);
    fprintf(stderr, fmt, a, b);
    fputc('\n', stderr);
    return 2;
}

/* One option with its value (NULL when missing); returns -1 to go on, or
 * the exit status. */
static int parse_option(const char *a, const char *val, cli_args *c)
{
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
        usage(stdout);
        return stdout_ok("the help", "") ? 0 : 1;
    } else if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
        if (val == NULL || val[0] == '\0')
            return usage_error("%s needs a non-empty path%s", a, "");
        c->output = val;
    } else if (strcmp(a, "-t") == 0 || strcmp(a, "--threads") == 0) {
        if (val == NULL || !parse_threads(val, &c->threads)) {
            fprintf(stderr,
                    "accessim: error: %s needs a whole number from 0 (all "
                    "cores) to %d\n",
                    a, AM_THREADS_MAX);
            return 2;
        }
        c->threads_given = 1;
    } else if (strcmp(a, "-m") == 0 || strcmp(a, "--max-memory") == 0) {
        if (val != NULL && !am_parse_size(val, &c->max_memory) &&
            size_shaped(val))
            return usage_error("%s %s: the cap must be at least 1 byte and "
                               "below 16 EiB (2^64 bytes)",
                               a, val);
        if (val == NULL || !am_parse_size(val, &c->max_memory))
            return usage_error("%s needs a size with a unit, such as 8G or "
                               "500M (decimal; K, M, G or T)%s",
                               a, "");
    } else if (strcmp(a, "--time-limit") == 0) {
        char *end = NULL;
        double v = val != NULL ? strtod(val, &end) : 0.0;
        /* decimal minutes only: no hex, inf or nan, at most a year */
        if (val == NULL || val[0] == '\0' || end == NULL || *end != '\0' ||
            strspn(val, "0123456789.") != strlen(val) || !(v > 0.0) ||
            v > 525600.0)
            return usage_error("%s needs a number of minutes above 0 and at "
                               "most 525600 (a year), such as 90 or 0.5%s",
                               a, "");
        c->time_limit_min = v;
    } else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
        c->quiet = 1;
    } else if (strcmp(a, "--no-cache") == 0 && !c->prepare) {
        c->no_cache = 1;
    } else if (a[0] == '-' && a[1] != '\0') {
        fprintf(stderr, "accessim: error: unknown option '%s'\n", a);
        usage(stderr);
        return 2;
    } else if (c->scenario_path == NULL) {
        c->scenario_path = a;
    } else {
        return usage_error("more than one scenario file ('%s' and '%s')",
                           c->scenario_path, a);
    }
    return -1;
}

/* "--name=value" is "--name value": the name (copied into buf) and *val;
 * any other argument as it is, *val NULL. */
static const char *split_option(const char *a, char *buf, size_t n,
                                const char **val)
{
    *val = NULL;
    const char *eq = strchr(a, '=');
    if (a[0] != '-' || a[1] != '-' || eq == NULL || (size_t)(eq - a) >= n)
        return a;
    memcpy(buf, a, (size_t)(eq - a));
    buf[eq - a] = '\0';
    *val = eq + 1;
    return buf;
}

/* The arguments of `accessim run` (argv[2..]): -1 to go on, or the exit
 * status (help printed, usage error). "--name=value" is "--name value". */
static int parse_run_args(int argc, char **argv, cli_args *c)
{
    memset(c, 0, sizeof *c);
    c->prepare = strcmp(argv[1], "prepare") == 0;
    for (int i = 2; i < argc; i++) {
        char name[32];
        const char *val = NULL;
        const char *a = split_option(argv[i], name, sizeof name, &val);
        int takes_value = strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0 ||
                          strcmp(a, "-t") == 0 || strcmp(a, "--threads") == 0 ||
                          strcmp(a, "-m") == 0 ||
                          strcmp(a, "--max-memory") == 0 ||
                          strcmp(a, "--time-limit") == 0;
        if (val != NULL && !takes_value)
            return usage_error("option '%s' takes no value%s", a, "");
        if (takes_value && val == NULL && i + 1 < argc)
            val = argv[++i];
        int st = parse_option(a, val, c);
        if (st >= 0)
            return st;
    }
    if (c->scenario_path == NULL) {
        fprintf(stderr, "accessim: error: %s needs a scenario file\n", argv[1]);
        usage(stderr);
        return 2;
    }
    return -1;
}

/* The command line, recorded in the output's provenance. */
static void join_args(int argc, char **argv, char *buf, size_t n)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < argc && used < n; i++) {
        int k = snprintf(buf + used, n - used, "%s%s", i ? " " : "", argv[i]);
        if (k < 0)
            break;
        used += (size_t)k;
    }
}

/* --threads 0 asks for all cores, over the scenario's `threads:` (the
 * options' 0 means "the scenario's"): the scenario read is changed. */
static void apply_threads(const cli_args *c, am_scenario *s)
{
    if (c->threads_given && c->threads == 0)
        s->threads = 0;
}

/* issue 9: a matrix scenario (am_matrix_run), progress on stderr, the
 * summary on stdout; takes s. Returns the exit status. */
static int run_matrix(const cli_args *c, am_scenario *s)
{
    am_error err;
    am_error_clear(&err);
    catch_signals();
    progress_state ps = {c->quiet, isatty(STDERR_FILENO), "", -1, 0};
    am_run_options opt = am_run_options_default();
    opt.output_path = c->output;
    opt.threads = c->threads;
    opt.max_memory = c->max_memory; /* issue 9: the cap applies too */
    opt.progress = progress_cb;
    opt.progress_user = &ps;
    opt.warning = warning_cb; /* issue 9: e.g. a fixed point not converged */
    opt.warning_user = &ps;
    am_matrix_summary *sum = NULL;
    am_status rc = am_matrix_run(s, &opt, &sum, &err);
    if (progress_open(&ps))
        fputc('\n', stderr);
    am_scenario_destroy(s);
    if (rc == AM_ERR_CANCELLED && timed_out && !interrupted)
        return time_limit_reached("no output written");
    if (rc == AM_ERR_CANCELLED && interrupted) {
        fprintf(stderr,
                "accessim: interrupted; no output written (a file already "
                "at the output path is left as it was)\n");
        return 130;
    }
    if (rc != AM_OK)
        return fail(&err);
    errno = 0;
    am_matrix_summary_write(sum, stdout);
    char note[AM_ERROR_FILE_MAX + 40];
    snprintf(note, sizeof note, " (the output %s was written)",
             sum->output_path);
    am_matrix_summary_destroy(sum);
    return stdout_ok("the summary", note) ? 0 : 1;
}

/* Runs the scenario with progress and warnings on stderr, the summary on
 * stdout; returns the exit status. */
static int run_scenario(const cli_args *c, const char *cmdline)
{
    am_error err;
    am_error_clear(&err);
    am_scenario *s = NULL;
    snprintf(stage, sizeof stage, "reading the scenario");
    am_status rc = am_scenario_read_file(c->scenario_path, &s, &err);
    if (rc == AM_OK && am_dist_size() > 1 && am_scenario_is_matrix(s))
        rc = am_error_set(&err, AM_ERR_USAGE, c->scenario_path,
                          "a matrix scenario is not split between MPI ranks "
                          "(issue 12): run it as one process");
    /* issue 12: every rank read its scenario; one rank's error ends all */
    if ((rc = am_dist_agree(rc, &err)) != AM_OK) {
        am_scenario_destroy(s);
        return fail(&err);
    }
    snprintf(stage, sizeof stage, "setting up the run");
    apply_threads(c, s);
    if (am_scenario_is_matrix(s))
        return run_matrix(c, s);

    catch_signals();

    progress_state ps = {c->quiet, isatty(STDERR_FILENO), "", -1, 0};
    am_run_options opt = am_run_options_default();
    opt.output_path = c->output;
    opt.threads = c->threads;
    opt.max_memory = c->max_memory;
    opt.progress = progress_cb;
    opt.progress_user = &ps;
    opt.command_line = cmdline;
    opt.warning = warning_cb;
    opt.warning_user = &ps;
    opt.no_cache = c->no_cache;

    am_run_summary *sum = NULL;
    rc = am_run(s, &opt, &sum, &err);
    if (progress_open(&ps))
        fputc('\n', stderr);
    am_scenario_destroy(s);
    if (rc == AM_ERR_CANCELLED && timed_out && !interrupted)
        return time_limit_reached("no output written");
    if (rc == AM_ERR_CANCELLED && interrupted) {
        fprintf(stderr,
                "accessim: interrupted; no output written (a file already "
                "at the output path is left as it was)\n");
        return 130;
    }
    if (rc != AM_OK)
        return fail(&err);
    errno = 0;
    am_run_summary_write(sum, stdout);
    /* the output is in place; say so when the report cannot be printed */
    char note[AM_ERROR_FILE_MAX + 40];
    snprintf(note, sizeof note, " (the output %s was written)",
             sum->output_path);
    am_run_summary_destroy(sum);
    return stdout_ok("the summary", note) ? 0 : 1;
}

/* Whether two paths name one existing file. */
static int same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return a[0] != '\0' && b[0] != '\0' && stat(a, &sa) == 0 &&
           stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

/* prepare -o elsewhere than where `run` looks: one line saying so. */
static void prepare_hint(const am_prepare_result *res)
{
    if (same_file(res->cache_path, res->run_cache_path))
        return;
    char abs[PATH_MAX];
    const char *path = realpath(res->cache_path, abs) ? abs : res->cache_path;
    if (res->run_cache_path[0] != '\0')
        fprintf(stderr,
                "accessim: hint: accessim run loads the prepared graph from "
                "%s, not this one; to use it, set 'roads.cache: %s' in the "
                "scenario\n",
                res->run_cache_path, path);
    else
        fprintf(stderr,
                "accessim: hint: accessim run loads a prepared graph only "
                "from roads.cache; to use this one, set 'roads.cache: %s' in "
                "the scenario\n",
                path);
}

/* `accessim prepare`: the roads read and stored; one line on stdout. */
static int prepare_scenario(const cli_args *c)
{
    am_error err;
    am_error_clear(&err);
    am_scenario *s = NULL;
    snprintf(stage, sizeof stage, "reading the scenario");
    am_status rc = am_scenario_read_file(c->scenario_path, &s, &err);
    if (rc != AM_OK)
        return fail(&err);
    snprintf(stage, sizeof stage, "setting up the run");
    apply_threads(c, s);
    if (am_scenario_is_matrix(s)) { /* issue 9 */
        am_scenario_destroy(s);
        return usage_error("%s: a matrix scenario has no road network to "
                           "prepare (use accessim run)%s",
                           c->scenario_path, "");
    }
    catch_signals();
    progress_state ps = {c->quiet, isatty(STDERR_FILENO), "", -1, 0};
    am_prepare_options opt = am_prepare_options_default();
    opt.cache_path = c->output;
    opt.threads = c->threads;
    opt.max_memory = c->max_memory;
    opt.progress = progress_cb;
    opt.progress_user = &ps;
    opt.warning = warning_cb;
    opt.warning_user = &ps;
    am_prepare_result res;
    rc = am_prepare(s, &opt, &res, &err);
    if (progress_open(&ps))
        fputc('\n', stderr);
    am_scenario_destroy(s);
    if (rc == AM_ERR_CANCELLED && timed_out && !interrupted)
        return time_limit_reached("no prepared graph written");
    if (rc == AM_ERR_CANCELLED && interrupted) {
        fprintf(stderr, "accessim: interrupted; no prepared graph written (a "
                        "file already at its path is left as it was)\n");
        return 130;
    }
    if (rc != AM_OK)
        return fail(&err);
    if (interrupted) { /* after the last check: the file is complete */
        fprintf(stderr,
                "accessim: interrupted; the prepared graph %s was "
                "already written in full\n",
                res.cache_path);
        return 130;
    }
    printf("prepared graph %s: %d road vertices, %lld arcs, %lld bytes, "
           "%.2f s\n",
           res.cache_path, (int)res.nodes, (long long)res.arcs, res.bytes,
           res.build_s);
    if (!stdout_ok("the summary", ""))
        return 1;
    prepare_hint(&res);
    return 0;
}

/* Prints compare's warnings on stderr. */
static void compare_warning(const char *message, void *user)
{
    (void)user;
    fprintf(stderr, "accessim: warning: %s\n", message);
    fflush(stderr);
}

/* `accessim compare A[:s] B[:s] [options]`; returns the exit status. */
static int compare_command(int argc, char **argv)
{
    const char *pos[2] = {NULL, NULL};
    int n_pos = 0, threads = 0;
    const char *output = NULL, *csv = NULL;
    const char **sets = am_calloc_array((size_t)argc, sizeof *sets);
    int32_t n_sets = 0;
    if (sets == NULL) {
        fputs("accessim: error: out of memory\n", stderr);
        return 1;
    }
    int st = -1;
    for (int i = 2; i < argc && st < 0; i++) {
        char name[32];
        const char *val = NULL;
        const char *a = split_option(argv[i], name, sizeof name, &val);
        int takes_value = strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0 ||
                          strcmp(a, "--csv") == 0 || strcmp(a, "--set") == 0 ||
                          strcmp(a, "-t") == 0 || strcmp(a, "--threads") == 0;
        if (val != NULL && !takes_value) {
            st = usage_error("option '%s' takes no value%s", a, "");
            break;
        }
        if (takes_value && val == NULL && i + 1 < argc)
            val = argv[++i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            st = stdout_ok("the help", "") ? 0 : 1;
        } else if (takes_value && (val == NULL || val[0] == '\0')) {
            st = usage_error("%s needs a value%s", a, "");
        } else if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
            output = val;
        } else if (strcmp(a, "--csv") == 0) {
            csv = val;
        } else if (strcmp(a, "--set") == 0) {
            sets[n_sets++] = val;
        } else if (strcmp(a, "-t") == 0 || strcmp(a, "--threads") == 0) {
            if (!parse_threads(val, &threads)) {
                fprintf(stderr,
                        "accessim: error: %s needs a whole number from 0 (all "
                        "cores) to %d\n",
                        a, AM_THREADS_MAX);
                st = 2;
            }
        } else if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "accessim: error: unknown option '%s'\n", a);
            usage(stderr);
            st = 2;
        } else if (n_pos < 2) {
            pos[n_pos++] = a;
        } else {
            st = usage_error("compare takes two results files ('%s' is a "
                             "third)%s",
                             a, "");
        }
    }
    if (st < 0 && n_pos < 2) {
        fprintf(stderr, "accessim: error: compare needs two results files, A "
                        "and B\n");
        usage(stderr);
        st = 2;
    }
    if (st >= 0) {
        am_free(sets);
        return st;
    }
    am_error err;
    am_error_clear(&err);
    char *file[2] = {NULL, NULL}, *scen[2] = {NULL, NULL};
    am_status rc = AM_OK;
    for (int k = 0; k < 2 && rc == AM_OK; k++)
        rc = am_compare_split_arg(pos[k], &file[k], &scen[k], &err);
    am_compare_result *res = NULL;
    snprintf(stage, sizeof stage, "comparing the results");
    if (rc == AM_OK) {
        am_compare_options opt;
        memset(&opt, 0, sizeof opt);
        opt.a_path = file[0];
        opt.a_scenario = scen[0];
        opt.b_path = file[1];
        opt.b_scenario = scen[1];
        opt.n_sets = n_sets;
        opt.sets = sets;
        opt.output_path = output;
        opt.csv_path = csv;
        opt.threads = threads;
        opt.warning = compare_warning;
        rc = am_compare(&opt, &res, &err);
    }
    for (int k = 0; k < 2; k++) {
        am_free(file[k]);
        am_free(scen[k]);
    }
    am_free(sets);
    if (rc != AM_OK)
        return fail(&err);
    errno = 0;
    am_compare_result_write(res, stdout);
    am_compare_result_destroy(res);
    return stdout_ok("the comparison", "") ? 0 : 1;
}

static int cli_main(int argc, char **argv);

#ifdef AM_FAULT_INJECTION
/* AM_ALLOC_COUNT=1: the number of allocations, printed at exit. */
static void print_alloc_count(void)
{
    fprintf(stderr, "accessim: fault injection: %zu allocations\n",
            am_alloc_count());
}

/* AM_ALLOC_FAIL_AT=N (N >= 1): the Nth allocation fails; AM_ALLOC_COUNT=1:
 * the count at exit. A value that is not a whole number is ignored. */
static void fault_injection_from_env(void)
{
    const char *v = getenv("AM_ALLOC_FAIL_AT");
    long long n = 0;
    if (v != NULL && am_parse_integer(v, &n) == AM_NUM_OK && n > 0)
        am_alloc_fail_at((size_t)n);
    else
        am_alloc_fail_at(0); /* the count from here */
    v = getenv("AM_ALLOC_COUNT");
    if (v != NULL && strcmp(v, "1") == 0)
        atexit(print_alloc_count);
}
#endif

/*
 * Issue 12: built with ACCESSIM_MPI, `mpirun -n N accessim run` splits the
 * run between N ranks (engine/dist.h). Rank 0 alone prints (progress,
 * warnings, errors, the summary) and writes; the other ranks' stdout and
 * stderr go to /dev/null, and their errors reach rank 0 through the
 * agreements. Every rank exits with the lowest failing rank's status.
 */
int main(int argc, char **argv)
{
#ifdef AM_FAULT_INJECTION
    fault_injection_from_env();
#endif
    am_dist_init(&argc, &argv);
    /* A rank that cannot silence itself still runs (it would print twice):
     * leaving early would leave the others waiting at an agreement. */
    if (am_dist_rank() > 0 && freopen("/dev/null", "w", stdout) != NULL)
        (void)freopen("/dev/null", "w", stderr);
    return am_dist_finish(cli_main(argc, argv));
}

/* The CLI's commands; returns the exit status. */
static int cli_main(int argc, char **argv)
{
    /* A closed pipe is an error on the write that meets it (EPIPE: the
     * stdout checks report it), never a silent kill by SIGPIPE that could
     * leave a temporary behind. */
    signal(SIGPIPE, SIG_IGN);
    /* The same for the file size limit (`ulimit -f`): a write beyond it
     * fails with EFBIG, reported by the writer, which removes its
     * temporary; SIGXFSZ would kill the run silently and leave it. */
    signal(SIGXFSZ, SIG_IGN);
    /* no "HDF5: infinite loop closing library" after a damaged file's
     * error: every HDF5 file is closed explicitly */
    am_h5_no_exit_shutdown();
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    int is_help = strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0;
    int is_version = strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0;
    if ((is_help || is_version) && argc > 2)
        return usage_error("%s takes no argument ('%s')", cmd, argv[2]);
    if (is_help) {
        usage(stdout);
        return stdout_ok("the help", "") ? 0 : 1;
    }
    if (is_version) {
        printf("accessim %s\n", AM_VERSION_STRING);
        return stdout_ok("the version", "") ? 0 : 1;
    }
    if (strcmp(cmd, "compare") == 0)
        return compare_command(argc, argv);
    if (strcmp(cmd, "run") != 0 && strcmp(cmd, "prepare") != 0) {
        fprintf(stderr, "accessim: error: unknown command '%s'\n", cmd);
        usage(stderr);
        return 2;
    }
    if (am_dist_size() > 1 && strcmp(cmd, "run") != 0)
        return usage_error("under mpirun only 'run' is split between "
                           "ranks; run '%s' as one process%s",
                           cmd, "");
    cli_args c;
    int st = parse_run_args(argc, argv, &c);
    /* issue 12: a rank that stopped at its command line stops all (-1:
     * it printed the help and ends with 0) */
    int from = -1;
    st = am_dist_agree_exit(st < 0 ? 0 : st == 0 ? -1 : st, &from);
    if (from > 0 && st > 0 && am_dist_rank() == 0)
        fprintf(stderr,
                "accessim: error: MPI rank %d refused its command line "
                "(exit status %d)\n",
                from, st);
    if (st != 0)
        return st < 0 ? 0 : st;
    if (c.time_limit_min > 0.0) { /* the clock runs from here */
        time_limit_min = c.time_limit_min;
        deadline_s = monotonic_s() + 60.0 * c.time_limit_min;
    }
    char cmdline[4096];
    join_args(argc, argv, cmdline, sizeof cmdline);
    return c.prepare ? prepare_scenario(&c) : run_scenario(&c, cmdline);
}
