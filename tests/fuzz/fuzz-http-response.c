/* SPDX-License-Identifier: MIT */

/* libFuzzer harness for the http carrier's answer classification: a gateway's status and
 * body (untrusted, from the network) through prepare() + finish(), and the plugin's JSON
 * reader on its own. The plugin's source is included so its static functions are
 * reachable; its exported `dunnd_carrier` is harmless here (the daemon's library does not
 * define it).
 *
 * Input: bytes 0-1 (little endian) = status (bits 0-8: 100 + v % 500), request_sent (bit
 * 9), curl code (bits 10-14: 0-23 CURLE_OK, else a transfer error) and which of two
 * carrier configurations (bit 15); the rest is the response body, handed over in a heap
 * copy of exactly its size (not NUL-terminated), so ASan sees any over-read.
 *
 * Besides the sanitizers, checks finish()'s contract:
 *   - out->klass is a valid class, retry_after_ms is not negative;
 *   - out->error and out->message_id are NUL-terminated inside their arrays;
 *   - the recipient never appears unmasked in out->error, not even cut short (checked
 *     where the body has no JSON escapes that could spell it, and does not write it as a
 *     real number);
 *   - a message id only comes with SENT;
 *   - a failed transfer is TRANSIENT when nothing was sent and UNKNOWN when it was;
 * and of lib/json.c: a value found is a NUL-terminated string of the length returned,
 * inside its buffer. */

#include "../../plugins/http.c"
#include "../../plugins/http-template.c"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define RCPT "13912345678"
#define RCPT_HIDDEN "1391234"

static void *states[2];

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

/* A JSON gateway with everything set, and a generic one: default error paths, a
 * success_substring, explicit status lists. */
static const struct dunnd_option opts_json[] = {
        { "url", "http://127.0.0.1:1/x?to={{recipient}}" },
        { "body_type", "json" },
        { "body", "{\"mobile\":\"{{recipient}}\",\"content\":\"{{text}}\",\"id\":\"{{dispatch_id}}\"}" },
        { "success_json", "code=0" },
        { "message_id_json", "message_id" },
        { "invalid_json", "code=INVALID_NUMBER|1003" },
        { "transient_json", "code=105|busy" },
        { "carrier_failure_json", "result.code=101|102" },
        { "error_json", "msg" },
};

static const struct dunnd_option opts_generic[] = {
        { "url", "http://127.0.0.1:1/send" },
        { "method", "POST" },
        { "body", "mobile={{recipient}}&content={{text}}" },
        { "success_status", "200,202" },
        { "transient_status", "429,500-503" },
        { "carrier_failure_status", "401,403" },
        { "invalid_status", "404" },
        { "success_substring", "OK" },
        { "message_id_json", "data.0.sid" },
        { "invalid_json", "data.0.status=INVALID" },
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
        if (http_open(opts_json, sizeof(opts_json) / sizeof(opts_json[0]), &host, &states[0], err,
                      sizeof(err)) < 0 ||
            http_open(opts_generic, sizeof(opts_generic) / sizeof(opts_generic[0]), &host,
                      &states[1], err, sizeof(err)) < 0) {
                fprintf(stderr, "fuzz-http-response: open: %s\n", err);
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

/* Whether the body has the recipient's digits inside a number with a fraction or exponent
 * (139123456785E-3): jansson reads it as a double and the error shows it rewritten
 * (139123456.785), which masking cannot recognise. No carrier writes a phone number so. */
static bool recipient_in_real(const char *body, size_t len) {
        for (const char *p = body; (p = memmem(p, len - (size_t) (p - body), RCPT_HIDDEN,
                                               strlen(RCPT_HIDDEN))); p++) {
                const char *a = p, *e = p;

                while (a > body && strchr("0123456789.eE+-", a[-1]))
                        a--;
                while (e < body + len && *e && strchr("0123456789.eE+-", *e))
                        e++;
                if (memchr(a, '.', (size_t) (e - a)) || memchr(a, 'e', (size_t) (e - a)) ||
                    memchr(a, 'E', (size_t) (e - a)))
                        return true;
        }
        return false;
}

static void check_json(const char *body, size_t len) {
        static const char *const paths[] = {
                "code", "message_id", "data.0.sid", "data[0].sid", "result.code", "a.b.c.d", "0",
                "[0][1]", "error.message",
        };
        _cleanup_(json_decrefp) json_t *answer = NULL;
        char v[JSON_VALUE_MAX];

        if (json_read(body, len, &answer) < 0)
                return;
        for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
                int n = json_text_at(answer, paths[i], v, sizeof(v));

                if (n == -ENOENT || n == -ENOBUFS)
                        continue;
                if (n < 0 || (size_t) n >= sizeof(v) || v[n] != 0 || strlen(v) > (size_t) n)
                        abort();
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct dunnd_outcome out;
        unsigned v, idx;
        long status;
        int sent, curl_code;
        void *state, *req = NULL;
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
        state = states[v >> 15];
        len = size - 2;
        body = malloc(len ? len : 1);
        if (!body)
                return 0;
        memcpy(body, data + 2, len);

        check_json(body, len);

        easy = curl_easy_init();
        if (!easy)
                abort();
        if (http_prepare(state, &msg, easy, &req) < 0 || !req)
                abort();
        memset(&out, 0xa5, sizeof(out));
        http_finish(state, req, curl_code, sent, status, body, len, &out);
        curl_easy_cleanup(easy);

        if ((int) out.klass < 0 || out.klass >= _DUNND_OUTCOME_MAX || out.retry_after_ms < 0)
                abort();
        if (!terminated(out.error, sizeof(out.error)) ||
            !terminated(out.message_id, sizeof(out.message_id)))
                abort();
        if (strstr(out.error, RCPT) || (partial_leak(out.error, body, len) &&
                                        !memchr(body, '\\', len) && !recipient_in_real(body, len))) {
                fprintf(stderr, "unmasked recipient in \"%s\"\n", out.error);
                abort();
        }
        if (out.message_id[0] && out.klass != DUNND_OUTCOME_SENT)
                abort();
        if (curl_code != CURLE_OK &&
            out.klass != (sent ? DUNND_OUTCOME_UNKNOWN : DUNND_OUTCOME_TRANSIENT))
                abort();
        if (curl_code == CURLE_OK && out.klass != DUNND_OUTCOME_SENT && !out.error[0])
                abort();
        free(body);
        return 0;
}
