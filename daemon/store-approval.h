/* SPDX-License-Identifier: MIT */
#pragma once

/* The approval of an occurrence in the store (occurrences.approval: waiting → approved |
 * rejected | expired, with who and when). Each transition holds only for an occurrence
 * still waiting and not yet expired at `now`, so a staff member approving and the daemon
 * expiring at the same moment cannot both win. Rejection and expiry close the occurrence:
 * its rows still to send become `cancelled`, saying why. */

#include <stdint.h>

#include "store.h"

/* Records that `by` approved the waiting occurrence at now (a store timestamp). Returns 1
 * when approved, 0 when it was not waiting or had expired by now (read the occurrence to
 * say which), or a negative errno. */
int store_approval_approve(Store *s, int64_t id, const char *by, const char *now);

/* Records that `by` rejected the waiting occurrence: it is done, and its rows still to send
 * are cancelled with the error `why`, counted in *ret_cancelled. Its own transaction.
 * Returns 1, 0 when it was not waiting or had expired by now, or a negative errno. */
int store_approval_reject(Store *s, int64_t id, const char *by, const char *why,
                          const char *now, unsigned *ret_cancelled);

/* Expires every waiting occurrence whose time ran out by now: its rows still to send are
 * cancelled ("not approved in time") and it is done; each(key, expires_at, cancelled) is
 * called for it, inside the transaction (for a log line; it must not use the store). Its
 * own transaction. Returns how many expired, or a negative errno. */
typedef void (*approval_expired_t)(const char *key, const char *expires_at, unsigned cancelled,
                                   void *userdata);
int store_approval_expire(Store *s, const char *now, approval_expired_t each, void *userdata);
