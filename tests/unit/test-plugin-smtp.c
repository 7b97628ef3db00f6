/* SPDX-License-Identifier: MIT */

/*
 * The smtp carrier. The built plugin (PLUGIN_DIR/smtp.so) is dlopen()ed and driven the way
 * the host drives it: an easy handle with the host's defaults, prepare(), the transfer,
 * finish() with CURLINFO_RESPONSE_CODE and CURLINFO_REQUEST_SIZE. The servers are real:
 * tests/peers/smtp-sink.py (aiosmtpd) for the message and the ordinary refusals, and a
 * scripted loopback SMTP peer in this file for the replies aiosmtpd cannot be made to give
 * (a refused end of data, no reply at all after the data). The RFC 2047 encoder and the
 * message builder are also tested directly: this file includes the plugin's source.
 */

#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

/* the static functions under test; dunnd_carrier from here is not the one used below */
#include "smtp.c"
/* the host side: its easy-handle defaults */
#include "plugin-peer.h"

#define PYTHON "/usr/bin/python3"
#define END ((const char *) NULL)      /* ends the variadic option lists */
#define FROM "noreply@wuye.example.com"
#define FROM_NAME "阳光花园物业"
#define SUBJECT "阳光花园物业费缴费提醒（3-2-1201）"
#define RCPT "zhang.san@example.com"
#define TEXT "张三您好：\n您的3-2-1201室2026年度物业费尚有¥1,280.00未缴，请于12月14日前缴纳。\n" \
        "如已缴纳请忽略本通知。阳光花园物业服务中心"

static char top[PATH_MAX];
static char plugin_path[PATH_MAX + 16];
static bool have_sink;                  /* /usr/bin/python3 with aiosmtpd */
static void *dl;
static const struct dunnd_carrier *api;

static void find_paths(void) {
        const char *t = getenv("TOP"), *p = getenv("PLUGIN_DIR");
        char exe[PATH_MAX], *slash;
        ssize_t n;

        /* BUILD/tests/unit/test-plugin-smtp: BUILD is three levels up, the tree four */
        n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
        assert_true(n > 0);
        exe[n] = 0;
        for (int i = 0; i < 3; i++) {
                slash = strrchr(exe, '/');
                assert_non_null(slash);
                *slash = 0;
        }
        if (p)
                snprintf(plugin_path, sizeof(plugin_path), "%s/smtp.so", p);
        else
                snprintf(plugin_path, sizeof(plugin_path), "%s/plugins/smtp.so", exe);
        if (t)
                snprintf(top, sizeof(top), "%s", t);
        else {
                slash = strrchr(exe, '/');
                assert_non_null(slash);
                *slash = 0;
                snprintf(top, sizeof(top), "%s", exe);
        }
}

static int group_setup(void **state) {
        (void) state;
        find_paths();
        dl = dlopen(plugin_path, RTLD_NOW | RTLD_LOCAL);
        if (!dl) {
                fprintf(stderr, "cannot load %s: %s (build it first)\n", plugin_path, dlerror());
                return -1;
        }
        api = dlsym(dl, DUNND_CARRIER_SYMBOL);
        if (!api || api->abi != DUNND_CARRIER_ABI)
                return -1;
        have_sink = access(PYTHON, X_OK) == 0 &&
                    system(PYTHON " -c 'import aiosmtpd' >/dev/null 2>&1") == 0;
        return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

static int group_teardown(void **state) {
        (void) state;
        curl_global_cleanup();
        if (dl)
                dlclose(dl);
        return 0;
}

/* --- a scratch directory per test, and the peers running in it --- */

typedef struct Fixture {
        char dir[64];
        pid_t pid;              /* the peer, if any */
        int port;
} Fixture;

static int setup(void **state) {
        Fixture *f = calloc(1, sizeof(*f));

        if (!f)
                return -1;
        strcpy(f->dir, "/tmp/dunnd-test-smtp.XXXXXX");
        if (!mkdtemp(f->dir)) {
                free(f);
                return -1;
        }
        *state = f;
        return 0;
}

static void stop_peer(Fixture *f) {
        if (f->pid > 0) {
                kill(f->pid, SIGTERM);
                waitpid(f->pid, NULL, 0);
                f->pid = 0;
        }
}

static int teardown(void **state) {
        Fixture *f = *state;
        char cmd[128];

        stop_peer(f);
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
        if (system(cmd) != 0)
                return -1;
        free(f);
        return 0;
}

static char *read_file(const char *path, size_t *ret_len) {
        FILE *fp = fopen(path, "rb");
        char *data;
        long n;

        if (!fp)
                return NULL;
        assert_int_equal(fseek(fp, 0, SEEK_END), 0);
        n = ftell(fp);
        assert_true(n >= 0);
        rewind(fp);
        data = malloc((size_t) n + 1);
        assert_non_null(data);
        assert_int_equal(fread(data, 1, (size_t) n, fp), (size_t) n);
        data[n] = 0;
        fclose(fp);
        if (ret_len)
                *ret_len = (size_t) n;
        return data;
}

/* Starts smtp-sink.py with the extra arguments (NULL-terminated), waits for its port. */
static void start_sink(Fixture *f, ...) {
        const char *argv[32];
        char sink[PATH_MAX + 32], maildir[96], portfile[96];
        size_t n = 0;
        va_list ap;
        char *port;

        snprintf(sink, sizeof(sink), "%s/tests/peers/smtp-sink.py", top);
        snprintf(maildir, sizeof(maildir), "%s/mail", f->dir);
        snprintf(portfile, sizeof(portfile), "%s/port", f->dir);
        argv[n++] = PYTHON;
        argv[n++] = sink;
        argv[n++] = "--maildir";
        argv[n++] = maildir;
        argv[n++] = "--port-file";
        argv[n++] = portfile;
        va_start(ap, f);
        for (const char *a; (a = va_arg(ap, const char *)) && n < 31;)
                argv[n++] = a;
        va_end(ap);
        argv[n] = NULL;

        f->pid = fork();
        assert_true(f->pid >= 0);
        if (f->pid == 0) {
                int null = open("/dev/null", O_RDWR);

                char log[128];
                int err;

                /* aiosmtpd prints tracebacks for refused handshakes: keep them aside */
                snprintf(log, sizeof(log), "%s/sink.log", f->dir);
                err = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
                if (null >= 0) {
                        dup2(null, STDIN_FILENO);
                        dup2(null, STDOUT_FILENO);
                }
                if (err >= 0)
                        dup2(err, STDERR_FILENO);
                execv(PYTHON, (char **) argv);
                _exit(127);
        }
        for (int i = 0; i < 400; i++) {
                port = read_file(portfile, NULL);
                if (port && *port) {
                        f->port = atoi(port);
                        free(port);
                        assert_true(f->port > 0);
                        return;
                }
                free(port);
                assert_int_equal(waitpid(f->pid, NULL, WNOHANG), 0);    /* still running */
                usleep(25 * 1000);
        }
        fail_msg("smtp-sink.py did not start");
}

#define SKIP_WITHOUT_SINK()                                                      \
        do {                                                                     \
                if (!have_sink) {                                                \
                        fprintf(stderr, "no " PYTHON " with aiosmtpd: skipped\n"); \
                        skip();                                                  \
                }                                                                \
        } while (0)

/* --- driving the plugin the way the host does --- */

static size_t collect(char *ptr, size_t size, size_t nmemb, void *userdata) {
        (void) ptr;
        (void) userdata;
        return size * nmemb;
}

typedef struct Sent {
        int curl_code;
        long status;
        int request_sent;
        struct dunnd_outcome out;
} Sent;

static void *open_carrier(const char *url, ...) {
        struct dunnd_option opts[16];
        size_t n = 0;
        char err[256] = "";
        void *st = NULL;
        va_list ap;

        opts[n++] = (struct dunnd_option) { "url", url };
        va_start(ap, url);
        for (const char *k; (k = va_arg(ap, const char *)) && n < 16;) {
                opts[n].key = k;
                opts[n++].value = va_arg(ap, const char *);
        }
        va_end(ap);
        if (api->open(opts, n, NULL, &st, err, sizeof(err)) < 0)
                fail_msg("open: %s", err);
        return st;
}

/* One message the way the host sends it; on multi when given, whose connection cache keeps
 * the session for the next message. */
static Sent send_on(CURLM *multi, void *st, const struct dunnd_message *m, long timeout_ms) {
        Sent s = {};
        CURL *c = curl_easy_init();
        void *req = NULL;
        curl_off_t reqsize = 0;

        assert_non_null(c);
        host_easy_defaults(c, api, st, timeout_ms);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
        curl_easy_setopt(c, CURLOPT_PRIVATE, (void *) &s);

        assert_int_equal(api->prepare(st, m, c, &req), 0);
        assert_non_null(req);
        s.curl_code = (int) host_perform(multi, c);
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &s.status);
        curl_easy_getinfo(c, CURLINFO_REQUEST_SIZE, &reqsize);
        s.request_sent = reqsize > 0;
        memset(&s.out, 0xaa, sizeof(s.out));    /* finish() must fill in what it reports */
        s.out.message_id[0] = 0;
        s.out.error[0] = 0;
        s.out.retry_after_ms = 0;
        api->finish(st, req, s.curl_code, s.request_sent, s.status, "", 0, &s.out);
        curl_easy_cleanup(c);
        fprintf(stderr, "    curl %d, status %ld, request_sent %d -> class %d, '%s' %s\n",
                s.curl_code, s.status, s.request_sent, (int) s.out.klass, s.out.error,
                s.out.message_id);
        return s;
}

static Sent send_one(void *st, const struct dunnd_message *m, long timeout_ms) {
        return send_on(NULL, st, m, timeout_ms);
}

static struct dunnd_message message(const char *rcpt) {
        return (struct dunnd_message) {
                .dispatch_id = 4711,
                .occurrence = "deadline@2026-12-14T09:30",
                .channel = "email",
                .recipient = rcpt,
                .recipient_name = "张三",
                .unit = "3-2-1201",
                .subject = SUBJECT,
                .text = TEXT,
        };
}

static char *url_for(const char *scheme, int port) {
        char *u = NULL;

        assert_true(asprintf(&u, "%s://127.0.0.1:%d", scheme, port) > 0);
        return u;
}

/* --- the saved message, as Python's email package reads it --- */

static const char parse_py[] =
        "import sys, re, email, email.policy, email.utils\n"
        "raw = open(sys.argv[1], 'rb').read()\n"
        "m = email.message_from_bytes(raw, policy=email.policy.default)\n"
        "def out(k, v):\n"
        "    v = str(v).replace('\\\\', '\\\\\\\\').replace('\\r', '\\\\r').replace('\\n', '\\\\n')\n"
        "    sys.stdout.buffer.write((k + '\\t' + v + '\\n').encode())\n"
        "to = m['To'].addresses[0]; fr = m['From'].addresses[0]\n"
        "out('to_name', to.display_name); out('to_addr', to.addr_spec)\n"
        "out('from_name', fr.display_name); out('from_addr', fr.addr_spec)\n"
        "out('reply_to', m['Reply-To'])\n"
        "out('subject', m['Subject'])\n"
        "out('body', m.get_content()[:300])\n"
        "out('body_len', len(m.get_content()))\n"
        "d = email.utils.parsedate_to_datetime(m['Date'])\n"
        "out('date_has_zone', d.utcoffset() is not None)\n"
        "out('date_age', abs(d.timestamp() - __import__('time').time()) < 300)\n"
        "out('message_id', m['Message-ID'])\n"
        "out('mime', m['MIME-Version']); out('ctype', m.get_content_type())\n"
        "out('charset', m.get_content_charset()); out('cte', m['Content-Transfer-Encoding'])\n"
        "out('auto', m['Auto-Submitted']); out('dispatch', m['X-Dunnd-Dispatch'])\n"
        "out('defects', len(m.defects) + sum(len(h.defects) for h in m.values()))\n"
        "out('maxline', max(len(l) for l in raw.split(b'\\r\\n')))\n"
        "out('crlf', raw.endswith(b'\\r\\n') and b'\\n' not in raw.replace(b'\\r\\n', b'')"
        " and b'\\r' not in raw.replace(b'\\r\\n', b''))\n"
        "out('ascii', all(b < 0x80 for b in raw))\n"
        "ew = re.findall(rb'=\\?[^?]*\\?[BbQq]\\?[^?]*\\?=', raw)\n"
        "out('encoded_words', len(ew)); out('ew_max', max(len(w) for w in ew))\n"
        "head = raw.split(b'\\r\\n\\r\\n', 1)[0].split(b'\\r\\n')\n"
        "out('ew_line_max', max(len(l) for l in head if b'=?' in l))\n";

typedef struct Parsed {
        char *text;
} Parsed;

static Parsed parse_eml(const char *path) {
        char script[PATH_MAX], cmd[PATH_MAX * 2];
        Parsed p = {};
        size_t cap = 0, len = 0;
        FILE *fp;
        int c;

        snprintf(script, sizeof(script), "%s.py", path);
        fp = fopen(script, "w");
        assert_non_null(fp);
        fputs(parse_py, fp);
        fclose(fp);
        snprintf(cmd, sizeof(cmd), PYTHON " '%s' '%s'", script, path);
        fp = popen(cmd, "r");
        assert_non_null(fp);
        while ((c = fgetc(fp)) != EOF) {
                if (len + 2 > cap) {
                        cap = cap ? cap * 2 : 4096;
                        p.text = realloc(p.text, cap);
                        assert_non_null(p.text);
                }
                p.text[len++] = (char) c;
        }
        assert_int_equal(pclose(fp), 0);
        assert_non_null(p.text);
        p.text[len] = 0;
        return p;
}

/* The value of key, unescaped into buf. */
static const char *field(const Parsed *p, const char *key, char *buf, size_t len) {
        size_t kl = strlen(key), o = 0;

        for (const char *l = p->text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
                if (strncmp(l, key, kl) != 0 || l[kl] != '\t')
                        continue;
                for (const char *v = l + kl + 1; *v && *v != '\n' && o + 1 < len; v++) {
                        if (*v == '\\' && v[1]) {
                                v++;
                                buf[o++] = *v == 'n' ? '\n' : *v == 'r' ? '\r' : *v;
                        } else
                                buf[o++] = *v;
                }
                buf[o] = 0;
                return buf;
        }
        fail_msg("no field '%s' in:\n%s", key, p->text);
        return NULL;
}

#define assert_field(p, key, want)                                               \
        do {                                                                     \
                char _b[2048];                                                   \
                assert_string_equal(field(p, key, _b, sizeof(_b)), want);        \
        } while (0)

/* --- pure tests --- */

static int b64val(char c) {
        const char *tab = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        const char *p = c ? strchr(tab, c) : NULL;

        return p ? (int) (p - tab) : -1;
}

/* Decodes base64 of n characters (a multiple of 4) into out; returns the length. */
static size_t b64_decode(const char *in, size_t n, unsigned char *out) {
        size_t o = 0;

        assert_int_equal(n % 4, 0);
        for (size_t i = 0; i < n; i += 4) {
                int a = b64val(in[i]), b = b64val(in[i + 1]), c = b64val(in[i + 2]),
                    d = b64val(in[i + 3]);

                assert_true(a >= 0 && b >= 0);
                out[o++] = (unsigned char) (a << 2 | b >> 4);
                if (in[i + 2] != '=') {
                        assert_true(c >= 0);
                        out[o++] = (unsigned char) ((b & 15) << 4 | c >> 2);
                        if (in[i + 3] != '=') {
                                assert_true(d >= 0);
                                out[o++] = (unsigned char) ((c & 3) << 6 | d);
                        }
                }
        }
        return o;
}

static bool utf8_valid(const unsigned char *p, size_t n) {
        while (n > 0) {
                size_t l = utf8_seq_len(p, n);

                if (l == 0)
                        return false;
                p += l;
                n -= l;
        }
        return true;
}

/* Checks a folded header of encoded-words: every line ≤ 76, every word ≤ 75 and valid
 * UTF-8 on its own; returns the decoded text (static) and the number of words. */
static const char *decode_header(const char *h, size_t prefix, int *ret_words) {
        static unsigned char text[4096];
        size_t tl = 0;
        const char *p = h + prefix;
        int words = 0;

        for (const char *l = h; l;) {
                const char *e = strstr(l, "\r\n");
                size_t ll = e ? (size_t) (e - l) : strlen(l);

                assert_true(ll <= 76);
                l = e ? e + 2 : NULL;
                if (l) {
                        assert_true(*l == ' ');        /* folding: CRLF then WSP */
                }
        }
        while ((p = strstr(p, "=?UTF-8?B?"))) {
                const char *end = strstr(p + 10, "?=");
                unsigned char chunk[128];
                size_t n;

                assert_non_null(end);
                assert_true((size_t) (end + 2 - p) <= 75);
                n = b64_decode(p + 10, (size_t) (end - p - 10), chunk);
                assert_true(utf8_valid(chunk, n));       /* no character split across words */
                assert_true(tl + n < sizeof(text));
                memcpy(text + tl, chunk, n);
                tl += n;
                words++;
                p = end + 2;
        }
        text[tl] = 0;
        *ret_words = words;
        return (const char *) text;
}

static void test_rfc2047_encoder(void **state) {
        const char *subjects[] = {
                SUBJECT,
                /* 60 Chinese characters: 180 bytes, several words */
                "阳光花园物业服务中心提醒您：您的房屋2026年度物业费、公共能耗分摊费、"
                "垃圾清运费及停车管理费尚未缴清，请尽快通过物业服务中心前台或微信小程序缴纳，谢谢配合！",
                /* 4-byte characters and ASCII mixed, so cuts fall at every offset */
                "a😀bc😀def😀ghij😀klmno😀pqrstu😀vwxyzAB😀CDEFGHIJ😀KLMNOPQRS😀TUVWXYZ012😀"
                "物业费😀缴费😀提醒😀物业费😀缴费😀提醒😀物业费😀缴费😀提醒",
                "x",
        };

        (void) state;
        for (size_t i = 0; i < sizeof(subjects) / sizeof(subjects[0]); i++) {
                Buf b = {};
                int words;

                buf_puts(&b, "Subject: ");
                rfc2047_encode(&b, subjects[i], strlen("Subject: "));
                assert_false(b.oom);
                assert_string_equal(decode_header(b.data, strlen("Subject: "), &words),
                                    subjects[i]);
                if (strlen(subjects[i]) > 39)
                        assert_true(words > 1);
                else
                        assert_int_equal(words, 1);
                buf_free(&b);
        }

        /* the research note's verified example, as the first word after "Subject: " */
        {
                Buf b = {};

                rfc2047_encode(&b, "物业费缴费提醒", strlen("Subject: "));
                assert_string_equal(b.data, "=?UTF-8?B?54mp5Lia6LS557y06LS55o+Q6YaS?=");
                buf_free(&b);
        }
}

static void test_header_text_clean(void **state) {
        char *s;

        (void) state;
        /* a Subject cannot smuggle a header in: line breaks become spaces before encoding */
        s = header_text_clean("缴费\r\nBcc: everyone@example.com");
        assert_string_equal(s, "缴费  Bcc: everyone@example.com");
        free(s);
        /* broken UTF-8 (a cut character, a lone continuation byte) becomes U+FFFD */
        s = header_text_clean("物\xe4\xb8" "x\x80y");
        assert_string_equal(s, "物\xef\xbf\xbd\xef\xbf\xbdx\xef\xbf\xbdy");
        free(s);
}

static void test_scrub_reply(void **state) {
        const char *in = "550 5.1.1 <zhang.san@example.com>: Recipient address rejected";
        char out[REPLY_MAX];

        (void) state;
        scrub_reply(in, strlen(in), out, sizeof(out));
        assert_string_equal(out, "550 5.1.1 <z***@example.com>: Recipient address rejected");
        scrub_reply("250 OK\r\n", 8, out, sizeof(out));
        assert_string_equal(out, "250 OK");
        mask_address(RCPT, out, sizeof(out));
        assert_string_equal(out, "z***@example.com");
}

/* Found by fuzz-smtp-dialogue: an address whose '@' lands at the end of the buffer wrote
 * the NUL one byte past it (into message_id, so a delivered message lost its Message-ID),
 * and a reply cut inside a local part showed that part unmasked. */
static void test_scrub_reply_at_the_end(void **state) {
        char in[512], out[REPLY_MAX + 1];
        const size_t sizes[] = { 1, 2, 3, 4, 5, REPLY_MAX };

        (void) state;
        snprintf(in, sizeof(in), "550 %0191d zz@example.com", 0);
        memset(out, 'Z', sizeof(out));
        scrub_reply(in, strlen(in), out, REPLY_MAX);
        assert_int_equal(out[REPLY_MAX], 'Z');
        assert_int_equal(strlen(out), REPLY_MAX - 1);
        assert_string_equal(out + REPLY_MAX - 5, " z*@");

        snprintf(in, sizeof(in), "550 %0190d zhang.san@example.com: User unknown", 0);
        scrub_reply(in, strlen(in), out, REPLY_MAX);
        assert_int_equal(out[REPLY_MAX], 'Z');
        assert_string_equal(out + 194, " z**");

        for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
                memset(out, 'Z', sizeof(out));
                scrub_reply("1@x", 3, out, sizes[i]);
                assert_int_equal(out[sizes[i]], 'Z');
                assert_true(strlen(out) < sizes[i]);
        }
}

static void test_date(void **state) {
        char d[64], wd[8], mon[8], sign;
        int day, year, hh, mm, ss, zone;
        char *old = getenv("TZ") ? strdup(getenv("TZ")) : NULL;

        (void) state;
        setenv("TZ", "Asia/Shanghai", 1);
        tzset();
        rfc5322_date(d, sizeof(d), 1797206400);       /* 2026-12-14 00:00:00 UTC */
        assert_string_equal(d, "Mon, 14 Dec 2026 08:00:00 +0800");
        setenv("TZ", "America/St_Johns", 1);          /* a negative zone with minutes */
        tzset();
        rfc5322_date(d, sizeof(d), 1797206400);
        assert_string_equal(d, "Sun, 13 Dec 2026 20:30:00 -0330");
        assert_int_equal(sscanf(d, "%3s, %d %3s %d %d:%d:%d %c%d", wd, &day, mon, &year, &hh, &mm,
                                &ss, &sign, &zone), 9);
        if (old)
                setenv("TZ", old, 1);
        else
                unsetenv("TZ");
        tzset();
        free(old);
}

/* The message builder without a network: structure, CRLF, lengths, 7-bit. */
static void test_build_message(void **state) {
        struct dunnd_option opts[] = { { "url", "smtp://127.0.0.1:25" }, { "tls", "none" },
                                       { "from", FROM }, { "from_name", FROM_NAME },
                                       { "reply_to", "service@wuye.example.com" } };
        struct dunnd_message m = message(RCPT);
        char err[256] = "", id[128];
        void *st = NULL;
        Buf b = {};
        char *msg, *body;
        size_t len;

        (void) state;
        assert_int_equal(smtp_open(opts, 5, NULL, &st, err, sizeof(err)), 0);
        make_message_id(st, 4711, time(NULL), id, sizeof(id));
        assert_true(strncmp(id, "<dunnd.4711.", 12) == 0);
        assert_non_null(strstr(id, "@wuye.example.com>"));
        assert_int_equal(build_message(st, &m, id, time(NULL), &b), 0);
        msg = b.data;
        len = b.len;
        assert_int_equal(strlen(msg), len);
        assert_true(strncmp(msg, "Date: ", 6) == 0);
        assert_non_null(strstr(msg, "\r\nFrom: =?UTF-8?B?"));
        assert_non_null(strstr(msg, "?= <" FROM ">\r\n"));
        assert_non_null(strstr(msg, "\r\nReply-To: <service@wuye.example.com>\r\n"));
        assert_non_null(strstr(msg, "\r\nTo: =?UTF-8?B?5byg5LiJ?= <" RCPT ">\r\n"));
        assert_non_null(strstr(msg, "\r\nMIME-Version: 1.0\r\n"));
        assert_non_null(strstr(msg, "\r\nContent-Type: text/plain; charset=UTF-8\r\n"));
        assert_non_null(strstr(msg, "\r\nContent-Transfer-Encoding: base64\r\n"));
        assert_non_null(strstr(msg, "\r\nAuto-Submitted: auto-generated\r\n"));
        assert_non_null(strstr(msg, "\r\nX-Dunnd-Dispatch: 4711\r\n\r\n"));
        for (size_t i = 0; i < len; i++) {
                assert_true((unsigned char) msg[i] < 0x80);
                if (msg[i] == '\n')
                        assert_true(i > 0 && msg[i - 1] == '\r');
                if (msg[i] == '\r')
                        assert_true(msg[i + 1] == '\n');
        }
        assert_true(len >= 2 && msg[len - 2] == '\r' && msg[len - 1] == '\n');
        /* base64 body lines of at most 76 characters */
        body = strstr(msg, "\r\n\r\n") + 4;
        for (char *l = body; *l;) {
                char *e = strstr(l, "\r\n");

                assert_non_null(e);
                assert_true(e - l <= 76 && e - l > 0);
                l = e + 2;
        }
        buf_free(&b);

        /* no subject: the default one */
        m.subject = NULL;
        m.recipient_name = NULL;
        assert_int_equal(build_message(st, &m, id, time(NULL), &b), 0);
        msg = b.data;
        assert_non_null(strstr(msg, "\r\nTo: <" RCPT ">\r\n"));
        {
                char *s = strstr(msg, "\r\nSubject: "), *e;
                int words;

                assert_non_null(s);
                e = strstr(s + 2, "\r\nMessage-ID");
                *e = 0;
                assert_string_equal(decode_header(s + 2, 9, &words), DEFAULT_SUBJECT);
        }
        buf_free(&b);
        smtp_close(st);
}

static void expect_open_error(const struct dunnd_option *opts, size_t n, const char *want) {
        char err[512] = "";
        void *st = (void *) 0x1;

        assert_int_equal(api->open(opts, n, NULL, &st, err, sizeof(err)), -EINVAL);
        assert_ptr_equal(st, (void *) 0x1);
        assert_string_equal(err, want);
}

static void test_open_options(void **state) {
        const char *ok_none[] = { "smtp://127.0.0.1:2525", "smtp://[::1]:2525",
                                  "smtp://localhost", "smtp://LOCALHOST:25/dunnd.example.com" };
        void *st = NULL;
        char err[256];

        (void) state;
        assert_string_equal(api->name, "smtp");
        assert_string_equal(api->channel, "email");
        assert_non_null(api->prepare);
        assert_non_null(api->finish);
        assert_null(api->deliver);

        expect_open_error((struct dunnd_option[]) { { "url", "smtp://mail.example.com:587" },
                                                    { "from", FROM }, { "colour", "red" } }, 3,
                          "unknown option 'colour' for the smtp carrier (it knows 'url', "
                          "'tls', 'username', 'password', 'from', 'from_name', 'reply_to', "
                          "'ca_file' and 'message_id_domain')");
        expect_open_error((struct dunnd_option[]) { { "from", FROM } }, 1,
                          "the smtp carrier needs 'url' (smtp://host:587 or smtps://host:465)");
        expect_open_error((struct dunnd_option[]) { { "url", "smtp://mail.example.com:587" } },
                          1, "the smtp carrier needs 'from' (the sender address)");
        expect_open_error((struct dunnd_option[]) { { "url", "smtp://mail.example.com:587" },
                                                    { "from", "wuye.example.com" } }, 2,
                          "option 'from' must be an e-mail address");
        expect_open_error((struct dunnd_option[]) { { "url", "smtp://mail.example.com:587" },
                                                    { "from", "a@b.example>\r\nBcc: x@y" } }, 2,
                          "option 'from' must be an e-mail address");
        expect_open_error((struct dunnd_option[]) { { "url", "smtp://mail.example.com:587" },
                                                    { "from", FROM }, { "reply_to", "x" } }, 3,
                          "option 'reply_to' must be an e-mail address");
        expect_open_error((struct dunnd_option[]) { { "url", "https://mail.example.com" },
                                                    { "from", FROM } }, 2,
                          "option 'url' of the smtp carrier must start with smtp:// (STARTTLS, "
                          "port 587) or smtps:// (port 465), not 'https://'");
        expect_open_error((struct dunnd_option[]) { { "url", "smtp://u:pw@mail.example.com" },
                                                    { "from", FROM } }, 2,
                          "option 'url' of the smtp carrier must not carry a user name or "
                          "password: use 'username' and 'password_credential'");
        expect_open_error((struct dunnd_option[]) { { "url", "smtp://mail.example.com:587" },
                                                    { "from", FROM }, { "tls", "try" } }, 3,
                          "option 'tls' must be required or none");
        expect_open_error((struct dunnd_option[]) { { "url", "smtp://mail.example.com:587" },
                                                    { "from", FROM }, { "username", "wuye" } }, 3,
                          "the smtp carrier needs both 'username' and a password "
                          "(password_credential), or neither");
        expect_open_error((struct dunnd_option[]) { { "url", "smtp://mail.example.com:587" },
                                                    { "from", "a@例子.中国" } }, 2,
                          "'例子.中国' cannot be the domain of a Message-ID (letters, digits, '-' "
                          "and '.', at most 64 characters): set message_id_domain");
        expect_open_error((struct dunnd_option[]) { { "url", "smtp://mail.example.com:587" },
                                                    { "from", FROM },
                                                    { "ca_file", "/nonexistent/ca.pem" } }, 3,
                          "option 'ca_file': cannot read '/nonexistent/ca.pem': No such file "
                          "or directory");

        /* clear text only to a relay on this machine */
        expect_open_error((struct dunnd_option[]) { { "url", "smtp://mail.example.com:25" },
                                                    { "from", FROM }, { "tls", "none" } }, 3,
                          "tls = \"none\" would send the password and the households' data in "
                          "clear text to 'mail.example.com'; it is allowed only for 127.0.0.1, "
                          "::1 and localhost");
        expect_open_error((struct dunnd_option[]) { { "url", "smtp://127.0.0.2:25" },
                                                    { "from", FROM }, { "tls", "none" } }, 3,
                          "tls = \"none\" would send the password and the households' data in "
                          "clear text to '127.0.0.2'; it is allowed only for 127.0.0.1, ::1 and "
                          "localhost");
        expect_open_error((struct dunnd_option[]) { { "url", "smtp://localhost.example.com" },
                                                    { "from", FROM }, { "tls", "none" } }, 3,
                          "tls = \"none\" would send the password and the households' data in "
                          "clear text to 'localhost.example.com'; it is allowed only for "
                          "127.0.0.1, ::1 and localhost");
        expect_open_error((struct dunnd_option[]) { { "url", "smtps://127.0.0.1:465" },
                                                    { "from", FROM }, { "tls", "none" } }, 3,
                          "tls = \"none\" contradicts the smtps:// URL of the smtp carrier "
                          "(smtps is always TLS)");
        for (size_t i = 0; i < sizeof(ok_none) / sizeof(ok_none[0]); i++) {
                struct dunnd_option o[] = { { "url", ok_none[i] }, { "from", FROM },
                                            { "tls", "none" } };

                assert_int_equal(api->open(o, 3, NULL, &st, err, sizeof(err)), 0);
                api->close(st);
        }
        /* everything at once */
        {
                struct dunnd_option o[] = { { "url", "smtps://mail.example.com:465" },
                                            { "tls", "required" }, { "username", "wuye" },
                                            { "password", "s3cret" }, { "from", FROM },
                                            { "from_name", FROM_NAME },
                                            { "reply_to", "service@wuye.example.com" },
                                            { "ca_file", "/dev/null" },
                                            { "message_id_domain", "mail.wuye.example.com" } };

                assert_int_equal(api->open(o, 9, NULL, &st, err, sizeof(err)), 0);
                api->close(st);
        }
}

/* With sessions kept alive libcurl may QUIT a cached connection through the handle of the
 * next message, before that message's own greeting: the greeting that follows must still
 * be read as the greeting (a 554 there refuses the whole session: carrier-wide). */
static void test_quit_of_another_connection(void **state) {
        void *st = open_carrier("smtp://127.0.0.1:25", "from", FROM, "tls", "none", END);
        struct dunnd_message m = message(RCPT);
        struct dunnd_outcome out = {};
        CURL *c = curl_easy_init();
        void *req = NULL;
        char quit[] = "QUIT\r\n", bye[] = "221 2.0.0 bye\r\n", refused[] = "554 5.7.1 go away\r\n";

        (void) state;
        assert_int_equal(smtp_prepare(st, &m, c, &req), 0);
        debug_cb(c, CURLINFO_HEADER_OUT, quit, strlen(quit), req);
        debug_cb(c, CURLINFO_HEADER_IN, bye, strlen(bye), req);
        debug_cb(c, CURLINFO_HEADER_IN, refused, strlen(refused), req);
        smtp_finish(st, req, CURLE_WEIRD_SERVER_REPLY, 0, 554, "", 0, &out);
        assert_int_equal(out.klass, DUNND_OUTCOME_CARRIER_FAILURE);
        assert_string_equal(out.error, "greeting refused: 554 5.7.1 go away (curl 8)");
        curl_easy_cleanup(c);
        smtp_close(st);
}

static void test_prepare_refuses_bad_recipient(void **state) {
        void *st = open_carrier("smtp://127.0.0.1:25", "from", FROM, "tls", "none", END);
        struct dunnd_message m = message("zhang@example.com>\r\nDATA");
        CURL *c = curl_easy_init();
        void *req = NULL;

        (void) state;
        assert_int_equal(api->prepare(st, &m, c, &req), -EINVAL);
        assert_null(req);
        m.recipient = "no-at-sign";
        assert_int_equal(api->prepare(st, &m, c, &req), -EINVAL);
        curl_easy_cleanup(c);
        api->close(st);
}

/* --- against smtp-sink.py --- */

static void test_sink_message(void **state) {
        Fixture *f = *state;
        struct dunnd_message m = message(RCPT);
        char path[128], b[2048], *url, *meta;
        void *st;
        Sent s;
        Parsed p;

        SKIP_WITHOUT_SINK();
        start_sink(f, END);
        url = url_for("smtp", f->port);
        st = open_carrier(url, "tls", "none", "from", FROM, "from_name", FROM_NAME,
                          "reply_to", "service@wuye.example.com", END);
        s = send_one(st, &m, 10000);
        assert_int_equal(s.curl_code, CURLE_OK);
        assert_int_equal(s.status, 250);
        assert_int_equal(s.out.klass, DUNND_OUTCOME_SENT);
        assert_true(strncmp(s.out.message_id, "<dunnd.4711.", 12) == 0);

        snprintf(path, sizeof(path), "%s/mail/000001.json", f->dir);
        meta = read_file(path, NULL);
        assert_non_null(meta);
        assert_non_null(strstr(meta, "\"mail_from\": \"" FROM "\""));
        assert_non_null(strstr(meta, "\"rcpt_tos\": [\"" RCPT "\"]"));
        assert_non_null(strstr(meta, "\"tls\": false"));
        free(meta);

        snprintf(path, sizeof(path), "%s/mail/000001.eml", f->dir);
        p = parse_eml(path);
        assert_field(&p, "to_addr", RCPT);
        assert_field(&p, "to_name", "张三");
        assert_field(&p, "from_addr", FROM);
        assert_field(&p, "from_name", FROM_NAME);
        assert_field(&p, "reply_to", "service@wuye.example.com");
        assert_field(&p, "subject", SUBJECT);
        assert_field(&p, "body", "张三您好：\r\n您的3-2-1201室2026年度物业费尚有¥1,280.00未缴，"
                     "请于12月14日前缴纳。\r\n如已缴纳请忽略本通知。阳光花园物业服务中心\r\n");
        assert_field(&p, "date_has_zone", "True");
        assert_field(&p, "date_age", "True");
        assert_field(&p, "message_id", s.out.message_id);
        assert_field(&p, "mime", "1.0");
        assert_field(&p, "ctype", "text/plain");
        assert_field(&p, "charset", "utf-8");
        assert_field(&p, "cte", "base64");
        assert_field(&p, "auto", "auto-generated");
        assert_field(&p, "dispatch", "4711");
        assert_field(&p, "defects", "0");
        assert_field(&p, "crlf", "True");
        assert_field(&p, "ascii", "True");
        assert_true(atoi(field(&p, "maxline", b, sizeof(b))) <= 78);
        assert_true(atoi(field(&p, "ew_max", b, sizeof(b))) <= 75);
        assert_true(atoi(field(&p, "ew_line_max", b, sizeof(b))) <= 76);
        /* the subject is long enough to need two words */
        assert_true(atoi(field(&p, "encoded_words", b, sizeof(b))) >= 4);
        free(p.text);

        /* a second message, no subject and no name: the default subject */
        m.subject = NULL;
        m.recipient_name = NULL;
        m.dispatch_id = 4712;
        s = send_one(st, &m, 10000);
        assert_int_equal(s.out.klass, DUNND_OUTCOME_SENT);
        snprintf(path, sizeof(path), "%s/mail/000002.eml", f->dir);
        p = parse_eml(path);
        assert_field(&p, "subject", DEFAULT_SUBJECT);
        assert_field(&p, "to_name", "");
        assert_field(&p, "dispatch", "4712");
        free(p.text);

        /* 30,000 characters (90 kB): libcurl pulls it in several reads */
        {
                size_t n = 30000;
                char *big = malloc(n * 3 + 1), want[16];

                assert_non_null(big);
                for (size_t i = 0; i < n; i++)
                        memcpy(big + i * 3, i % 50 == 49 ? "\n\n\n" : "费", 3);
                big[n * 3] = 0;
                m.text = big;
                m.dispatch_id = 4713;
                s = send_one(st, &m, 10000);
                assert_int_equal(s.out.klass, DUNND_OUTCOME_SENT);
                snprintf(path, sizeof(path), "%s/mail/000003.eml", f->dir);
                p = parse_eml(path);
                /* every \n became \r\n, plus the final CRLF */
                snprintf(want, sizeof(want), "%zu", n - n / 50 + n / 50 * 6 + 2);
                assert_field(&p, "body_len", want);
                assert_field(&p, "crlf", "True");
                assert_true(atoi(field(&p, "maxline", b, sizeof(b))) <= 78);
                free(p.text);
                free(big);
        }
        api->close(st);
        free(url);
}

static void test_sink_fail_first_rcpt(void **state) {
        Fixture *f = *state;
        struct dunnd_message m = message(RCPT);
        char path[128];
        void *st;
        char *url;
        Sent s;

        SKIP_WITHOUT_SINK();
        start_sink(f, "--fail-first-rcpt", "1", END);
        url = url_for("smtp", f->port);
        st = open_carrier(url, "tls", "none", "from", FROM, END);
        s = send_one(st, &m, 10000);
        /* what libcurl 7.88 says about a 4xx to RCPT TO */
        assert_int_equal(s.curl_code, CURLE_SEND_ERROR);
        assert_int_equal(s.status, 450);
        assert_int_equal(s.out.klass, DUNND_OUTCOME_TRANSIENT);
        assert_string_equal(s.out.error, "RCPT TO refused: 450 4.2.0 try again later (curl 55)");
        snprintf(path, sizeof(path), "%s/mail/000001.eml", f->dir);
        assert_int_equal(access(path, F_OK), -1);

        s = send_one(st, &m, 10000);
        assert_int_equal(s.curl_code, CURLE_OK);
        assert_int_equal(s.out.klass, DUNND_OUTCOME_SENT);
        assert_int_equal(access(path, F_OK), 0);
        api->close(st);
        free(url);
}

static void test_sink_reject(void **state) {
        Fixture *f = *state;
        struct dunnd_message m = message("nobody@example.com");
        void *st;
        char *url;
        Sent s;

        SKIP_WITHOUT_SINK();
        start_sink(f, "--reject", "nobody@example.com", END);
        url = url_for("smtp", f->port);
        st = open_carrier(url, "tls", "none", "from", FROM, END);
        s = send_one(st, &m, 10000);
        assert_int_equal(s.curl_code, CURLE_SEND_ERROR);
        assert_int_equal(s.status, 550);
        assert_int_equal(s.out.klass, DUNND_OUTCOME_INVALID_RECIPIENT);
        assert_string_equal(s.out.error, "RCPT TO refused: 550 5.1.1 no such user (curl 55)");
        assert_null(strstr(s.out.error, "nobody@"));
        assert_string_equal(s.out.message_id, "");

        /* the next household is fine */
        m.recipient = RCPT;
        s = send_one(st, &m, 10000);
        assert_int_equal(s.out.klass, DUNND_OUTCOME_SENT);
        api->close(st);
        free(url);
}

static void test_sink_auth(void **state) {
        Fixture *f = *state;
        struct dunnd_message m = message(RCPT);
        char path[128], *meta;
        void *st;
        char *url;
        Sent s;

        SKIP_WITHOUT_SINK();
        start_sink(f, "--require-auth", "wuye:right-secret", END);
        url = url_for("smtp", f->port);

        st = open_carrier(url, "tls", "none", "from", FROM, "username", "wuye",
                          "password", "wrong-secret", END);
        s = send_one(st, &m, 10000);
        assert_int_equal(s.curl_code, CURLE_LOGIN_DENIED);
        assert_int_equal(s.status, 535);
        assert_int_equal(s.out.klass, DUNND_OUTCOME_CARRIER_FAILURE);
        assert_true(strncmp(s.out.error, "AUTH refused: 535", 17) == 0);
        assert_null(strstr(s.out.error, "secret"));
        api->close(st);

        /* no credentials at all: the server wants them at MAIL FROM */
        st = open_carrier(url, "tls", "none", "from", FROM, END);
        s = send_one(st, &m, 10000);
        assert_int_equal(s.curl_code, CURLE_SEND_ERROR);
        assert_int_equal(s.status, 530);
        assert_int_equal(s.out.klass, DUNND_OUTCOME_CARRIER_FAILURE);
        assert_true(strncmp(s.out.error, "MAIL FROM refused: 530", 22) == 0);
        api->close(st);

        st = open_carrier(url, "tls", "none", "from", FROM, "username", "wuye",
                          "password", "right-secret", END);
        s = send_one(st, &m, 10000);
        assert_int_equal(s.curl_code, CURLE_OK);
        assert_int_equal(s.out.klass, DUNND_OUTCOME_SENT);
        snprintf(path, sizeof(path), "%s/mail/000001.json", f->dir);
        meta = read_file(path, NULL);
        assert_non_null(meta);
        assert_non_null(strstr(meta, "\"auth\": \"wuye\""));
        free(meta);
        api->close(st);
        free(url);
}

static void test_sink_starttls(void **state) {
        Fixture *f = *state;
        struct dunnd_message m = message(RCPT);
        char certfile[96], path[128], *cert, *nl, *meta, *url;
        void *st;
        Sent s;
        Parsed p;

        SKIP_WITHOUT_SINK();
        snprintf(certfile, sizeof(certfile), "%s/cert-path", f->dir);
        start_sink(f, "--starttls", "--require-starttls", "--cert-file", certfile, END);
        url = url_for("smtp", f->port);
        cert = read_file(certfile, NULL);
        assert_non_null(cert);
        nl = strchr(cert, '\n');
        if (nl)
                *nl = 0;

        /* STARTTLS with the sink's self-signed certificate as the CA */
        st = open_carrier(url, "from", FROM, "from_name", FROM_NAME, "ca_file", cert, END);
        s = send_one(st, &m, 10000);
        assert_int_equal(s.curl_code, CURLE_OK);
        assert_int_equal(s.out.klass, DUNND_OUTCOME_SENT);
        snprintf(path, sizeof(path), "%s/mail/000001.json", f->dir);
        meta = read_file(path, NULL);
        assert_non_null(meta);
        assert_non_null(strstr(meta, "\"tls\": true"));
        free(meta);
        snprintf(path, sizeof(path), "%s/mail/000001.eml", f->dir);
        p = parse_eml(path);
        assert_field(&p, "subject", SUBJECT);
        free(p.text);
        api->close(st);

        /* the system CAs do not know it: the certificate is refused, carrier-wide */
        st = open_carrier(url, "from", FROM, END);
        s = send_one(st, &m, 10000);
        assert_int_equal(s.curl_code, CURLE_PEER_FAILED_VERIFICATION);
        assert_int_equal(s.out.klass, DUNND_OUTCOME_CARRIER_FAILURE);
        assert_true(strncmp(s.out.error, "curl 60: ", 9) == 0);
        api->close(st);
        free(url);
        free(cert);
}

static void test_sink_no_starttls(void **state) {
        Fixture *f = *state;
        struct dunnd_message m = message(RCPT);
        char *url;
        void *st;
        Sent s;

        SKIP_WITHOUT_SINK();
        start_sink(f, END);
        url = url_for("smtp", f->port);
        /* tls = "required" (the default) and a server without STARTTLS: never plain text */
        st = open_carrier(url, "from", FROM, END);
        s = send_one(st, &m, 10000);
        assert_int_equal(s.curl_code, CURLE_USE_SSL_FAILED);
        assert_int_equal(s.out.klass, DUNND_OUTCOME_CARRIER_FAILURE);
        assert_non_null(strstr(s.out.error, "offers no STARTTLS"));
        api->close(st);
        free(url);
}

static void test_connection_refused(void **state) {
        struct dunnd_message m = message(RCPT);
        struct sockaddr_in sa = { .sin_family = AF_INET,
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t sl = sizeof(sa);
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        char *url;
        void *st;
        Sent s;

        (void) state;
        /* a port that was just free: nothing listens there */
        assert_true(fd >= 0);
        assert_int_equal(bind(fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
        assert_int_equal(getsockname(fd, (struct sockaddr *) &sa, &sl), 0);
        close(fd);
        url = url_for("smtp", ntohs(sa.sin_port));
        st = open_carrier(url, "tls", "none", "from", FROM, END);
        s = send_one(st, &m, 10000);
        assert_int_equal(s.curl_code, CURLE_COULDNT_CONNECT);
        assert_int_equal(s.request_sent, 0);
        assert_int_equal(s.out.klass, DUNND_OUTCOME_TRANSIENT);
        api->close(st);
        free(url);
}

/* --- a scripted SMTP peer for the replies aiosmtpd will not give --- */

typedef struct Script {
        const char *greeting, *ehlo, *helo, *mail, *rcpt;
        const char *data;       /* reply to DATA; "" = close */
        const char *eob;        /* reply to the end of data; "" = close, "hang" = none */
        int sessions;           /* connections to serve one after the other (0: 1) */
        /* on a session's second and later transaction (a reused connection): close it after
         * reading MAIL FROM ("mail") or the end of data ("eob"), without a reply */
        const char *drop_on_reuse;
} Script;

/* One line per event into DIR/peer.log, for the test to count: "session N", "mail N",
 * "message N" (a whole message read), with N the session. */
static void peer_note(const char *dir, const char *what, int session) {
        char path[96];
        FILE *f;

        snprintf(path, sizeof(path), "%s/peer.log", dir);
        f = fopen(path, "ae");
        if (!f)
                _exit(4);
        fprintf(f, "%s %d\n", what, session);
        fclose(f);
}

static int peer_count(const Fixture *f, const char *line) {
        char path[96], l[64];
        int n = 0;
        FILE *p;

        snprintf(path, sizeof(path), "%s/peer.log", f->dir);
        p = fopen(path, "re");
        if (!p)
                return 0;
        while (fgets(l, sizeof(l), p))
                n += strncmp(l, line, strlen(line)) == 0 && l[strlen(line)] == '\n';
        fclose(p);
        return n;
}

static void peer_write(int fd, const char *s) {
        size_t n = strlen(s);

        if (write(fd, s, n) != (ssize_t) n)
                _exit(3);
}

/* Reads one line (up to LF) into buf; returns false on EOF. */
static bool peer_line(int fd, char *buf, size_t len) {
        size_t o = 0;
        char c;

        while (read(fd, &c, 1) == 1) {
                if (o + 1 < len)
                        buf[o++] = c;
                if (c == '\n') {
                        buf[o] = 0;
                        return true;
                }
        }
        return false;
}

static void peer_session(int fd, const Script *sc, const char *dir, int session) {
        char line[1024];
        int transactions = 0;

        if (sc->greeting && !*sc->greeting) {
                sleep(30);              /* never greets: the client gives up first */
                return;
        }
        peer_write(fd, sc->greeting ? sc->greeting : "220 localhost ESMTP scripted\r\n");
        if (sc->greeting && sc->greeting[0] != '2')
                return;
        while (peer_line(fd, line, sizeof(line))) {
                if (strncasecmp(line, "EHLO", 4) == 0)
                        peer_write(fd, sc->ehlo ? sc->ehlo : "250-localhost\r\n250 8BITMIME\r\n");
                else if (strncasecmp(line, "HELO", 4) == 0)
                        peer_write(fd, sc->helo ? sc->helo : "250 localhost\r\n");
                else if (strncasecmp(line, "MAIL", 4) == 0) {
                        peer_note(dir, "mail", session);
                        if (++transactions > 1 && sc->drop_on_reuse &&
                            strcmp(sc->drop_on_reuse, "mail") == 0)
                                return;
                        peer_write(fd, sc->mail ? sc->mail : "250 OK\r\n");
                }
                else if (strncasecmp(line, "RCPT", 4) == 0)
                        peer_write(fd, sc->rcpt ? sc->rcpt : "250 OK\r\n");
                else if (strncasecmp(line, "DATA", 4) == 0) {
                        if (sc->data && !*sc->data)
                                return;
                        peer_write(fd, sc->data ? sc->data : "354 go ahead\r\n");
                        if (sc->data)
                                continue;
                        while (peer_line(fd, line, sizeof(line)) && strcmp(line, ".\r\n") != 0)
                                ;
                        peer_note(dir, "message", session);
                        if (transactions > 1 && sc->drop_on_reuse &&
                            strcmp(sc->drop_on_reuse, "eob") == 0)
                                return;
                        if (!sc->eob)
                                peer_write(fd, "250 2.0.0 OK queued\r\n");
                        else if (strcmp(sc->eob, "hang") == 0) {
                                sleep(30);      /* the client gives up first */
                                return;
                        } else if (!*sc->eob)
                                return;         /* connection lost: no reply at all */
                        else
                                peer_write(fd, sc->eob);
                } else if (strncasecmp(line, "QUIT", 4) == 0) {
                        peer_write(fd, "221 bye\r\n");
                        return;
                } else
                        peer_write(fd, "502 not implemented\r\n");
        }
}

static void start_scripted(Fixture *f, const Script *sc) {
        struct sockaddr_in sa = { .sin_family = AF_INET,
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t sl = sizeof(sa);
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

        assert_true(fd >= 0);
        assert_int_equal(bind(fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
        assert_int_equal(listen(fd, 4), 0);
        assert_int_equal(getsockname(fd, (struct sockaddr *) &sa, &sl), 0);
        f->port = ntohs(sa.sin_port);
        f->pid = fork();
        assert_true(f->pid >= 0);
        if (f->pid == 0) {
                for (int i = 1; i <= (sc->sessions > 0 ? sc->sessions : 1); i++) {
                        int c = accept(fd, NULL, NULL);

                        if (c < 0)
                                _exit(2);
                        peer_note(f->dir, "session", i);
                        peer_session(c, sc, f->dir, i);
                        close(c);
                }
                _exit(0);
        }
        close(fd);
}

static Sent send_scripted(Fixture *f, const Script *sc, long timeout_ms) {
        struct dunnd_message m = message(RCPT);
        char *url;
        void *st;
        Sent s;

        start_scripted(f, sc);
        url = url_for("smtp", f->port);
        st = open_carrier(url, "tls", "none", "from", FROM, END);
        s = send_one(st, &m, timeout_ms);
        api->close(st);
        free(url);
        stop_peer(f);
        return s;
}

static void test_scripted_refusals(void **state) {
        Fixture *f = *state;
        Sent s;

        /* a busy server at the greeting */
        s = send_scripted(f, &(Script) { .greeting = "421 4.3.2 too busy\r\n" }, 5000);
        assert_int_equal(s.curl_code, CURLE_WEIRD_SERVER_REPLY);
        assert_int_equal(s.out.klass, DUNND_OUTCOME_TRANSIENT);
        assert_string_equal(s.out.error, "greeting refused: 421 4.3.2 too busy (curl 8)");

        /* our IP is on a block list: every message would fail */
        s = send_scripted(f, &(Script) { .greeting = "554 5.7.1 go away\r\n" }, 5000);
        assert_int_equal(s.out.klass, DUNND_OUTCOME_CARRIER_FAILURE);

        /* our sender is refused: carrier-wide */
        s = send_scripted(f, &(Script) { .mail = "553 5.1.8 sender domain unknown\r\n" }, 5000);
        assert_int_equal(s.curl_code, CURLE_SEND_ERROR);
        assert_int_equal(s.status, 553);
        assert_int_equal(s.out.klass, DUNND_OUTCOME_CARRIER_FAILURE);
        assert_string_equal(s.out.error,
                            "MAIL FROM refused: 553 5.1.8 sender domain unknown (curl 55)");
        s = send_scripted(f, &(Script) { .mail = "552 5.3.4 message too big\r\n" }, 5000);
        assert_int_equal(s.out.klass, DUNND_OUTCOME_REJECTED);
        s = send_scripted(f, &(Script) { .mail = "451 4.3.0 try later\r\n" }, 5000);
        assert_int_equal(s.out.klass, DUNND_OUTCOME_TRANSIENT);

        /* the mailbox is full: this message, not the address */
        s = send_scripted(f, &(Script) { .rcpt = "552 5.2.2 mailbox full\r\n" }, 5000);
        assert_int_equal(s.curl_code, CURLE_SEND_ERROR);
        assert_int_equal(s.out.klass, DUNND_OUTCOME_REJECTED);
        s = send_scripted(f, &(Script) { .rcpt = "554 5.7.1 relay access denied\r\n" }, 5000);
        assert_int_equal(s.out.klass, DUNND_OUTCOME_REJECTED);
        s = send_scripted(f, &(Script) { .rcpt = "550 5.7.1 recipient refused by policy\r\n" },
                          5000);
        assert_int_equal(s.out.klass, DUNND_OUTCOME_REJECTED);
        s = send_scripted(f, &(Script) { .rcpt = "452 4.5.3 too many recipients\r\n" }, 5000);
        assert_int_equal(s.out.klass, DUNND_OUTCOME_TRANSIENT);
        /* the reply names the address: masked in the error */
        s = send_scripted(f, &(Script) { .rcpt = "553 5.1.3 <" RCPT ">: bad address syntax\r\n" },
                          5000);
        assert_int_equal(s.out.klass, DUNND_OUTCOME_INVALID_RECIPIENT);
        assert_string_equal(s.out.error, "RCPT TO refused: 553 5.1.3 <z***@example.com>: bad "
                            "address syntax (curl 55)");
        s = send_scripted(f, &(Script) { .rcpt = "551 user not local\r\n" }, 5000);
        assert_int_equal(s.out.klass, DUNND_OUTCOME_INVALID_RECIPIENT);

        /* an old server without EHLO: libcurl falls back to HELO */
        s = send_scripted(f, &(Script) { .ehlo = "502 5.5.2 EHLO not implemented\r\n" }, 5000);
        assert_int_equal(s.curl_code, CURLE_OK);
        assert_int_equal(s.out.klass, DUNND_OUTCOME_SENT);
        /* ...and one that wants neither */
        s = send_scripted(f, &(Script) { .ehlo = "554 5.7.1 no\r\n", .helo = "554 5.7.1 no\r\n" },
                          5000);
        assert_int_equal(s.curl_code, CURLE_REMOTE_ACCESS_DENIED);
        assert_int_equal(s.out.klass, DUNND_OUTCOME_CARRIER_FAILURE);
        assert_string_equal(s.out.error, "EHLO refused: 554 5.7.1 no (curl 9)");

        /* the connection is lost before the message: nothing can have been taken */
        s = send_scripted(f, &(Script) { .data = "" }, 5000);
        assert_int_not_equal(s.curl_code, CURLE_OK);
        assert_int_equal(s.status, 250);
        assert_int_equal(s.out.klass, DUNND_OUTCOME_TRANSIENT);

        /* DATA itself refused */
        s = send_scripted(f, &(Script) { .data = "554 5.5.1 no valid recipients\r\n" }, 5000);
        assert_int_equal(s.curl_code, CURLE_SEND_ERROR);
        assert_int_equal(s.out.klass, DUNND_OUTCOME_REJECTED);
        assert_string_equal(s.out.error, "DATA refused: 554 5.5.1 no valid recipients (curl 55)");
}

static void test_scripted_end_of_data(void **state) {
        Fixture *f = *state;
        Sent s;

        /* the server answered the end of data */
        s = send_scripted(f, &(Script) { .eob = "250 2.0.0 queued as 4711\r\n" }, 5000);
        assert_int_equal(s.curl_code, CURLE_OK);
        assert_int_equal(s.out.klass, DUNND_OUTCOME_SENT);
        assert_string_equal(s.out.error, "");
        assert_true(strncmp(s.out.message_id, "<dunnd.4711.", 12) == 0);

        s = send_scripted(f, &(Script) { .eob = "451 4.3.0 queue write error\r\n" }, 5000);
        assert_int_equal(s.curl_code, CURLE_WEIRD_SERVER_REPLY);
        assert_int_equal(s.status, 451);
        assert_int_equal(s.out.klass, DUNND_OUTCOME_TRANSIENT);
        assert_string_equal(s.out.error, "end of data refused: 451 4.3.0 queue write error");

        s = send_scripted(f, &(Script) { .eob = "554 5.7.1 message looks like spam\r\n" }, 5000);
        assert_int_equal(s.curl_code, CURLE_WEIRD_SERVER_REPLY);
        assert_int_equal(s.out.klass, DUNND_OUTCOME_REJECTED);

        /* the connection is lost after the message went out: it may have been taken */
        s = send_scripted(f, &(Script) { .eob = "" }, 5000);
        assert_int_not_equal(s.curl_code, CURLE_OK);
        assert_int_equal(s.status, 354);
        assert_int_equal(s.out.klass, DUNND_OUTCOME_UNKNOWN);
        assert_string_equal(s.out.message_id, "");

        /* no answer before the timeout */
        s = send_scripted(f, &(Script) { .eob = "hang" }, 1500);
        assert_int_equal(s.curl_code, CURLE_OPERATION_TIMEDOUT);
        assert_int_equal(s.out.klass, DUNND_OUTCOME_UNKNOWN);
        assert_true(strncmp(s.out.error, "no reply to the end of data", 27) == 0);
}

/* A timeout before the message went out is safe to retry. */
static void test_scripted_timeout_before_data(void **state) {
        Fixture *f = *state;
        Sent s;

        /* a server that never greets */
        s = send_scripted(f, &(Script) { .greeting = "" }, 1000);
        assert_int_equal(s.curl_code, CURLE_OPERATION_TIMEDOUT);
        assert_int_equal(s.out.klass, DUNND_OUTCOME_TRANSIENT);
}

/* --- keep-alive: several messages over one session, never one twice --- */

/* Three messages through one multi handle (as the host sends them) to a scripted peer. */
static void send_three(Fixture *f, const Script *sc, Sent s[3]) {
        static const char *const rcpts[] = { "a.one@example.com", "b.two@example.com",
                                             "c.three@example.com" };
        CURLM *multi = curl_multi_init();
        char *url;
        void *st;

        assert_non_null(multi);
        start_scripted(f, sc);
        url = url_for("smtp", f->port);
        st = open_carrier(url, "tls", "none", "from", FROM, END);
        assert_int_equal(api->properties(st), DUNND_CARRIER_REUSE_SAFE);
        for (int i = 0; i < 3; i++) {
                struct dunnd_message m = message(rcpts[i]);

                m.dispatch_id = 4711 + (uint64_t) i;
                s[i] = send_on(multi, st, &m, 5000);
        }
        api->close(st);
        curl_multi_cleanup(multi);      /* QUITs the kept session */
        free(url);
        stop_peer(f);
}

static void test_keep_alive_one_session(void **state) {
        Fixture *f = *state;
        Sent s[3];

        send_three(f, &(Script) { .sessions = 2 }, s);
        for (int i = 0; i < 3; i++) {
                assert_int_equal(s[i].out.klass, DUNND_OUTCOME_SENT);
                assert_string_equal(s[i].out.error, "");
        }
        /* one connection, one greeting, three transactions, three messages */
        assert_int_equal(peer_count(f, "session 1"), 1);
        assert_int_equal(peer_count(f, "session 2"), 0);
        assert_int_equal(peer_count(f, "mail 1"), 3);
        assert_int_equal(peer_count(f, "message 1"), 3);
}

/* The server drops the reused session when MAIL FROM arrives (its idle timeout struck as
 * the next message began): nothing of the message went out, so it is transient, and libcurl
 * did not send it again by itself: no second session carried it. The host's retry then
 * opens a fresh session. */
static void test_keep_alive_dropped_before_data(void **state) {
        Fixture *f = *state;
        Sent s[3];

        send_three(f, &(Script) { .sessions = 2, .drop_on_reuse = "mail" }, s);
        assert_int_equal(s[0].out.klass, DUNND_OUTCOME_SENT);
        assert_int_not_equal(s[1].curl_code, CURLE_OK);
        assert_int_equal(s[1].out.klass, DUNND_OUTCOME_TRANSIENT);
        /* the third message opened the second session and went out there */
        assert_int_equal(s[2].out.klass, DUNND_OUTCOME_SENT);
        assert_int_equal(peer_count(f, "mail 1"), 2);
        assert_int_equal(peer_count(f, "message 1"), 1);
        assert_int_equal(peer_count(f, "mail 2"), 1);
        assert_int_equal(peer_count(f, "message 2"), 1);
}

/* The server takes the whole second message on the reused session and then drops it
 * without a reply: it may have been accepted, so unknown; and it was not sent again. */
static void test_keep_alive_dropped_after_data(void **state) {
        Fixture *f = *state;
        Sent s[3];

        send_three(f, &(Script) { .sessions = 2, .drop_on_reuse = "eob" }, s);
        assert_int_equal(s[0].out.klass, DUNND_OUTCOME_SENT);
        assert_int_equal(s[1].out.klass, DUNND_OUTCOME_UNKNOWN);
        assert_true(strncmp(s[1].out.error, "no reply to the end of data", 27) == 0);
        assert_int_equal(s[2].out.klass, DUNND_OUTCOME_SENT);
        /* two messages in the first session, the third alone in the second: none twice */
        assert_int_equal(peer_count(f, "message 1"), 2);
        assert_int_equal(peer_count(f, "message 2"), 1);
}

#define T(x) cmocka_unit_test_setup_teardown(x, setup, teardown)

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_rfc2047_encoder),
                cmocka_unit_test(test_header_text_clean),
                cmocka_unit_test(test_scrub_reply),
                cmocka_unit_test(test_scrub_reply_at_the_end),
                cmocka_unit_test(test_date),
                cmocka_unit_test(test_build_message),
                cmocka_unit_test(test_open_options),
                cmocka_unit_test(test_prepare_refuses_bad_recipient),
                cmocka_unit_test(test_quit_of_another_connection),
                T(test_sink_message),
                T(test_sink_fail_first_rcpt),
                T(test_sink_reject),
                T(test_sink_auth),
                T(test_sink_starttls),
                T(test_sink_no_starttls),
                T(test_connection_refused),
                T(test_scripted_refusals),
                T(test_scripted_end_of_data),
                T(test_scripted_timeout_before_data),
                T(test_keep_alive_one_session),
                T(test_keep_alive_dropped_before_data),
                T(test_keep_alive_dropped_after_data),
        };

        return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
