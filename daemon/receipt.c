/* SPDX-License-Identifier: MIT */

#include <errno.h>

#include "receipt.h"
#include "store-outbox.h"

ReceiptKind receipt_kind_from_kannel(unsigned status) {
        if (status & 1)
                return RECEIPT_DELIVERED;
        if (status & (2 | 16))
                return RECEIPT_UNDELIVERED;
        if (status & 8)
                return RECEIPT_ACCEPTED;
        if (status & 4)
                return RECEIPT_QUEUED;
        return _RECEIPT_KIND_INVALID;
}

const char *receipt_kind_to_string(ReceiptKind k) {
        static const char *const names[_RECEIPT_KIND_MAX] = {
                [RECEIPT_DELIVERED] = "delivered",
                [RECEIPT_UNDELIVERED] = "undelivered",
                [RECEIPT_ACCEPTED] = "accepted",
                [RECEIPT_QUEUED] = "queued",
        };
        return k >= 0 && k < _RECEIPT_KIND_MAX ? names[k] : NULL;
}

int receipt_apply(Store *s, int64_t dispatch_id, ReceiptKind kind) {
        if (kind < 0 || kind >= _RECEIPT_KIND_MAX)
                return -EINVAL;
        return store_outbox_apply_receipt(s, dispatch_id, receipt_kind_to_string(kind));
}
