/* SPDX-License-Identifier: MIT */
#pragma once

/* One libcurl multi handle driven by an sd-event loop: curl's sockets become io sources
 * (CURLMOPT_SOCKETFUNCTION), its timeout one monotonic timer (CURLMOPT_TIMERFUNCTION), and
 * finished transfers are handed to a callback with the CURLOPT_PRIVATE pointer they were
 * started with. Many transfers run at once; connections are pooled by the multi handle. */

#include <curl/curl.h>
#include <systemd/sd-event.h>

typedef struct CurlGlue CurlGlue;

/* Called once per finished transfer; the callee owns (and cleans up) the easy handle. */
typedef void (*curl_glue_done_t)(CurlGlue *g, CURL *easy, CURLcode result, void *userdata);

int curl_glue_new(sd_event *event, curl_glue_done_t done, void *userdata, CurlGlue **ret);
CurlGlue *curl_glue_free(CurlGlue *g);

/* Starts a transfer. Returns 0 or -ENOMEM/-EINVAL. */
int curl_glue_add(CurlGlue *g, CURL *easy);

/* Aborts a transfer in flight without calling done (the caller cleans up the handle). */
void curl_glue_remove(CurlGlue *g, CURL *easy);

unsigned curl_glue_in_flight(const CurlGlue *g);

static inline void curl_glue_freep(CurlGlue **g) {
        if (*g)
                curl_glue_free(*g);
}
