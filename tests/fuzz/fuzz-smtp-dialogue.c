/* SPDX-License-Identifier: MIT */

/* libFuzzer harness for the smtp carrier's dialogue tracking and classification. The
 * plugin learns which command a reply answered from libcurl's debug callback (commands
 * out, replies in, one line per call) and from its read callback (the message handed
 * over); finish() classifies from what those recorded. This harness plays libcurl: it
 * feeds the fuzz input to the same debug_cb()/read_cb() on a request from prepare() (a
 * real curl easy handle, never performed), then calls finish(). The plugin's source is
 * included so its static functions are reachable.
 *
 * Input: bytes 0-1 (little endian) = curl code (bits 0-4, an index into codes[] below) and
 * the host's status (bits 5-15, % 600); the rest is split after each '\n' into chunks, each
 * passed in a heap copy of exactly its size (not NUL-terminated):
 *   '>' command   CURLINFO_HEADER_OUT, the chunk after the '>'
 *   '#'           the read callback asked for the whole message (end of data handed over)
 *   '%'           the read callback asked for 64 bytes (in the middle of the message)
 *   '@'           libcurl asked to rewind the message (it must be refused)
 *   '*' text      CURLINFO_TEXT
 *   anything else CURLINFO_HEADER_IN (a reply line), '<' stripped if it starts with one
 * Every reply chunk is also fed to scrub_reply() with exactly sized heap buffers.
 *
 * Besides the sanitizers, checks finish()'s contract:
 *   - out->klass is a valid class (out starts filled with garbage);
 *   - out->error and out->message_id are NUL-terminated inside their arrays;
 *   - the recipient's address never appears unmasked in out->error;
 *   - CURLE_OK is SENT with the Message-ID and no error; a message id only comes with SENT;
 *   - with no reply seen and a host status below 400, a failed transfer is TRANSIENT,
 *     CARRIER_FAILURE or (the message was handed over) UNKNOWN. */

#include "../../plugins/smtp.c"
#include "fuzz-carrier.h"

#define RCPT "zhang.san@example.com"
#define RCPT_LOCAL "zhang.san@"

static void *state;

static const struct dunnd_option opts[] = {
        { "url", "smtp://127.0.0.1:1" },
        { "tls", "none" },
        { "username", "wuye" },
        { "password", "fuzz-secret" },
        { "from", "noreply@wuye.example.com" },
        { "from_name", "阳光花园物业" },
};

static const struct dunnd_message msg = {
        .dispatch_id = 42,
        .occurrence = "deadline@2026-12-14T09:30",
        .channel = "email",
        .recipient = RCPT,
        .recipient_name = "张三",
        .unit = "3-2-1201",
        .subject = "物业费缴费提醒",
        .text = "张三您好：\n3-2-1201 物业费 1,288.00 元 12 月 14 日到期。\n",
};

static const int codes[32] = {
        CURLE_OK, CURLE_OK, CURLE_OK, CURLE_OK, CURLE_OK, CURLE_OK, CURLE_OK, CURLE_OK,
        CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_CONNECT, CURLE_OPERATION_TIMEDOUT,
        CURLE_GOT_NOTHING, CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_SSL_CONNECT_ERROR,
        CURLE_WEIRD_SERVER_REPLY, CURLE_LOGIN_DENIED, CURLE_USE_SSL_FAILED,
        CURLE_PEER_FAILED_VERIFICATION, CURLE_SEND_FAIL_REWIND, CURLE_ABORTED_BY_CALLBACK,
        CURLE_QUOTE_ERROR, CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL, CURLE_AUTH_ERROR,
        CURLE_SSL_CACERT_BADFILE, CURLE_FAILED_INIT, CURLE_READ_ERROR, CURLE_WRITE_ERROR,
        CURLE_OUT_OF_MEMORY, CURLE_PARTIAL_FILE, CURLE_RANGE_ERROR,
};

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        char err[256];

        (void) argc;
        (void) argv;
        fuzz_curl_init();
        if (smtp_open(opts, ELEMENTSOF(opts), &fuzz_host, &state, err, sizeof(err)) < 0) {
                fprintf(stderr, "fuzz-smtp-dialogue: open: %s\n", err);
                abort();
        }
        return 0;
}

/* scrub_reply() must stay inside `len` bytes and leave a NUL-terminated string. */
static void check_scrub(const char *line, size_t n) {
        static const size_t sizes[] = { 1, 2, 3, 4, 5, 8, 17, REPLY_MAX };

        for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
                char *out = malloc(sizes[i]);

                if (!out)
                        return;
                scrub_reply(line, n, out, sizes[i]);
                if (!fuzz_terminated(out, sizes[i]) || strstr(out, RCPT_LOCAL))
                        abort();
                free(out);
        }
}

static void feed(struct smtp_req *q, CURL *easy, const uint8_t *p, size_t n) {
        curl_infotype type = CURLINFO_HEADER_IN;
        char *chunk;

        switch (p[0]) {
        case '#':
        case '%': {
                size_t want = p[0] == '#' ? q->msg.len + 1 : 64;
                char *buf = malloc(want);

                if (!buf)
                        return;
                /* libcurl asks again until the message is handed over; the size is fixed */
                (void) read_cb(buf, 1, want, q);
                free(buf);
                return;
        }
        case '@':
                /* libcurl wanting the message again: never granted */
                if (request_body_seek(&q->body, 0, SEEK_SET) != CURL_SEEKFUNC_FAIL)
                        abort();
                return;
        case '>':
                type = CURLINFO_HEADER_OUT;
                p++, n--;
                break;
        case '*':
                type = CURLINFO_TEXT;
                p++, n--;
                break;
        case '<':
                p++, n--;
                break;
        }
        chunk = malloc(n ? n : 1);
        if (!chunk)
                return;
        memcpy(chunk, p, n);
        if (type == CURLINFO_HEADER_IN)
                check_scrub(chunk, n);
        (void) debug_cb(easy, type, chunk, n, q);
        free(chunk);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct dunnd_outcome out;
        struct smtp_req *q;
        char want_id[sizeof(q->message_id)];
        unsigned v;
        long status;
        int curl_code;
        bool saw_reply;
        void *req = NULL;
        CURL *easy;

        if (size < 2 || size > 65536)
                return 0;
        v = data[0] | (unsigned) data[1] << 8;
        curl_code = codes[v & 0x1f];
        status = (long) ((v >> 5) % 600);

        easy = curl_easy_init();
        if (!easy)
                abort();
        if (smtp_prepare(state, &msg, easy, &req) < 0 || !req)
                abort();
        q = req;
        memcpy(want_id, q->message_id, sizeof(want_id));
        for (size_t i = 2; i < size;) {
                const uint8_t *nl = memchr(data + i, '\n', size - i);
                size_t n = nl ? (size_t) (nl - (data + i)) + 1 : size - i;

                feed(q, easy, data + i, n);
                i += n;
        }
        saw_reply = q->saw_reply;
        memset(&out, 0xa5, sizeof(out));
        smtp_finish(state, req, curl_code, 1, status, NULL, 0, &out);
        curl_easy_cleanup(easy);

        if ((int) out.klass < 0 || out.klass >= _DUNND_OUTCOME_MAX || out.retry_after_ms != 0)
                abort();
        if (!fuzz_terminated(out.error, sizeof(out.error)) ||
            !fuzz_terminated(out.message_id, sizeof(out.message_id)))
                abort();
        if (strstr(out.error, RCPT_LOCAL)) {
                fprintf(stderr, "unmasked recipient in \"%s\"\n", out.error);
                abort();
        }
        if (out.message_id[0] && (out.klass != DUNND_OUTCOME_SENT ||
                                   strcmp(out.message_id, want_id) != 0))
                abort();
        if (curl_code == CURLE_OK &&
            (out.klass != DUNND_OUTCOME_SENT || out.error[0] || !out.message_id[0])) {
                fprintf(stderr, "CURLE_OK: class %d, id \"%s\" (want \"%s\"), error \"%s\"\n",
                        out.klass, out.message_id, want_id, out.error);
                abort();
        }
        if (out.klass == DUNND_OUTCOME_SENT && !out.message_id[0])
                abort();
        if (!saw_reply && curl_code != CURLE_OK && status < 400 &&
            out.klass != DUNND_OUTCOME_TRANSIENT && out.klass != DUNND_OUTCOME_CARRIER_FAILURE &&
            out.klass != DUNND_OUTCOME_UNKNOWN)
                abort();
        return 0;
}
