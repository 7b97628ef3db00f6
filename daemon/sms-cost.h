/* SPDX-License-Identifier: MIT */
#pragma once

/* What SMS cost: carriers bill every part of a long message (template.h counts them), at
 * the config's sms_price_fen per part. One tally for preview, run and show, so they add up
 * the same way: only messages that go out on the sms channel count. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "template.h"

typedef struct SmsTally {
        unsigned messages;              /* SMS messages (skipped and e-mail ones not counted) */
        uint64_t parts;                 /* the parts they are billed as */
        unsigned multipart;             /* messages of more than one part */
        int64_t cost_fen;               /* parts × price */
} SmsTally;

/* parts × price_fen (a price <= 0 costs nothing). */
int64_t sms_cost_fen(uint64_t parts, int price_fen);

/* Counts one message that goes out on channel (NULL: skipped, not counted). */
void sms_tally_add(SmsTally *t, const char *channel, const SmsCount *count, int price_fen);

/* Counts `messages` SMS of `parts` parts in all (from the store's outbox rows). */
void sms_tally_add_parts(SmsTally *t, unsigned messages, uint64_t parts, int price_fen);

#define SMS_TALLY_BUFSZ 128
/* "3 SMS, 4 parts, 0.20 yuan (5 fen a part)"; without a price "3 SMS, 4 parts (no
 * sms_price_fen configured)". Returns buf. */
char *sms_tally_format(const SmsTally *t, int price_fen, char *buf, size_t len);

/* "1 part, 0.05 yuan" / "2 parts, 0.10 yuan" / "2 parts": one message, for preview rows.
 * Returns buf. */
char *sms_parts_format(size_t parts, int price_fen, char *buf, size_t len);
