/* SPDX-License-Identifier: MIT */

/* The limit for a libcurl-based sender: a bare curl multi client and nothing else — no
 * SQLite, no templates, no plugin. CONNECTIONS easy handles, each set up once and reused for
 * every request of its slot (so libcurl keeps its connection alive), POST the same small
 * body for SECONDS, then let the requests in flight finish.
 *
 *   bare-client [--forbid-reuse] URL CONNECTIONS SECONDS BODY
 *
 * --forbid-reuse sets CURLOPT_FORBID_REUSE: a fresh connection per request, as dunnd does
 * for carriers without an idempotency key. Every answer must be HTTP 200; any transfer error
 * or other status makes it exit 1. Prints "REQUESTS SECONDS" on stdout. */

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_CONNECTIONS 1024

static double now(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* the answer is not looked at beyond its status: swallow it */
static size_t discard(char *ptr, size_t size, size_t nmemb, void *userdata) {
        (void) ptr;
        (void) userdata;
        return size * nmemb;
}

static int fail(const char *what, const char *why) {
        fprintf(stderr, "bare-client: %s: %s\n", what, why);
        return 1;
}

#define EASY(call) do { CURLcode rc_ = (call); \
        if (rc_ != CURLE_OK) return fail(#call, curl_easy_strerror(rc_)); } while (0)
#define MULTI(call) do { CURLMcode rc_ = (call); \
        if (rc_ != CURLM_OK) return fail(#call, curl_multi_strerror(rc_)); } while (0)

static int setup(CURL *e, const char *url, const char *body, struct curl_slist *headers,
                 int forbid_reuse) {
        EASY(curl_easy_setopt(e, CURLOPT_URL, url));
        EASY(curl_easy_setopt(e, CURLOPT_POSTFIELDS, body));
        EASY(curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long) strlen(body)));
        EASY(curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers));
        EASY(curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard));
        EASY(curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L));
        EASY(curl_easy_setopt(e, CURLOPT_TIMEOUT, 10L));
        EASY(curl_easy_setopt(e, CURLOPT_FORBID_REUSE, forbid_reuse ? 1L : 0L));
        return 0;
}

/* one finished transfer: 0 when it was a 200 */
static int check_done(CURLMsg *m) {
        long status = 0;

        if (m->data.result != CURLE_OK)
                return fail("transfer", curl_easy_strerror(m->data.result));
        EASY(curl_easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE, &status));
        if (status != 200) {
                fprintf(stderr, "bare-client: HTTP status %ld\n", status);
                return 1;
        }
        return 0;
}

static int run(CURLM *multi, CURL **easy, int n, double seconds, long *done, double *elapsed) {
        double t0 = now(), deadline = t0 + seconds;
        int running = 0, in_flight = n;

        for (int i = 0; i < n; i++)
                MULTI(curl_multi_add_handle(multi, easy[i]));
        while (in_flight > 0) {
                CURLMsg *m;
                int left;

                MULTI(curl_multi_perform(multi, &running));
                while ((m = curl_multi_info_read(multi, &left))) {
                        if (m->msg != CURLMSG_DONE)
                                continue;
                        CURL *e = m->easy_handle;

                        if (check_done(m))
                                return 1;
                        (*done)++;
                        /* removing and adding the same handle starts its next request; the
                         * connection stays in the multi's cache for it to reuse */
                        MULTI(curl_multi_remove_handle(multi, e));
                        if (now() < deadline)
                                MULTI(curl_multi_add_handle(multi, e));
                        else
                                in_flight--;
                }
                if (in_flight > 0)
                        MULTI(curl_multi_poll(multi, NULL, 0, 100, NULL));
        }
        *elapsed = now() - t0;
        return 0;
}

int main(int argc, char *argv[]) {
        int forbid_reuse = 0, n, rc;
        const char *url, *body;
        double seconds, elapsed = 0;
        long done = 0;
        CURL *easy[MAX_CONNECTIONS];
        struct curl_slist *headers;
        CURLM *multi;

        if (argc > 1 && strcmp(argv[1], "--forbid-reuse") == 0) {
                forbid_reuse = 1;
                argv++;
                argc--;
        }
        if (argc != 5) {
                fprintf(stderr, "usage: bare-client [--forbid-reuse] URL CONNECTIONS SECONDS BODY\n");
                return 2;
        }
        url = argv[1];
        n = atoi(argv[2]);
        seconds = atof(argv[3]);
        body = argv[4];
        if (n < 1 || n > MAX_CONNECTIONS || seconds <= 0) {
                fprintf(stderr, "bare-client: CONNECTIONS 1..%d, SECONDS > 0\n", MAX_CONNECTIONS);
                return 2;
        }

        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
                return fail("curl_global_init", "failed");
        multi = curl_multi_init();
        if (!multi)
                return fail("curl_multi_init", "failed");
        headers = curl_slist_append(NULL, "Content-Type: application/json; charset=utf-8");
        if (!headers)
                return fail("curl_slist_append", "out of memory");
        for (int i = 0; i < n; i++) {
                easy[i] = curl_easy_init();
                if (!easy[i])
                        return fail("curl_easy_init", "failed");
                if (setup(easy[i], url, body, headers, forbid_reuse))
                        return 1;
        }

        rc = run(multi, easy, n, seconds, &done, &elapsed);

        for (int i = 0; i < n; i++) {
                curl_multi_remove_handle(multi, easy[i]);       /* not added: harmless */
                curl_easy_cleanup(easy[i]);
        }
        curl_multi_cleanup(multi);
        curl_slist_free_all(headers);
        curl_global_cleanup();
        if (rc)
                return rc;
        if (done == 0)
                return fail("run", "no request completed");
        printf("%ld %.6f\n", done, elapsed);
        return 0;
}
