/*
 * h5_read.h: reading a results file's numeric datasets in the end-to-end
 * tests (include after cmocka.h and hdf5.h).
 */
#ifndef AM_TEST_H5_READ_H
#define AM_TEST_H5_READ_H

#include <stdlib.h>

/* A numeric dataset (any type, converted to double), *n its values;
 * NULL when absent. Freed with free(). */
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

#endif /* AM_TEST_H5_READ_H */
