/* SPDX-License-Identifier: MIT */

/* Parses arbitrary bytes as a message template, renders what parses and counts SMS parts. */

#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "template.h"
#include "utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *lookup(const char *name, void *userdata) {
        (void) userdata;

        /* Leave one variable unset to exercise the NULL-as-empty path. */
        if (streq(name, "late_fee"))
                return NULL;
        return "张三{{x}}\\";
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(template_freep) Template *t = NULL;
        _cleanup_free_ char *text = NULL, *out = NULL;
        char err[128];
        size_t offset = SIZE_MAX;
        SmsCount c;
        int r;

        text = strndup((const char *) data, size);
        if (!text)
                return 0;

        sms_count(text, &c);
        assert(c.parts == 0 || c.units > 0);
        assert(c.units > 0 || c.parts == 0);
        assert(c.encoding == SMS_ENCODING_GSM7 || c.encoding == SMS_ENCODING_UCS2);

        r = template_parse(text, template_variables, &t, err, sizeof(err), &offset);
        if (r < 0) {
                assert(r == -EINVAL);
                assert(!t);
                assert(offset < strlen(text));
                assert(memchr(err, '\0', sizeof(err)));
                return 0;
        }

        r = template_render(t, lookup, NULL, &out);
        assert(r == 0);
        /* Parsing only accepts UTF-8 and the values are UTF-8, so the result is too. */
        assert(utf8_is_valid(out, strlen(out)));
        assert(!template_uses(t, "no_such_variable"));

        sms_count(out, &c);
        return 0;
}
