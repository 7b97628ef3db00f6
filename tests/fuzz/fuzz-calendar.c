/* SPDX-License-Identifier: MIT */
/* libFuzzer harness: parse arbitrary input as a calendar expression; when it parses, the normalized
 * form must parse again to the same form, and one next-elapse computation must terminate. */

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "macro.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(calendar_spec_freep) CalendarSpec *c = NULL, *again = NULL;
        _cleanup_free_ char *s = NULL, *s2 = NULL, *in = NULL;
        char err[256];
        usec_t next;

        if (size > 4096)
                return 0;
        in = malloc(size + 1);
        if (!in)
                return 0;
        memcpy(in, data, size);
        in[size] = 0;

        if (calendar_spec_from_string(in, &c, err, sizeof(err)) < 0)
                return 0;

        s = calendar_spec_to_string(c);
        if (!s)
                abort();
        if (calendar_spec_from_string(s, &again, err, sizeof(err)) < 0)
                abort();
        s2 = calendar_spec_to_string(again);
        if (!s2 || strcmp(s, s2) != 0)
                abort();

        /* 2026-02-27 02:15:00 UTC, in the zone the daemon would typically use. */
        (void) calendar_spec_next_usec(c, (usec_t) 1772158500 * USEC_PER_SEC, "Asia/Shanghai", &next);
        return 0;
}
