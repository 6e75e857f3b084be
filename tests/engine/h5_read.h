/*
 * h5_read.h: reading a results file's datasets and attributes in the
 * end-to-end tests (include after cmocka.h and hdf5.h). Every function
 * fails the test on an HDF5 error; results are malloc'ed (free(), or
 * free_str for strings).
 */
#ifndef AM_TEST_H5_READ_H
#define AM_TEST_H5_READ_H

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A numeric dataset (any type, converted to double), *n its values;
 * NULL when absent. */
static inline double *read_num_opt(hid_t f, const char *path, size_t *n)
{
    if (H5Lexists(f, path, H5P_DEFAULT) <= 0)
        return NULL;
    hid_t d = H5Dopen2(f, path, H5P_DEFAULT);
    assert_true(d >= 0);
    hid_t sp = H5Dget_space(d);
    *n = (size_t)H5Sget_simple_extent_npoints(sp);
    double *v = malloc(sizeof *v * (*n + 1));
    assert_true(
        H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0);
    H5Sclose(sp);
    H5Dclose(d);
    return v;
}

/* The same; fails the test when absent. */
static inline double *read_num(hid_t f, const char *path, size_t *n)
{
    double *v = read_num_opt(f, path, n);
    if (v == NULL)
        fail_msg("missing %s", path);
    return v;
}

/* The strings of a variable-length string dataset ([*n] copies). */
static inline char **read_str(hid_t f, const char *path, size_t *n)
{
    hid_t d = H5Dopen2(f, path, H5P_DEFAULT);
    if (d < 0)
        fail_msg("missing %s", path);
    hid_t t = H5Dget_type(d), sp = H5Dget_space(d);
    *n = (size_t)H5Sget_simple_extent_npoints(sp);
    char **s = calloc(*n + 1, sizeof *s), **out = calloc(*n + 1, sizeof *out);
    assert_true(H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, s) >= 0);
    for (size_t i = 0; i < *n; i++)
        out[i] = strdup(s[i]);
    H5Dvlen_reclaim(t, sp, H5P_DEFAULT, s);
    free(s);
    H5Tclose(t);
    H5Sclose(sp);
    H5Dclose(d);
    return out;
}

static inline void free_str(char **s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(s[i]);
    free(s);
}

/* The bytes of a dataset as stored (its own type; variable-length
 * strings as their characters, each with its NUL), for comparisons. */
static inline unsigned char *read_raw(hid_t f, const char *path, size_t *bytes)
{
    hid_t d = H5Dopen2(f, path, H5P_DEFAULT);
    if (d < 0)
        fail_msg("missing %s", path);
    hid_t t = H5Dget_type(d);
    unsigned char *v = NULL;
    if (H5Tget_class(t) == H5T_STRING && H5Tis_variable_str(t) > 0) {
        size_t n = 0;
        char **s = read_str(f, path, &n);
        *bytes = 0;
        for (size_t i = 0; i < n; i++)
            *bytes += strlen(s[i]) + 1;
        v = malloc(*bytes + 1);
        for (size_t i = 0, at = 0; i < n; i++) {
            memcpy(v + at, s[i], strlen(s[i]) + 1);
            at += strlen(s[i]) + 1;
        }
        free_str(s, n);
    } else {
        hid_t sp = H5Dget_space(d);
        *bytes = (size_t)H5Sget_simple_extent_npoints(sp) * H5Tget_size(t);
        v = malloc(*bytes + 1);
        assert_true(H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0);
        H5Sclose(sp);
    }
    H5Tclose(t);
    H5Dclose(d);
    return v;
}

/* Fails the test unless dataset `path` has the same bytes in a and b;
 * `between` names the two runs in the message ("1 and 2 threads"). */
static inline void assert_same_dataset(hid_t a, hid_t b, const char *path,
                                       const char *between)
{
    size_t na = 0, nb = 0;
    unsigned char *x = read_raw(a, path, &na);
    unsigned char *y = read_raw(b, path, &nb);
    if (na != nb || memcmp(x, y, na) != 0)
        fail_msg("%s differs between %s", path, between);
    free(x);
    free(y);
}

/* A numeric attribute of object obj; fails the test when absent. */
static inline double attr_num(hid_t f, const char *obj, const char *name)
{
    double v = NAN;
    hid_t a = H5Aopen_by_name(f, obj, name, H5P_DEFAULT, H5P_DEFAULT);
    if (a < 0)
        fail_msg("missing attribute %s of %s", name, obj);
    assert_true(H5Aread(a, H5T_NATIVE_DOUBLE, &v) >= 0);
    H5Aclose(a);
    return v;
}

/* A string attribute (fixed or variable length) of object obj, a copy;
 * fails the test when absent. */
static inline char *attr_str(hid_t f, const char *obj, const char *name)
{
    hid_t a = H5Aopen_by_name(f, obj, name, H5P_DEFAULT, H5P_DEFAULT);
    if (a < 0)
        fail_msg("missing attribute %s of %s", name, obj);
    hid_t t = H5Aget_type(a);
    char *copy = NULL;
    if (H5Tis_variable_str(t) > 0) {
        char *s = NULL;
        assert_true(H5Aread(a, t, &s) >= 0);
        copy = strdup(s);
        H5free_memory(s);
    } else {
        copy = calloc(H5Tget_size(t) + 1, 1);
        assert_true(H5Aread(a, t, copy) >= 0);
    }
    H5Tclose(t);
    H5Aclose(a);
    return copy;
}

#endif /* AM_TEST_H5_READ_H */
