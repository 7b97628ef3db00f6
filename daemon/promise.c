/* SPDX-License-Identifier: MIT */

#include <stdio.h>

#include "promise.h"
#include "timeutil.h"

PromiseVerdict promise_verdict(int64_t promise_day, int64_t balance, int64_t today) {
        if (balance <= 0)
                return PROMISE_KEPT;
        /* the promised day itself still counts: broken only from the day after */
        if (promise_day >= 0 && promise_day < today)
                return PROMISE_BROKEN;
        return PROMISE_OPEN;
}

bool promise_paid(int64_t promise_owed, int64_t balance) {
        return promise_owed <= 0 || balance <= 0;
}

const char *promise_note(PromiseVerdict v, int64_t promise_day, char *buf, size_t len) {
        char day[DATE_BUFSZ];

        if (promise_day >= 0)
                date_format(promise_day, day);
        else
                snprintf(day, sizeof(day), "?");
        switch (v) {
        case PROMISE_KEPT:
                snprintf(buf, len, "承诺 %s 缴费，已兑现 (promise of %s kept)", day, day);
                break;
        case PROMISE_BROKEN:
                snprintf(buf, len, "承诺 %s 缴费，未兑现 (promise of %s not kept)", day, day);
                break;
        default:
                snprintf(buf, len, "承诺 %s 缴费 (promise of %s)", day, day);
                break;
        }
        return buf;
}
