/*
 * tmp_dir.h: a scratch folder per end-to-end test program, made by the
 * group setup and removed with its content by the group teardown, and a
 * helper writing a text file there. Define TMP_DIR_TAG ("tiers") before
 * including; include after cmocka.h.
 */
#ifndef AM_TEST_TMP_DIR_H
#define AM_TEST_TMP_DIR_H

#include <stdio.h>
#include <stdlib.h>

#ifndef TMP_DIR_TAG
#error "define TMP_DIR_TAG before including tmp_dir.h"
#endif

/* /tmp/accessim-<tag>-XXXXXX, made by setup */
static char tmp_dir[256];

static int setup(void **state)
{
    (void)state;
    snprintf(tmp_dir, sizeof tmp_dir, "/tmp/accessim-" TMP_DIR_TAG "-XXXXXX");
    return mkdtemp(tmp_dir) != NULL ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp_dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Writes text to path (fails the test when it cannot). */
static inline void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

#endif /* AM_TEST_TMP_DIR_H */
