/*
 * h5_probe.c: reading an HDF5 file in a forked child first (h5_probe.h).
 */
#include "outputs/h5_probe.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <hdf5.h>

/* The exit status of a child whose walk returned; anything else (an ASan
 * report exits 1) is a failure. */
#define WALK_DONE 0

am_status am_h5_probe(const char *path, am_h5_probe_walk walk, void *ctx,
                      am_error *err)
{
    struct stat st;
    long long size = stat(path, &st) == 0 ? (long long)st.st_size : 0;
    unsigned limit =
        60u +
        (unsigned)(size / (4LL << 20) > 86400 ? 86400 : size / (4LL << 20));
    fflush(NULL); /* nothing buffered is written twice */
    pid_t pid = fork();
    if (pid < 0)
        return AM_OK; /* no child: read unguarded */
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        if (null >= 0) {
            dup2(null, STDOUT_FILENO);
            dup2(null, STDERR_FILENO);
        }
        /* the parent's handlers are not the child's: a crash must end it
         * by its signal (a test harness or a sanitizer may catch SIGSEGV) */
        static const int fatal[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
        for (size_t i = 0; i < sizeof fatal / sizeof fatal[0]; i++)
            signal(fatal[i], SIG_DFL);
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGHUP, SIG_DFL);
        signal(SIGUSR1, SIG_DFL);
        signal(SIGALRM, SIG_DFL);
        alarm(limit);
        walk(path, ctx);
        _exit(WALK_DONE); /* no atexit handlers: libhdf5's are the parent's */
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            return AM_OK; /* lost the child (SIGCHLD ignored?): unguarded */
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == WALK_DONE)
        return AM_OK;
    if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        if (sig == SIGINT || sig == SIGTERM || sig == SIGHUP || sig == SIGUSR1)
            return am_error_set(err, AM_ERR_CANCELLED, path,
                                "interrupted while checking the file");
        if (sig == SIGALRM)
            return am_error_set(err, AM_ERR_FORMAT, path,
                                "the file is damaged (the HDF5 library did "
                                "not finish reading it in %u s)",
                                limit);
        return am_error_set(err, AM_ERR_FORMAT, path,
                            "the file is damaged (the HDF5 library failed "
                            "while reading it: signal %d, %s)",
                            sig, strsignal(sig));
    }
    return am_error_set(err, AM_ERR_FORMAT, path,
                        "the file is damaged (the HDF5 library failed while "
                        "reading it: exit status %d)",
                        WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

void am_h5_no_exit_shutdown(void)
{
    H5dont_atexit();
}
