/* SPDX-License-Identifier: MIT */
#pragma once

/* Campaign occurrences: one row per schedule × the time it stands for
 * ("deadline@2026-12-14T09:30"), unique by that key — what makes the same occurrence,
 * started by the daemon and by cron, planned once. */

#include <stdbool.h>
#include <stdint.h>

#include "store.h"

/* 1 with *ret_id when an occurrence with this key exists, 0 when not, or a negative errno. */
int store_occurrence_find(Store *s, const char *key, int64_t *ret_id);

typedef struct OccurrenceRecord {
        const char *key;
        const char *schedule;
        const char *at;                 /* the local time it stands for */
        const char *origin;             /* dunnctl | dunnd | catch-up */
        const char *channels;           /* the schedule's channels in failover order, "sms,email" */
        const char *approval;           /* NULL, or "waiting" for a schedule with approval */
        const char *expires_at;         /* a store timestamp: when a waiting one expires */
} OccurrenceRecord;

int store_occurrence_insert(Store *s, const OccurrenceRecord *o, const char *now, int64_t *ret_id);
int store_occurrence_set_selected(Store *s, int64_t id, unsigned selected);

/* An occurrence as `dunnctl show` and approval read it; malloc'd strings, NULL where the
 * store has none. Free with occurrence_info_done(). */
typedef struct OccurrenceInfo {
        int64_t id;
        char *key, *schedule, *at, *origin;
        char *state;                    /* planned | done */
        char *created_at, *finished_at; /* store timestamps */
        char *approval;                 /* NULL, waiting, approved, rejected, expired */
        char *approval_by, *approval_at, *expires_at;
        unsigned selected;
} OccurrenceInfo;

/* Fills *ret for the occurrence with this id. Returns 0, -ENOENT, or a negative errno. */
int store_occurrence_get(Store *s, int64_t id, OccurrenceInfo *ret);
void occurrence_info_done(OccurrenceInfo *o);

/* The occurrence's channels in failover order ("sms,email"); the caller frees it. */
int store_occurrence_channels(Store *s, int64_t id, char **ret);

/* Marks the occurrence done when nothing is left to send. */
int store_occurrence_finish_if_drained(Store *s, int64_t id, const char *now);

/* Calls each(category, status, count) for the occurrence's rows grouped so. */
typedef int (*occurrence_count_t)(const char *category, const char *status, unsigned n,
                                  void *userdata);
int store_occurrence_counts(Store *s, int64_t id, occurrence_count_t each, void *userdata);

/* One message per owner, as it went out: how many messages that were sent carried other
 * households (*ret_owners), and how many units they named in all (*ret_units). */
int store_occurrence_merged_sent(Store *s, int64_t id, unsigned *ret_owners, unsigned *ret_units);

/* An occurrence as the daemon resumes it; strings borrowed for the callback. */
typedef struct OccurrenceRef {
        int64_t id;
        const char *key;                /* deadline@2026-12-14T09:30 */
        const char *schedule;
        const char *at;                 /* the local time it stands for */
} OccurrenceRef;

/* Calls each() for occurrences not done that were created since `since` (a store
 * timestamp), oldest first; one that waits for approval is not among them (its sending is
 * dunnctl approve's). */
typedef int (*occurrence_each_t)(const OccurrenceRef *o, void *userdata);
int store_occurrences_unfinished(Store *s, const char *since, occurrence_each_t each,
                                 void *userdata);
