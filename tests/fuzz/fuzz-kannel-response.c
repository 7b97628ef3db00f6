/* SPDX-License-Identifier: MIT */

/* libFuzzer harness for the kannel carrier's answer classification: smsbox's status and
 * reply text (untrusted, from the network) through prepare() + finish(). The plugin's source
 * is included so its static functions are reachable; its exported `dunnd_carrier` is
 * harmless here (the daemon's library does not define it).
 *
 * Input: bytes 0-1 (little endian) = status (bits 0-8: 100 + v % 500), request_sent (bit
 * 9) and curl code (bits 10-14: 0-23 CURLE_OK, else a transfer error); the rest is the
 * reply body, handed over in a heap copy of exactly its size (not NUL-terminated), so ASan
 * sees any over-read.
 *
 * Besides the sanitizers, checks finish()'s contract:
 *   - out->klass is a valid class, retry_after_ms is not negative;
 *   - out->error and out->message_id are NUL-terminated inside their arrays;
 *   - the recipient never appears unmasked in out->error, not even cut short;
 *   - Kannel has no message id: message_id stays empty;
 *   - a failed transfer is TRANSIENT when nothing was sent and UNKNOWN when it was;
 *   - a 2xx answer is SENT, whatever its text; anything else names the status in error. */

#include "../../plugins/kannel.c"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define RCPT "13912345678"
#define RCPT_HIDDEN "1391234"

static void *state;

static void quiet(void *host_data, enum dunnd_log_level level, const char *fmt, ...) {
        (void) host_data;
        (void) level;
        (void) fmt;
}

static const struct dunnd_host host = {
        .abi = DUNND_CARRIER_ABI,
        .size = sizeof(struct dunnd_host),
        .log = quiet,
};

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
        .recipient = RCPT,
        .recipient_name = "张三",
        .unit = "3-2-1201",
        .text = "【阳光花园】3-2-1201 物业费 1,288.00 元 12 月 14 日到期。",
};

static const int transfer_errors[] = {
        CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_CONNECT, CURLE_OPERATION_TIMEDOUT,
        CURLE_GOT_NOTHING, CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_SSL_CONNECT_ERROR,
        CURLE_PARTIAL_FILE,
};

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        char err[256];

        (void) argc;
        (void) argv;
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
                abort();
        if (kannel_open(opts, sizeof(opts) / sizeof(opts[0]), &host, &state, err, sizeof(err)) < 0) {
                fprintf(stderr, "fuzz-kannel-response: open: %s\n", err);
                abort();
        }
        return 0;
}

static bool terminated(const char *a, size_t n) {
        return memchr(a, 0, n) != NULL;
}

/* A cut through the recipient must not leave its hidden digits readable: "1391234" (more
 * than the "139****5678" mask shows) may appear in the error only where the carrier's own
 * text has it without the rest of the number. */
static size_t count(const char *h, size_t n, const char *needle) {
        size_t c = 0, l = strlen(needle);

        for (const char *p = h; n >= l && (p = memmem(p, n - (size_t) (p - h), needle, l)); p++)
                c++;
        return c;
}

static bool partial_leak(const char *error, const char *body, size_t len) {
        return strstr(error, RCPT_HIDDEN) &&
               count(body, len, RCPT_HIDDEN) == count(body, len, RCPT);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct dunnd_outcome out;
        char prefix[16];
        unsigned v, idx;
        long status;
        int sent, curl_code;
        void *req = NULL;
        CURL *easy;
        char *body;
        size_t len;

        if (size < 2 || size > 65536)
                return 0;
        v = data[0] | (unsigned) data[1] << 8;
        status = 100 + (long) ((v & 0x1ff) % 500);
        sent = (v >> 9) & 1;
        idx = (v >> 10) & 0x1f;
        curl_code = idx < 24 ? CURLE_OK : transfer_errors[idx - 24];
        len = size - 2;
        body = malloc(len ? len : 1);
        if (!body)
                return 0;
        memcpy(body, data + 2, len);

        easy = curl_easy_init();
        if (!easy)
                abort();
        if (kannel_prepare(state, &msg, easy, &req) < 0 || !req)
                abort();
        memset(&out, 0xa5, sizeof(out));
        kannel_finish(state, req, curl_code, sent, status, body, len, &out);
        curl_easy_cleanup(easy);

        if ((int) out.klass < 0 || out.klass >= _DUNND_OUTCOME_MAX || out.retry_after_ms < 0)
                abort();
        if (!terminated(out.error, sizeof(out.error)) ||
            !terminated(out.message_id, sizeof(out.message_id)))
                abort();
        if (strstr(out.error, RCPT) || partial_leak(out.error, body, len)) {
                fprintf(stderr, "unmasked recipient in \"%s\"\n", out.error);
                abort();
        }
        if (out.message_id[0])
                abort();
        if (curl_code != CURLE_OK) {
                if (out.klass != (sent ? DUNND_OUTCOME_UNKNOWN : DUNND_OUTCOME_TRANSIENT))
                        abort();
        } else if (status >= 200 && status < 300) {
                if (out.klass != DUNND_OUTCOME_SENT)
                        abort();
        } else {
                snprintf(prefix, sizeof(prefix), "HTTP %ld", status);
                if (strncmp(out.error, prefix, strlen(prefix)) != 0 || out.klass == DUNND_OUTCOME_SENT)
                        abort();
        }
        free(body);
        return 0;
}
