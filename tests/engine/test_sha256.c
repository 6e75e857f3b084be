/*
 * test_sha256.c: SHA-256 against the NIST FIPS 180-4 example vectors
 * (csrc.nist.gov "SHA256.pdf" / "SHA2_Additional.pdf"): "abc", the 448-bit
 * two-block message, one million 'a', and the empty string; plus split
 * updates giving the same digest as one update.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "common/sha256.h"

static void digest_of(const void *data, size_t n, char hex[65])
{
    am_sha256 c;
    uint8_t d[32];
    am_sha256_init(&c);
    am_sha256_update(&c, data, n);
    am_sha256_final(&c, d);
    am_sha256_hex(d, hex);
}

static void test_vectors(void **state)
{
    (void)state;
    char hex[65];
    digest_of("abc", 3, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223"
                             "b00361a396177a9cb410ff61f20015ad");
    digest_of("", 0, hex);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb924"
                             "27ae41e4649b934ca495991b7852b855");
    const char *m448 =
        "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    digest_of(m448, strlen(m448), hex);
    assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039"
                             "a33ce45964ff2167f6ecedd419db06c1");
}

static void test_million_a_in_pieces(void **state)
{
    (void)state;
    static char a[1000];
    memset(a, 'a', sizeof a);
    am_sha256 c;
    uint8_t d[32];
    char hex[65];
    am_sha256_init(&c);
    /* uneven pieces exercise the partial-block path */
    size_t done = 0, step = 1;
    while (done < 1000000) {
        size_t k = step % 997 + 1;
        if (k > 1000000 - done)
            k = 1000000 - done;
        am_sha256_update(&c, a, k);
        done += k;
        step = step * 31 + 7;
    }
    am_sha256_final(&c, d);
    am_sha256_hex(d, hex);
    assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67"
                             "f1809a48a497200e046d39ccc7112cd0");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors),
        cmocka_unit_test(test_million_a_in_pieces),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
