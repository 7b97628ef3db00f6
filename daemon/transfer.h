/* SPDX-License-Identifier: MIT */
#pragma once

/* One request to a network carrier: the easy handle with the host's defaults, the plugin's
 * prepare(), the response body, the plugin's finish(). Transfers run on one libcurl multi
 * handle on the event loop (curl-glue.c); their easy handles are kept and reused, and so
 * are the connections when the carrier allows it (curl-easy.h). */

#include <stdbool.h>
#include <systemd/sd-event.h>

#include "carrier.h"

typedef struct TransferPool TransferPool;

/* A transfer ended: o is its classified outcome (sanitized), tag what it was started with;
 * reuse_died says libcurl found its kept-alive connection dead after sending and was
 * refused the silent re-send (CURLE_SEND_FAIL_REWIND). */
typedef void (*transfer_done_t)(Carrier *c, void *tag, struct dunnd_outcome *o, bool reuse_died,
                                void *userdata);

int transfer_pool_new(sd_event *event, transfer_done_t done, void *userdata, TransferPool **ret);
/* Aborts what is still in flight first (transfer_pool_abort_all). */
TransferPool *transfer_pool_free(TransferPool *p);

/* Starts the request for m. Returns 0, or a negative errno when nothing went out (-EINVAL:
 * the plugin cannot express this message, a permanent refusal). */
int transfer_start(TransferPool *p, Carrier *c, const struct dunnd_message *m, void *tag);

/* Ends every transfer in flight: done() is called for each with an `unknown` outcome (it
 * may have reached the carrier), since no answer will come. */
void transfer_pool_abort_all(TransferPool *p);

unsigned transfer_pool_in_flight(const TransferPool *p);

/* One message, blocking, outside any outbox (dunnctl test-carrier): the same request the
 * dispatcher would make. Returns 0 with *o filled, or a negative errno. */
int transfer_send_blocking(Carrier *c, const struct dunnd_message *m, struct dunnd_outcome *o);
