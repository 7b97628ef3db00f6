/* SPDX-License-Identifier: MIT */
#pragma once

/* One household's history as one timeline (dunnctl history): its category moves, staff
 * notes, opt-outs and opt-ins, payments and every outbox row (sent or not), oldest first.
 * Streamed from one query over the tables that hold them. */

#include <stdint.h>

#include "store.h"

typedef enum HistoryKind {
        HISTORY_CATEGORY,       /* category_history */
        HISTORY_NOTE,           /* notes */
        HISTORY_OPT_OUT,        /* notes written by an opt-out */
        HISTORY_OPT_IN,         /* notes written by an opt-in */
        HISTORY_PAYMENT,        /* payments, when recorded */
        HISTORY_MESSAGE,        /* dispatches: the row's send time, else its last change */
        _HISTORY_KIND_MAX,
        _HISTORY_KIND_INVALID = -22,
} HistoryKind;

const char *history_kind_to_string(HistoryKind k);

/* One entry. Strings are borrowed for the callback; NULL where the kind has none. */
typedef struct HistoryEntry {
        const char *time;               /* a store timestamp (UTC) */
        HistoryKind kind;
        const char *source;             /* who or what wrote it: dunnctl, import, carrier… */
        /* category */
        const char *category, *promise_date;
        /* category: its note or reason; note, opt-out, opt-in: the text */
        const char *text;
        /* payment */
        const char *paid_at, *method, *reference;
        int64_t amount;                 /* fen: payment, message */
        /* message */
        const char *occurrence, *channel, *status, *recipient, *error, *message;
} HistoryEntry;

typedef int (*history_each_t)(const HistoryEntry *e, void *userdata);

/* Every entry of the household, oldest first (times are whole seconds; within one:
 * messages, category moves, notes, payments, each in the order written). A category change made with a note (categorize --note) also
 * wrote that note: it shows once, in the category entry. */
int store_history_each(Store *s, int64_t household_id, history_each_t each, void *userdata);
