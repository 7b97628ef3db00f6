/* SPDX-License-Identifier: MIT */
#pragma once

/* Reading the dispatch log: the outbox rows with their occurrence and household, as staff
 * and scripts look at them (dunnctl log). */

#include "store.h"

typedef struct LogQuery {
        const char *occurrence;         /* a key, or a prefix ending in '@' ("deadline@") */
        const char *status;
        const char *unit;
        const char *since;              /* a store timestamp: rows changed since then */
} LogQuery;

/* The columns of one row, in this order, as text (NULL where the store has none); `dunnctl
 * log` prints them up to LOG_TEXT, `dunnctl show` the amount (fen) and parts too. */
typedef enum LogColumn {
        LOG_ID, LOG_OCCURRENCE, LOG_UNIT, LOG_OWNER, LOG_CATEGORY, LOG_CHANNEL, LOG_RECIPIENT,
        LOG_STATUS, LOG_RECEIPT, LOG_ATTEMPTS, LOG_CARRIER, LOG_UPDATED,
        LOG_MERGED_INTO,                /* the row whose message this household went with */
        LOG_ERROR, LOG_TEXT,
        LOG_PLANNED_TEXT,       /* what was planned, when a payment since made it change */
        LOG_AMOUNT, LOG_PARTS,
        _LOG_COLUMN_MAX,
} LogColumn;

typedef int (*log_row_t)(const char *const cells[_LOG_COLUMN_MAX], void *userdata);

/* Calls each once per matching row, oldest first. */
int store_log_each(Store *s, const LogQuery *q, log_row_t each, void *userdata);

/* The statuses a row can have (NULL-terminated), for checking and listing --status. */
extern const char *const store_log_statuses[];
bool store_log_status_is_valid(const char *status);
