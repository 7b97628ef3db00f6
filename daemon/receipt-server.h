/* SPDX-License-Identifier: MIT */
#pragma once

/* The daemon's receipt endpoint: a minimal HTTP/1.0 listener on the event loop for carrier
 * callbacks, e.g. Kannel's dlr-url "http://127.0.0.1:8091/dlr?id={{dispatch_id}}&status=%d".
 * It reads one request line (GET /anything?id=N&status=S[&token=T]), records the receipt and
 * answers 200; anything else gets 400, a wrong token 403. Requests are bounded (4 KiB, 5 s)
 * so a stuck or hostile client cannot hold the daemon. */

#include <systemd/sd-event.h>

#include "store.h"

typedef struct ReceiptServer ReceiptServer;

/* address: a numeric "ADDRESS:PORT" ("127.0.0.1:8091", "[::1]:8091"). token: NULL, or a
 * value requests must carry as &token=. Returns 0 or a negative errno (err says why). */
int receipt_server_new(sd_event *event, Store *store, const char *address, const char *token,
                       ReceiptServer **ret, char *err, size_t errlen);
ReceiptServer *receipt_server_free(ReceiptServer *s);

/* The port actually bound (useful with port 0). */
int receipt_server_port(const ReceiptServer *s);
