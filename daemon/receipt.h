/* SPDX-License-Identifier: MIT */
#pragma once

/* Delivery receipts: what a carrier reports after it took a message (Kannel's dlr-url
 * callbacks). A receipt is the only honest way to settle a row left `unknown` (the request
 * may or may not have reached the carrier): a receipt for it proves it did. It never makes
 * anything be sent again. */

#include <stdint.h>

#include "store.h"

typedef enum ReceiptKind {
        RECEIPT_DELIVERED,              /* delivered to the phone */
        RECEIPT_UNDELIVERED,            /* the carrier gave up on it */
        RECEIPT_ACCEPTED,               /* the SMSC took it (not yet the phone) */
        RECEIPT_QUEUED,                 /* still queued: says nothing final */
        _RECEIPT_KIND_MAX,
        _RECEIPT_KIND_INVALID = -22,
} ReceiptKind;

/* Kannel's %d status (dlr-mask bits: 1 delivered to phone, 2 not delivered to phone,
 * 4 queued on SMSC, 8 delivered to SMSC, 16 not delivered to SMSC). */
ReceiptKind receipt_kind_from_kannel(unsigned status);
const char *receipt_kind_to_string(ReceiptKind k);

/* Records a receipt for a dispatch row: `unknown` or `sent` rows take it (an unknown row
 * becomes sent, or failed for an undelivered receipt); a queued receipt changes nothing
 * but the receipt column. Returns 1 when the row changed, 0 when there was nothing to
 * change (no such row, or a final state a receipt does not touch), or a negative errno. */
int receipt_apply(Store *s, int64_t dispatch_id, ReceiptKind kind);
