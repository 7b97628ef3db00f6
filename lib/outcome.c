/* SPDX-License-Identifier: MIT */

#include <errno.h>

#include "macro.h"
#include "outcome.h"

static const char *const outcome_names[_DUNND_OUTCOME_MAX] = {
        [DUNND_OUTCOME_SENT] = "sent",
        [DUNND_OUTCOME_TRANSIENT] = "transient",
        [DUNND_OUTCOME_THROTTLED] = "throttled",
        [DUNND_OUTCOME_INVALID_RECIPIENT] = "invalid_recipient",
        [DUNND_OUTCOME_REJECTED] = "rejected",
        [DUNND_OUTCOME_UNKNOWN] = "unknown",
        [DUNND_OUTCOME_CARRIER_FAILURE] = "carrier_failure",
};

const char *outcome_class_to_string(enum dunnd_outcome_class k) {
        return (unsigned) k < _DUNND_OUTCOME_MAX ? outcome_names[k] : "invalid";
}

int outcome_class_from_string(const char *s) {
        for (int k = 0; s && k < _DUNND_OUTCOME_MAX; k++)
                if (streq(s, outcome_names[k]))
                        return k;
        return -EINVAL;
}

void outcome_sanitize(struct dunnd_outcome *o) {
        if ((unsigned) o->klass >= _DUNND_OUTCOME_MAX)
                o->klass = DUNND_OUTCOME_UNKNOWN;
        if (o->retry_after_ms < 0)
                o->retry_after_ms = 0;
        o->message_id[sizeof(o->message_id) - 1] = 0;
        o->error[sizeof(o->error) - 1] = 0;
        for (char *p = o->message_id; *p; p++)
                if ((unsigned char) *p < 0x20 || *p == 0x7f)
                        *p = '?';
        for (char *p = o->error; *p; p++)
                if ((unsigned char) *p < 0x20 || *p == 0x7f)
                        *p = ' ';
}
