/* SPDX-License-Identifier: MIT */
#pragma once

/* Opt-outs (退订): an owner asked for no more reminders on a contact. An opted-out contact is
 * never picked (store_contact_pick) nor failed over to; it says who opted it out, when and
 * why (contacts.opted_out_at/_by/_note), and every change is a line in the household's
 * notes, so `dunnctl history` shows it after an opt-in cleared the columns. A re-import of
 * the households leaves it as it is. */

#include <stdint.h>

#include "store.h"

typedef struct OptoutTarget {
        int64_t household_id;           /* > 0: the contacts of this household */
        const char *address;            /* else: every contact with this address, any household */
        const char *channel;            /* NULL = every channel */
} OptoutTarget;

/* Opts the target's contacts out (opt_out) or back in, recorded as `by` with note (may be
 * NULL) at now; contacts already so are left alone. *ret_changed counts the contacts
 * changed. Returns how many contacts the target names (0: none, so nothing to do), or a
 * negative errno. Inside a transaction. */
int store_contacts_set_opt_out(Store *s, const OptoutTarget *t, bool opt_out, const char *by,
                               const char *note, const char *now, unsigned *ret_changed);
