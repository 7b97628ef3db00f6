/* SPDX-License-Identifier: MIT */

/* libFuzzer harness for the http carrier's answer classification: a gateway's status and
 * body (untrusted, from the network) through prepare() + finish(), and lib/json.c on the
 * body. The input is read as fuzz-carrier.h's FuzzAnswer (status, request_sent, curl code,
 * body); its flag picks one of two carrier configurations.
 *
 * Besides the sanitizers, checks finish()'s contract: fuzz_check_outcome() (every network
 * carrier's part; the cut-recipient check where the body has no JSON escapes that could
 * spell it and does not write it as a real number) and
 *   - a completed transfer that is not SENT says why in out->error;
 * and of lib/json.c: a value found is a NUL-terminated string of the length returned,
 * inside its buffer. */

#include "../../plugins/http.c"
#include "../../plugins/http-template.c"
#include "fuzz-carrier.h"

static void *states[2];

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
        if (http_open(opts_json, ELEMENTSOF(opts_json), &fuzz_host, &states[0], err,
                      sizeof(err)) < 0 ||
            http_open(opts_generic, ELEMENTSOF(opts_generic), &fuzz_host, &states[1], err,
                      sizeof(err)) < 0) {
                fprintf(stderr, "fuzz-http-response: open: %s\n", err);
                abort();
        }
        return 0;
}

/* Whether the body has the recipient's digits inside a number with a fraction or exponent
 * (139123456785E-3): jansson reads it as a double and the error shows it rewritten
 * (139123456.785), which masking cannot recognise. No carrier writes a phone number so. */
static bool recipient_in_real(const char *body, size_t len) {
        for (const char *p = body; (p = memmem(p, len - (size_t) (p - body), FUZZ_RCPT_HIDDEN,
                                               strlen(FUZZ_RCPT_HIDDEN))); p++) {
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
        void *state, *req = NULL;
        FuzzAnswer a;
        CURL *easy;

        if (!fuzz_answer_read(data, size, &a))
                return 0;
        state = states[a.flag];
        check_json(a.body, a.len);

        easy = curl_easy_init();
        if (!easy)
                abort();
        if (http_prepare(state, &msg, easy, &req) < 0 || !req)
                abort();
        memset(&out, 0xa5, sizeof(out));
        http_finish(state, req, a.curl_code, a.request_sent, a.status, a.body, a.len, &out);
        curl_easy_cleanup(easy);

        fuzz_check_outcome(&out, &a, !memchr(a.body, '\\', a.len) &&
                                     !recipient_in_real(a.body, a.len));
        if (a.curl_code == CURLE_OK && out.klass != DUNND_OUTCOME_SENT && !out.error[0])
                abort();
        free(a.body);
        return 0;
}
