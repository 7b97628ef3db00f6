/* SPDX-License-Identifier: MIT */

/* libFuzzer harness for the kannel carrier's answer classification: smsbox's status and
 * reply text (untrusted, from the network) through prepare() + finish(). The input is read
 * as fuzz-carrier.h's FuzzAnswer (status, request_sent, curl code, body).
 *
 * Besides the sanitizers, checks finish()'s contract: fuzz_check_outcome() (every network
 * carrier's part) and
 *   - Kannel has no message id: message_id stays empty;
 *   - a 2xx answer is SENT, whatever its text; anything else names the status in error. */

#include "../../plugins/kannel.c"
#include "fuzz-carrier.h"

static void *state;

static const struct dunnd_option opts[] = {
        { "url", "http://127.0.0.1:1/cgi-bin/sendsms" },
        { "username", "dunn" },
        { "password", "fuzz-secret" },
        { "from", "10690000" },
        { "smsc", "fake" },
        { "dlr_mask", "31" },
        { "dlr_url", "http://127.0.0.1:1/dlr?id={{dispatch_id}}&status=%d" },
        { "validity", "1440" },
};

static const struct dunnd_message msg = {
        .dispatch_id = 42,
        .occurrence = "deadline@2026-12-14T09:30",
        .channel = "sms",
        .recipient = FUZZ_RCPT,
        .recipient_name = "张三",
        .unit = "3-2-1201",
        .text = "【阳光花园】3-2-1201 物业费 1,288.00 元 12 月 14 日到期。",
};

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        char err[256];

        (void) argc;
        (void) argv;
        fuzz_curl_init();
        if (kannel_open(opts, ELEMENTSOF(opts), &fuzz_host, &state, err, sizeof(err)) < 0) {
                fprintf(stderr, "fuzz-kannel-response: open: %s\n", err);
                abort();
        }
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct dunnd_outcome out;
        char prefix[16];
        void *req = NULL;
        FuzzAnswer a;
        CURL *easy;

        if (!fuzz_answer_read(data, size, &a))
                return 0;
        easy = curl_easy_init();
        if (!easy)
                abort();
        if (kannel_prepare(state, &msg, easy, &req) < 0 || !req)
                abort();
        memset(&out, 0xa5, sizeof(out));
        kannel_finish(state, req, a.curl_code, a.request_sent, a.status, a.body, a.len, &out);
        curl_easy_cleanup(easy);

        fuzz_check_outcome(&out, &a, true);
        if (out.message_id[0])
                abort();
        if (a.curl_code == CURLE_OK && a.status >= 200 && a.status < 300) {
                if (out.klass != DUNND_OUTCOME_SENT)
                        abort();
        } else if (a.curl_code == CURLE_OK) {
                snprintf(prefix, sizeof(prefix), "HTTP %ld", a.status);
                if (strncmp(out.error, prefix, strlen(prefix)) != 0 || out.klass == DUNND_OUTCOME_SENT)
                        abort();
        }
        free(a.body);
        return 0;
}
