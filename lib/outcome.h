/* SPDX-License-Identifier: MIT */
#pragma once

/* The names of the outcome classes (dunnd-carrier.h), as the store, the log and the
 * plugins' tests spell them. */

#include "dunnd-carrier.h"

/* "sent", "transient", ..., "carrier_failure"; "invalid" for a value outside the enum. */
const char *outcome_class_to_string(enum dunnd_outcome_class k);
/* The class named s, or -EINVAL. */
int outcome_class_from_string(const char *s);

/* What a plugin handed back, made safe for the store, the log and a staff terminal: a
 * class outside the enum is `unknown` (it may have gone out), the strings are terminated
 * and hold no control characters (terminal escapes from whatever a carrier answered). */
void outcome_sanitize(struct dunnd_outcome *o);
