/* SPDX-License-Identifier: MIT */

/* lib/json: jansson behind "the text at this path of a carrier's answer". The http
 * carrier's rules go through it (tests/unit/test-plugin-http.c); this tests its contract. */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "json.h"

static json_t *read_ok(const char *text, size_t len) {
        json_t *j = NULL;

        assert_int_equal(json_read(text, len, &j), 0);
        assert_non_null(j);
        return j;
}

static void test_read(void **state) {
        json_t *j = NULL;

        (void) state;
        assert_int_equal(json_read("", 0, &j), -ENODATA);
        assert_int_equal(json_read(NULL, 0, &j), -ENODATA);
        assert_int_equal(json_read("   ", 3, &j), -EBADMSG);
        assert_int_equal(json_read("{} x", 4, &j), -EBADMSG);
        assert_int_equal(json_read("{\"a\":1,}", 8, &j), -EBADMSG);
        assert_int_equal(json_read("\xef\xbb\xbf{}", 5, &j), -EBADMSG);
        assert_null(j);
        /* exactly len bytes: what follows is not looked at, a cut document is not JSON */
        json_decref(read_ok("{}garbage", 2));
        assert_int_equal(json_read("{\"a\":1}", 6, &j), -EBADMSG);
        /* any value at the top */
        json_decref(read_ok("0", 1));
        json_decref(read_ok(" \"x\"\n", 5));
        /* a body that is JSON but for bytes that are not UTF-8 */
        j = read_ok("{\"a\":\"\xff" "b\"}", 10);
        assert_string_equal(json_string_value(json_object_get(j, "a")), "\xef\xbf\xbd" "b");
        json_decref(j);
        assert_int_equal(json_read("\xff{}", 3, &j), -EBADMSG);
}

static void test_paths_valid(void **state) {
        static const char *const good[] = {
                "a", "a.b", "data.0.sid", "data[0].sid", "a[1][2]", "[0]", "[0].a", "a-b_c",
        };
        static const char *const bad[] = {
                "", ".", "a.", ".a", "a..b", "a[", "a[]", "a[x]", "a[1", "a.[0]", "a]", "a[0]]",
                "a[0]b",
        };

        (void) state;
        assert_false(json_path_is_valid(NULL));
        for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
                if (!json_path_is_valid(good[i]))
                        fail_msg("'%s' should be a path", good[i]);
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                if (json_path_is_valid(bad[i]))
                        fail_msg("'%s' should not be a path", bad[i]);
}

static void test_text_at(void **state) {
        static const char doc[] = "{\"s\":\"中文\",\"i\":-42,\"r\":[0.0,2.5,1e20,-3e-7,1.5e3],"
                                  "\"t\":true,\"f\":false,\"n\":null,\"o\":{\"k\":[[\"deep\"]]},"
                                  "\"nul\":\"a\\u0000b\",\"e\":\"\"}";
        static const struct {
                const char *path, *text;
        } cases[] = {
                { "s", "中文" }, { "i", "-42" }, { "r[0]", "0.0" }, { "r.1", "2.5" },
                { "r[2]", "1e+20" }, { "r[3]", "-3e-07" }, { "r[4]", "1500.0" }, { "t", "true" },
                { "f", "false" }, { "n", "null" }, { "o.k[0][0]", "deep" }, { "o.k.0.0", "deep" },
                { "e", "" },
        };
        json_t *j = read_ok(doc, strlen(doc));
        char buf[64];

        (void) state;
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                int n = json_text_at(j, cases[i].path, buf, sizeof(buf));

                if (n < 0 || strcmp(buf, cases[i].text) != 0 || (size_t) n != strlen(buf))
                        fail_msg("'%s': %d '%s', not '%s'", cases[i].path, n, n >= 0 ? buf : "",
                                 cases[i].text);
        }
        /* an embedded NUL shows in the length */
        assert_int_equal(json_text_at(j, "nul", buf, sizeof(buf)), 3);
        assert_int_equal(strlen(buf), 1);
        /* not a scalar, not there, not a path */
        assert_int_equal(json_text_at(j, "o", buf, sizeof(buf)), -ENOENT);
        assert_int_equal(json_text_at(j, "r", buf, sizeof(buf)), -ENOENT);
        assert_int_equal(json_text_at(j, "r[5]", buf, sizeof(buf)), -ENOENT);
        assert_int_equal(json_text_at(j, "s.x", buf, sizeof(buf)), -ENOENT);
        assert_int_equal(json_text_at(j, "i[0]", buf, sizeof(buf)), -ENOENT);
        assert_int_equal(json_text_at(j, "o[0]", buf, sizeof(buf)), -ENOENT);
        assert_int_equal(json_text_at(j, "a..b", buf, sizeof(buf)), -ENOENT);
        assert_int_equal(json_text_at(NULL, "s", buf, sizeof(buf)), -ENOENT);
        /* too long for the buffer: 6 bytes and the NUL */
        assert_int_equal(json_text_at(j, "s", buf, 6), -ENOBUFS);
        assert_int_equal(json_text_at(j, "s", buf, 7), 6);
        json_decref(j);
}

static void test_nesting_bound(void **state) {
        size_t n = 1u << 20;
        char *bomb = malloc(n);
        json_t *j = NULL;

        (void) state;
        assert_non_null(bomb);
        memset(bomb, '[', n / 2);
        memset(bomb + n / 2, ']', n / 2);
        assert_int_equal(json_read(bomb, n, &j), -EBADMSG);
        /* 2048 levels still read */
        memset(bomb, '[', 2048);
        memset(bomb + 2048, ']', 2048);
        json_decref(read_ok(bomb, 4096));
        free(bomb);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_read),
                cmocka_unit_test(test_paths_valid),
                cmocka_unit_test(test_text_at),
                cmocka_unit_test(test_nesting_bound),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
