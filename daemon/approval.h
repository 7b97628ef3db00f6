/* SPDX-License-Identifier: MIT */
#pragma once

/* Where an occurrence of a schedule with `approval = true` stands: prepared and waiting for
 * staff, then approved (and sent), rejected or expired (its messages cancelled). An
 * occurrence of any other schedule has none. */

#include <errno.h>
#include <stdbool.h>

typedef enum Approval {
        APPROVAL_NONE,          /* the schedule needs no approval: it is sent as planned */
        APPROVAL_WAITING,       /* prepared; nothing goes out until `dunnctl approve` */
        APPROVAL_APPROVED,
        APPROVAL_REJECTED,
        APPROVAL_EXPIRED,       /* nobody approved it within approval_expires */
        _APPROVAL_MAX,
        _APPROVAL_INVALID = -EINVAL,
} Approval;

/* "waiting" ... as the store keeps it; APPROVAL_NONE is NULL. */
const char *approval_to_string(Approval a);
/* NULL or "" is APPROVAL_NONE; an unknown word _APPROVAL_INVALID. */
Approval approval_from_string(const char *s);

/* Whether an occurrence in this state may be sent: no approval needed, or approved. */
static inline bool approval_allows_sending(Approval a) {
        return a == APPROVAL_NONE || a == APPROVAL_APPROVED;
}
