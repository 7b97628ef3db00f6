/* SPDX-License-Identifier: MIT */

/* libFuzzer harness for the edge parsers that read untrusted spreadsheet cells: amounts
 * must survive parse -> format -> parse unchanged, phone numbers must normalize to
 * something that is itself a valid, stable mobile number, and masking must stay inside its
 * buffer whatever the input. */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mask.h"
#include "money.h"
#include "phone.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_money(const char *s) {
        char buf[MONEY_BUFSZ];
        int64_t v, w;

        for (int neg = 0; neg <= 1; neg++) {
                if (money_parse_yuan(s, neg, &v) < 0)
                        continue;
                if (v > INT64_C(1000000000000000) || v < -INT64_C(1000000000000000))
                        abort();
                if (!neg && v < 0)
                        abort();

                if (money_parse_yuan(money_format(v, buf, sizeof(buf)), 1, &w) < 0 || w != v) {
                        fprintf(stderr, "round trip: \"%s\" -> %lld -> \"%s\"\n", s, (long long) v, buf);
                        abort();
                }
                if (money_parse_yuan(money_format_plain(v, buf, sizeof(buf)), 1, &w) < 0 || w != v) {
                        fprintf(stderr, "plain round trip: \"%s\" -> %lld -> \"%s\"\n", s, (long long) v, buf);
                        abort();
                }
                /* Scaling by 1/1 must be the identity. */
                if (money_scale(v, 1, 1) != v)
                        abort();
        }
}

static void check_phone(const char *s) {
        char out[PHONE_BUFSZ], again[PHONE_BUFSZ];

        if (phone_normalize(s, out) < 0) {
                if (phone_is_valid(s))
                        abort();
                return;
        }
        if (strlen(out) != 11 || out[0] != '1' || out[1] < '3' || out[1] > '9')
                abort();
        for (size_t i = 0; i < 11; i++)
                if (out[i] < '0' || out[i] > '9')
                        abort();
        if (phone_normalize(out, again) < 0 || strcmp(out, again) != 0)
                abort();
}

static void check_mask(const char *s) {
        char buf[MASK_BUFSZ + 1];
        size_t sizes[] = { 1, 2, 5, 16, MASK_BUFSZ };

        for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
                size_t n = sizes[i];

                /* A canary right after the buffer the function is allowed to use. */
                buf[n] = 'Z';
                if (strlen(mask_phone(s, buf, n)) >= n || buf[n] != 'Z')
                        abort();
                if (strlen(mask_name(s, buf, n)) >= n || buf[n] != 'Z')
                        abort();
                if (strlen(mask_email(s, buf, n)) >= n || buf[n] != 'Z')
                        abort();
                if (strlen(mask_recipient("x", s, buf, n)) >= n || buf[n] != 'Z')
                        abort();
        }
        (void) email_validate(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *s;

        if (size > 4096)
                return 0;
        s = malloc(size + 1);
        if (!s)
                return 0;
        memcpy(s, data, size);
        s[size] = '\0';

        check_money(s);
        check_phone(s);
        check_mask(s);

        free(s);
        return 0;
}
