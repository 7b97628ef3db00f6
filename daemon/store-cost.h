/* SPDX-License-Identifier: MIT */
#pragma once

/* What an occurrence's SMS came to: the parts of the rows sent on the sms channel, as the
 * outbox recorded them when they were planned (dunnctl run's report, dunnctl show). */

#include <stdint.h>

#include "store.h"

/* Counts the occurrence's SMS rows that were sent (*ret_messages) and their parts. */
int store_occurrence_sms_sent(Store *s, int64_t occurrence_id, unsigned *ret_messages,
                              uint64_t *ret_parts);
/* The same for its SMS rows still to send (pending, retry or being sent): what approving a
 * prepared occurrence would cost, as planned (a partial payment may re-render a text). */
int store_occurrence_sms_to_send(Store *s, int64_t occurrence_id, unsigned *ret_messages,
                                 uint64_t *ret_parts);
