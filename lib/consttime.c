/* SPDX-License-Identifier: MIT */

#include <string.h>

#include "consttime.h"

bool consttime_streq(const char *a, const char *b) {
        size_t la, lb, n;
        volatile unsigned char diff = 0;

        if (!a || !b)
                return false;
        la = strlen(a);
        lb = strlen(b);
        diff = la != lb;
        /* walk the longer one whole; the shorter is read as zeros past its end */
        n = la > lb ? la : lb;
        for (size_t i = 0; i < n; i++) {
                unsigned char x = i < la ? (unsigned char) a[i] : 0;
                unsigned char y = i < lb ? (unsigned char) b[i] : 0;

                diff |= x ^ y;
        }
        return diff == 0;
}
