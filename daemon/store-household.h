/* SPDX-License-Identifier: MIT */
#pragma once

/* What the store knows about a household other than money: the household row, its owners
 * and contacts, its category with the history of every change, and staff notes. */

#include <stdbool.h>
#include <stdint.h>

#include "category.h"
#include "store.h"

typedef enum StoreChange {
        STORE_UNCHANGED,
        STORE_ADDED,
        STORE_UPDATED,
} StoreChange;

/* The household with this unit code: 0 with *ret_id, -ENOENT, or another negative errno. */
int store_household_find(Store *s, const char *unit, int64_t *ret_id);

/* One household as the billing system exports it (dunnctl import households). */
typedef struct HouseholdRecord {
        const char *unit, *building, *room, *property_type, *staff;
        bool has_floor;
        int64_t floor;
        int64_t area_centi;             /* hundredths of m² */
        bool vacant;
        bool prepaid;                   /* prepaid payer, else monthly */
        int64_t prepaid_balance;        /* fen */
        const char *owner;              /* becomes the primary owner */
        const char *phone, *email, *wechat_openid;      /* NULL or "" = none in the file */
} HouseholdRecord;

/* Adds the household or brings it up to date (an identical row is left untouched, so a
 * re-import changes nothing); the owner becomes the primary one and each given contact
 * the first tried on its channel. *ret tells what happened. Inside a transaction. */
int store_household_upsert(Store *s, const HouseholdRecord *h, const char *now, StoreChange *ret);

typedef enum CategorySet {
        CATEGORY_SET_ALWAYS,            /* staff recorded a call: history even if unchanged */
        CATEGORY_SET_IF_CHANGED,        /* an import or a rule: nothing if it is the same */
} CategorySet;

/* The one way a household's category changes: the household row and its history row
 * (category, promise, note, source: "dunnctl", "import", "campaign") together.
 * promise_day is a day number or -1. *ret_changed (may be NULL) tells whether anything
 * was written. Call inside a transaction. */
int store_household_set_category(Store *s, int64_t id, Category category, int64_t promise_day,
                                 const char *note, const char *source, const char *now,
                                 CategorySet how, bool *ret_changed);

/* A staff note; with skip_duplicate a note with the same text is not added again (an
 * import of the same file). *ret_added may be NULL. */
int store_household_add_note(Store *s, int64_t id, const char *text, const char *source,
                             const char *now, bool skip_duplicate, bool *ret_added);

/* Closes the promises whose day passed before today (promise.h decides): a kept one moves
 * the household to `new`, a broken one to `unclear`, each with its history line. Counts
 * the moves. Inside a transaction. */
int store_household_close_promises(Store *s, int64_t today, const char *now, unsigned *ret_kept,
                                   unsigned *ret_broken);

/* After paid (fen) came in for a promised household: draws the promise down, and closes it
 * as kept (*ret_kept) once it is paid or nothing is owed. Inside the payment's transaction. */
int store_household_settle_promise(Store *s, int64_t id, int64_t paid, const char *now,
                                   bool *ret_kept);

/* A household that becomes unreachable by staff (categorize, an import) owes a door visit
 * (households.visit_reason, visit_since); this is the reason when staff gave no note. */
#define VISIT_REASON_STAFF "无法联系 (staff: unreachable)"

/* The first usable contact (not invalid, not opted out) of the household on the first of
 * channels[0..n) that has one — in their order, by priority within a channel: 1 with
 * *ret_channel (its index in channels), *ret_contact_id and *ret_address (the caller frees
 * it), 0 when there is none, or a negative errno. One query for all channels: the planner
 * asks per household. */
int store_contact_pick(Store *s, int64_t household_id, char *const *channels, size_t n,
                       size_t *ret_channel, int64_t *ret_contact_id, char **ret_address);

/* For a household store_contact_pick() found nothing for: 1 when it has a contact on one of
 * the channels that is not invalid but opted out (the skip reason says so), 0 when not. */
int store_contact_opted_out_only(Store *s, int64_t household_id, char *const *channels,
                                 size_t n);

/* The contact is wrong (a carrier said so, or staff): it is not tried again. When it was the
 * household's last phone not marked invalid, the household moves to `unreachable` (unless
 * it is disputed or there already), with "所有手机号无效 (every phone number invalid:
 * 139****0001 空号)" in its history and a door visit owed. Returns 1 when it moved, 0 when
 * not, or a negative errno. Inside a transaction. */
int store_contact_mark_invalid(Store *s, int64_t contact_id, const char *reason, const char *now);

/* Staff found a contact dead: the household's contact on channel with that address, or
 * (address NULL) the first tried there that is not invalid yet. 1 when one was marked, 0
 * when there is no such contact. Inside a transaction. */
int store_contact_invalidate(Store *s, int64_t household_id, const char *channel,
                             const char *address, const char *reason, const char *now);

/* The household's stored category: 0, -ENOENT. */
int store_household_category(Store *s, int64_t id, Category *ret);

/* `dunnctl resolve`: a disputed household's complaint is closed; it returns to `unclear`,
 * with "投诉已解决 (complaint resolved): NOTE" in its history. 1 when it was resolved, 0
 * when the household is not disputed (*ret_current says what it is; nothing written).
 * Inside a transaction. */
int store_household_resolve_dispute(Store *s, int64_t id, const char *note, const char *now,
                                    Category *ret_current);
