/* SPDX-License-Identifier: MIT */
#pragma once

/* The outbox rows in the store (the dispatches table: the outbox and the log in one), and
 * the SQL of the transitions outbox.h describes. Claims and records run inside the
 * caller's transaction, so the dispatcher can group-commit outcomes with the next claim. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "outbox.h"
#include "store.h"

/* A row the planner writes for one household. */
typedef struct OutboxPlanned {
        int64_t occurrence_id;
        int64_t household_id;
        int64_t contact_id;             /* 0 = none */
        const char *channel;
        const char *recipient;          /* "" when skipped */
        const char *recipient_name;
        const char *category;
        const char *template_name;      /* "deadline/monthly" */
        const char *subject;            /* NULL unless e-mail */
        const char *text;
        unsigned parts;
        int64_t amount;                 /* fen */
        const char *skip_reason;        /* NULL = pending; else the row is `skipped` */
} OutboxPlanned;

int store_outbox_add(Store *s, const OutboxPlanned *p, const char *now);

/* A claimed row's text rendered again: its household's balance moved since the plan (a
 * partial payment between the night's planning and the morning's send). */
typedef struct OutboxText {
        char *text;
        char *subject;                  /* NULL unless the template has one */
        unsigned parts;
} OutboxText;

/* The households a row's text names: the row's own, then — for a row that carries the
 * message of several households of one owner — the others' (merged_into = the row), in
 * the order they were planned (unit order). */
typedef struct OutboxGroup {
        const char *const *units;
        size_t n_units;                 /* 1 for a row of one household */
        int64_t balance;                /* what they owe now, summed (fen) */
} OutboxGroup;

/* Fills *ret (malloc'd strings) for row as it reads with group owing now; 0 with
 * ret->text NULL keeps the row's text (its schedule is gone from the config). */
typedef int (*outbox_refresh_t)(const OutboxRow *row, const OutboxGroup *group, OutboxText *ret,
                                void *userdata);

typedef struct OutboxRefresh {
        outbox_refresh_t render;        /* NULL: rows go out as planned */
        void *userdata;
} OutboxRefresh;

/* One message per owner (store-merge.h): renders the text of every row of the occurrence
 * that carries others' households for the whole group, through render, as the plan's text;
 * the row's amount becomes the group's. Inside the planner's transaction. Returns 0 or a
 * negative errno. */
int store_outbox_render_merged(Store *s, int64_t occurrence_id, outbox_refresh_t render,
                               void *userdata, const char *now);

/* Claims up to max due rows (pending, or retry whose time came by now_usec) of one channel
 * of an occurrence, oldest first, into rows[]: each becomes `sending` with attempts + 1,
 * claimed_by = our pid and the carrier's name. A due row of a household that no longer
 * owes, filed a complaint (disputed) or opted the contact out since the plan, is
 * `cancelled` instead and counted
 * in *cancelled; one whose household owes another
 * amount than planned is rendered again through refresh (when given), and keeps the planned
 * text and amount beside the ones that go out. A row carrying several households of one
 * owner is checked for the group: its merged households that paid (or are disputed) are
 * `cancelled`, and the text is rendered again for those still owing; when its own
 * household paid, it is cancelled and the first household still owing carries the
 * message instead. *ret_n is how many were claimed. Inside a transaction; the caller
 * commits before it sends any of them. */
int store_outbox_claim(Store *s, int64_t occurrence_id, const char *channel, uint64_t now_usec,
                       const char *carrier, const OutboxRefresh *refresh, size_t max,
                       OutboxRow *rows, size_t *ret_n, unsigned *cancelled);

/* When the earliest retry of the channel is due (µs), or 0 when none waits. */
int store_outbox_next_retry(Store *s, int64_t occurrence_id, const char *channel,
                            uint64_t *ret_usec);

/* Writes the outcome of a claimed row as d decided, with what follows from it: an invalid
 * recipient marks the contact invalid and queues the same text on the schedule's next
 * channel that has a usable contact, once (*ret_failover) — the households merged into
 * the row then wait for that one; otherwise they take the row's final status (sent,
 * failed, unknown), message id and time. Inside a transaction. */
int store_outbox_record(Store *s, const OutboxRow *row, const OutboxDecision *d,
                        const struct dunnd_outcome *o, bool *ret_failover);

/* Marks rows left in `sending` by processes that no longer exist as `unknown`, and the
 * households merged into them with them (its own transaction). Returns the number of
 * rows marked (not counting the merged ones), or a negative errno. */
int store_outbox_recover_interrupted(Store *s);

/* Rows of the occurrence still to send (pending or retry), on channel (NULL: on any). */
int store_outbox_count_open(Store *s, int64_t occurrence_id, const char *channel, unsigned *ret);

/* A delivery receipt for a row: `unknown` or `sent` rows take it (an unknown row becomes
 * sent, or failed for an undelivered receipt); a queued receipt changes nothing but the
 * receipt column. A `sending` row keeps it until its outcome is recorded, which it then
 * overrules (a delivered message is never retried). The households merged into the row
 * follow it. Returns 1 when the row changed, 0 when there was nothing to change, or
 * a negative errno. */
int store_outbox_apply_receipt(Store *s, int64_t dispatch_id, const char *receipt);

/* The reminders households have had, or have coming, on local day `day` and in the days
 * first_day..day ('YYYY-MM-DD'): occurrences with a row for them that went or goes out,
 * over all schedules and channels (the frequency caps). Calls each() once per household
 * that has any, in household id order. */
typedef struct ReminderCount {
        int64_t household_id;
        unsigned day;                   /* occurrences on `day` */
        unsigned week;                  /* ... on first_day..day */
} ReminderCount;

typedef int (*reminders_each_t)(const ReminderCount *c, void *userdata);

int store_outbox_reminders_each(Store *s, const char *first_day, const char *day,
                                reminders_each_t each, void *userdata);
