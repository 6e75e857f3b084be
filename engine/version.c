/*
 * version.c: the library's version at run time (see accessim.h), so that a
 * program can check the libaccessim it loaded against the header it was
 * built with.
 */
#include <accessim.h>

const char *am_version(void)
{
    return AM_VERSION_STRING;
}

int am_version_number(void)
{
    return AM_VERSION_MAJOR * 10000 + AM_VERSION_MINOR * 100 + AM_VERSION_PATCH;
}
