/* SPDX-License-Identifier: MIT */

#include <stdbool.h>

#include "approval.h"
#include "macro.h"

static const char *const approval_names[_APPROVAL_MAX] = {
        [APPROVAL_NONE] = NULL,
        [APPROVAL_WAITING] = "waiting",
        [APPROVAL_APPROVED] = "approved",
        [APPROVAL_REJECTED] = "rejected",
        [APPROVAL_EXPIRED] = "expired",
};

const char *approval_to_string(Approval a) {
        return a >= 0 && a < _APPROVAL_MAX ? approval_names[a] : NULL;
}

Approval approval_from_string(const char *s) {
        if (isempty(s))
                return APPROVAL_NONE;
        for (int a = APPROVAL_WAITING; a < _APPROVAL_MAX; a++)
                if (streq(s, approval_names[a]))
                        return (Approval) a;
        return _APPROVAL_INVALID;
}
