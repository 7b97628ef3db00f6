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
