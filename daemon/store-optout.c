/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <stdlib.h>

#include "buf.h"
#include "mask.h"
#include "store-household.h"
#include "store-internal.h"
#include "store-optout.h"

typedef struct Changed {
        int64_t household_id;
        char *channel, *address;
} Changed;

static void changed_free(Changed *c, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(c[i].channel);
                free(c[i].address);
        }
        free(c);
}

static int changed_cmp(const void *a, const void *b) {
        const Changed *x = a, *y = b;

        return x->household_id < y->household_id ? -1 : x->household_id > y->household_id;
}

static int count_target(Store *s, const OptoutTarget *t, unsigned *ret) {
        _cleanup_reset_ sqlite3_stmt *st = NULL;
        Binder b;
        int r;

        r = store_query(s,
                        "SELECT COUNT(*) FROM contacts"
                        " WHERE (CASE WHEN ?1 > 0 THEN household_id = ?1 ELSE address = ?2 END)"
                        "   AND (?3 IS NULL OR channel = ?3)",
                        &st, &b);
        if (r < 0)
                return r;
        bind_int64(&b, t->household_id);
        bind_text(&b, t->address);
        bind_text(&b, t->channel);
        r = bind_step(&b);
        if (r < 0)
                return r;
        *ret = r > 0 ? (unsigned) sqlite3_column_int64(st, 0) : 0;
        return 0;
}

/* The contacts that change, collected: the notes are written once the UPDATE is done. */
static int update_target(Store *s, const OptoutTarget *t, bool opt_out, const char *by,
                         const char *note, const char *now, Changed **ret, size_t *ret_n) {
        _cleanup_reset_ sqlite3_stmt *st = NULL;
        Changed *c = NULL;
        size_t n = 0, cap = 0;
        Binder b;
        int r;

        r = store_query(s,
                        "UPDATE contacts SET"
                        "  opted_out_at = CASE WHEN ?4 THEN ?5 END,"
                        "  opted_out_by = CASE WHEN ?4 THEN ?6 END,"
                        "  opted_out_note = CASE WHEN ?4 THEN ?7 END"
                        " WHERE (CASE WHEN ?1 > 0 THEN household_id = ?1 ELSE address = ?2 END)"
                        "   AND (?3 IS NULL OR channel = ?3)"
                        "   AND (opted_out_at IS NULL) = (?4 != 0)"
                        " RETURNING household_id, channel, address",
                        &st, &b);
        if (r < 0)
                return r;
        bind_int64(&b, t->household_id);
        bind_text(&b, t->address);
        bind_text(&b, t->channel);
        bind_int(&b, opt_out);
        bind_text(&b, now);
        bind_text(&b, by);
        bind_text_or_null(&b, note);
        r = bind_end(&b);
        /* every RETURNING row is read: the update completes only when the statement does */
        while (r >= 0 && (r = store_step(st)) > 0) {
                if (n == cap) {
                        Changed *nc = realloc(c, (cap = cap ? cap * 2 : 8) * sizeof(*c));
                        if (!nc) {
                                r = -ENOMEM;
                                break;
                        }
                        c = nc;
                }
                c[n] = (Changed) {
                        .household_id = sqlite3_column_int64(st, 0),
                        .channel = strdup(column_text(st, 1)),
                        .address = strdup(column_text(st, 2)),
                };
                n++;
                if (!c[n - 1].channel || !c[n - 1].address)
                        r = -ENOMEM;
        }
        if (r < 0) {
                changed_free(c, n);
                return r;
        }
        /* qsort() may not be handed NULL, even for nothing */
        if (n > 1)
                qsort(c, n, sizeof(*c), changed_cmp);
        *ret = c;
        *ret_n = n;
        return 0;
}

/* "退订 (opted out): sms 139****0001, email z***@example.com; by alice: 业主要求" */
static int note_household(Store *s, const Changed *c, size_t n, bool opt_out, const char *by,
                          const char *note, const char *now) {
        _cleanup_(buf_freep) Buf line = {};

        buf_puts(&line, opt_out ? "退订 (opted out): " : "恢复提醒 (opted in): ");
        for (size_t i = 0; i < n; i++) {
                char masked[MASK_BUFSZ];

                /* masked: notes are read by staff and printed in reports */
                buf_printf(&line, "%s%s %s", i > 0 ? ", " : "", c[i].channel,
                           mask_recipient(c[i].channel, c[i].address, masked, sizeof(masked)));
        }
        buf_printf(&line, "; by %s", by);
        if (!isempty(note))
                buf_printf(&line, ": %s", note);
        if (line.oom)
                return -ENOMEM;
        return store_household_add_note(s, c[0].household_id, line.data,
                                        opt_out ? "optout" : "optin", now, false, NULL);
}

int store_contacts_set_opt_out(Store *s, const OptoutTarget *t, bool opt_out, const char *by,
                               const char *note, const char *now, unsigned *ret_changed) {
        Changed *c = NULL;
        unsigned matched;
        size_t n = 0;
        int r;

        *ret_changed = 0;
        if (t->household_id <= 0 && isempty(t->address))
                return -EINVAL;
        r = count_target(s, t, &matched);
        if (r < 0 || matched == 0)
                return r < 0 ? r : 0;
        r = update_target(s, t, opt_out, by, note, now, &c, &n);
        if (r < 0)
                return r;
        for (size_t i = 0, j; r >= 0 && i < n; i = j) {
                for (j = i + 1; j < n && c[j].household_id == c[i].household_id; j++)
                        ;
                r = note_household(s, c + i, j - i, opt_out, by, note, now);
        }
        changed_free(c, n);
        if (r < 0)
                return r;
        *ret_changed = (unsigned) n;
        return (int) matched;
}
