/* SPDX-License-Identifier: MIT */
#pragma once

/* One message per owner, in the store: the households of one owner (the rows of an
 * occurrence that go to the same recipient on the same channel) get one message. The
 * first row of such a group — lowest id, first in unit order — carries it; every other
 * household keeps its own row for the log, `skipped` with merged_into = the carrier row
 * while it waits, and then follows the carrier's outcome (sent, failed, unknown). A merged
 * row is never claimed. The claim (store-outbox.c) checks the group's balances. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* Merges the occurrence's pending rows by (channel, recipient), inside the planner's
 * transaction. Returns the number of rows merged into another, or a negative errno. */
int store_merge_owners(Store *s, int64_t occurrence_id, const char *now);

/* A household waiting in a carrier row's message, as it stands now. */
typedef struct MergedHousehold {
        int64_t dispatch_id;
        int64_t amount;                 /* fen, as planned for it */
        int64_t balance;                /* fen, owed now */
        bool disputed;                  /* a complaint filed since the plan */
        char *unit;
} MergedHousehold;

/* The households waiting in carrier_id's message, in planned (unit) order, into a malloc'd
 * array (*ret NULL and *ret_n 0 when none). */
int store_merge_members(Store *s, int64_t carrier_id, MergedHousehold **ret, size_t *ret_n);
MergedHousehold *merged_households_free(MergedHousehold *h, size_t n);

/* A waiting household that paid or filed a complaint before the send: `cancelled`, why. */
int store_merge_cancel(Store *s, int64_t dispatch_id, const char *why, const char *now);

/* The carrier's household paid: member_id carries the message instead (pending again,
 * merged into nothing) and the carrier's other waiting households wait for it. */
int store_merge_promote(Store *s, int64_t carrier_id, int64_t member_id, const char *now);

/* The carrier's waiting households wait for to_id instead (a failover row). */
int store_merge_repoint(Store *s, int64_t carrier_id, int64_t to_id, const char *now);

/* The carrier row's final status (sent, failed, unknown), message id, times and receipt,
 * copied to the households merged into it; nothing while it is not final. */
int store_merge_follow(Store *s, int64_t carrier_id, const char *now);

/* The households merged into rows that process pid left `sending` become `unknown` with
 * them; before those rows are marked. */
int store_merge_interrupted(Store *s, int64_t pid, const char *now);
