/* SPDX-License-Identifier: MIT */

/* lib/buf: the growing buffer and its JSON escaping, which the file carrier writes lines
 * with and the http carrier fills JSON templates with. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"

static void test_append(void **state) {
        Buf b = {};

        (void) state;
        buf_add(&b, "", 0);
        assert_non_null(b.data);
        assert_string_equal(b.data, "");
        buf_puts(&b, "物业");
        buf_printf(&b, "%s=%d", "费", 42);
        assert_string_equal(b.data, "物业费=42");
        assert_int_equal(b.len, strlen("物业费=42"));
        buf_clear(&b);
        assert_string_equal(b.data, "");
        assert_int_equal(b.len, 0);
        buf_wipe(&b);
        assert_null(b.data);
        assert_false(b.oom);
}

static char *json_string(const char *s) {
        Buf b = {};

        buf_put_json_string(&b, s);
        return buf_steal(&b);
}

static char *json_escaped(const char *s) {
        Buf b = {};

        buf_put_json_escaped(&b, s);
        return buf_steal(&b);
}

static void test_json_escaped(void **state) {
        static const struct {
                const char *in, *out;
        } cases[] = {
                { "", "" },
                { "plain", "plain" },
                { "尊敬的业主 😀", "尊敬的业主 😀" },
                { "\"A&B\"\\", "\\\"A&B\\\"\\\\" },
                { "a\nb\rc\td\be\ff", "a\\nb\\rc\\td\\be\\ff" },
                { "\x01\x1f\x7f", "\\u0001\\u001f\x7f" },
                /* a stray byte, a cut sequence, a surrogate, an overlong slash */
                { "x\x80y", "x\\ufffdy" },
                { "物\xe4\xb8", "物\\ufffd\\ufffd" },
                { "\xed\xa0\x80", "\\ufffd\\ufffd\\ufffd" },
                { "\xc0\xaf", "\\ufffd\\ufffd" },
        };

        (void) state;
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char *e = json_escaped(cases[i].in), *q = json_string(cases[i].in);
                char want[128];

                assert_string_equal(e, cases[i].out);
                snprintf(want, sizeof(want), "\"%s\"", cases[i].out);
                assert_string_equal(q, want);
                free(e);
                free(q);
        }
        /* NULL: nothing inside quotes, null as a value */
        {
                char *e = json_escaped(NULL), *q = json_string(NULL);

                assert_string_equal(e, "");
                assert_string_equal(q, "null");
                free(e);
                free(q);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_append),
                cmocka_unit_test(test_json_escaped),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
