/* SPDX-License-Identifier: MIT */

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "carrier.h"
#include "config.h"

static char plugin_dir[PATH_MAX];       /* the real plugins: file.so */
static char test_plugin_dir[PATH_MAX];  /* tests/plugins: the broken ones and strict.so */

/* The runner exports PLUGIN_DIR and TEST_PLUGIN_DIR; run by hand, the binary finds them
 * relative to itself (BUILD/tests/unit/test-carrier). */
static void find_dirs(void) {
        const char *p = getenv("PLUGIN_DIR"), *t = getenv("TEST_PLUGIN_DIR");
        char exe[PATH_MAX], *slash;
        ssize_t n;

        n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
        assert_true(n > 0);
        exe[n] = 0;
        for (int i = 0; i < 3; i++) {
                slash = strrchr(exe, '/');
                assert_non_null(slash);
                *slash = 0;
        }
        snprintf(plugin_dir, sizeof(plugin_dir), "%s", p ? p : exe);
        if (!p)
                strncat(plugin_dir, "/plugins", sizeof(plugin_dir) - strlen(plugin_dir) - 1);
        snprintf(test_plugin_dir, sizeof(test_plugin_dir), "%s", t ? t : exe);
        if (!t)
                strncat(test_plugin_dir, "/tests/plugins",
                        sizeof(test_plugin_dir) - strlen(test_plugin_dir) - 1);
}

static int group_setup(void **state) {
        (void) state;
        find_dirs();
        return 0;
}

/* A scratch directory per test. */
typedef struct Fixture {
        char dir[64];
} Fixture;

static int setup(void **state) {
        Fixture *f = calloc(1, sizeof(*f));

        if (!f)
                return -1;
        strcpy(f->dir, "/tmp/dunnd-test-carrier.XXXXXX");
        if (!mkdtemp(f->dir))
                return -1;
        *state = f;
        return 0;
}

static int teardown(void **state) {
        Fixture *f = *state;
        char cmd[128];

        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
        if (system(cmd) != 0)
                return -1;
        free(f);
        return 0;
}

static void copy_file(const char *from, const char *to, mode_t mode) {
        char buf[65536];
        ssize_t n;
        int in, out;

        in = open(from, O_RDONLY | O_CLOEXEC);
        if (in < 0)
                fail_msg("cannot open %s: %s (build it first)", from, strerror(errno));
        out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        assert_true(out >= 0);
        while ((n = read(in, buf, sizeof(buf))) > 0)
                assert_int_equal(write(out, buf, (size_t) n), n);
        assert_int_equal(n, 0);
        close(in);
        assert_int_equal(fchmod(out, mode), 0);       /* not subject to the umask */
        close(out);
}

/* Loads dir/name.so expecting failure r, and the error text "PREFIX'DIR/NAME.so'SUFFIX". */
static void expect_load_error(const char *dir, const char *name, int r, const char *prefix,
                              const char *suffix) {
        const struct dunnd_carrier *api = (const void *) 0x1;
        void *dl = (void *) 0x1;
        char *path = (char *) 0x1, err[512] = "", *want = NULL;

        assert_int_equal(carrier_plugin_load(dir, name, &dl, &api, &path, err, sizeof(err)), r);
        /* nothing handed out on failure */
        assert_ptr_equal(dl, (void *) 0x1);
        assert_ptr_equal(api, (void *) 0x1);
        assert_ptr_equal(path, (char *) 0x1);
        assert_true(asprintf(&want, "%s'%s/%s.so'%s", prefix, dir, name, suffix) >= 0);
        assert_string_equal(err, want);
        free(want);
}

static void test_outcome_names(void **state) {
        (void) state;
        assert_string_equal(outcome_class_to_string(DUNND_OUTCOME_SENT), "sent");
        assert_string_equal(outcome_class_to_string(DUNND_OUTCOME_TRANSIENT), "transient");
        assert_string_equal(outcome_class_to_string(DUNND_OUTCOME_THROTTLED), "throttled");
        assert_string_equal(outcome_class_to_string(DUNND_OUTCOME_INVALID_RECIPIENT),
                            "invalid_recipient");
        assert_string_equal(outcome_class_to_string(DUNND_OUTCOME_REJECTED), "rejected");
        assert_string_equal(outcome_class_to_string(DUNND_OUTCOME_UNKNOWN), "unknown");
        assert_string_equal(outcome_class_to_string(DUNND_OUTCOME_CARRIER_FAILURE),
                            "carrier_failure");
        assert_string_equal(outcome_class_to_string(_DUNND_OUTCOME_MAX), "invalid");
        assert_string_equal(outcome_class_to_string((enum dunnd_outcome_class) 99), "invalid");
        assert_string_equal(outcome_class_to_string((enum dunnd_outcome_class) -1), "invalid");
}

static void test_broken_plugins(void **state) {
        (void) state;
        expect_load_error(test_plugin_dir, "wrong-abi", -ELIBBAD, "carrier plugin ",
                          " was built for carrier ABI 99, this dunnd speaks ABI 1; rebuild it");
        expect_load_error(test_plugin_dir, "no-symbol", -ELIBBAD, "",
                          " is not a dunnd carrier (no 'dunnd_carrier' symbol)");
        expect_load_error(test_plugin_dir, "incomplete", -ELIBBAD, "carrier plugin ",
                          " is incomplete: it needs open, close and either deliver or "
                          "prepare+finish");
        expect_load_error(test_plugin_dir, "does-not-exist", -ENOENT, "carrier plugin ",
                          ": no such file (is plugin_dir right?)");
        expect_load_error("/nonexistent-dunnd-plugins", "file", -ENOENT, "carrier plugin ",
                          ": no such file (is plugin_dir right?)");
}

static void test_strict_plugin(void **state) {
        const struct dunnd_carrier *api = NULL;
        struct dunnd_host host = { .abi = DUNND_CARRIER_ABI, .size = sizeof(host) };
        struct dunnd_option ok[] = { { "greeting", "hi" } }, bad[] = { { "greeting", "hi" },
                                                                      { "colour", "red" } };
        struct dunnd_message m = { .dispatch_id = 7, .channel = "sms", .recipient = "13800138000",
                                   .text = "x" };
        struct dunnd_outcome out = {};
        void *dl = NULL, *st = (void *) 0x1;
        char *path = NULL, err[256] = "", want[PATH_MAX + 16];

        (void) state;
        assert_int_equal(carrier_plugin_load(test_plugin_dir, "strict", &dl, &api, &path, err,
                                             sizeof(err)), 0);
        assert_non_null(dl);
        snprintf(want, sizeof(want), "%s/strict.so", test_plugin_dir);
        assert_string_equal(path, want);
        assert_int_equal(api->abi, DUNND_CARRIER_ABI);
        assert_string_equal(api->name, "strict");
        assert_string_equal(api->channel, "sms");

        assert_int_equal(api->open(bad, 2, &host, &st, err, sizeof(err)), -EINVAL);
        assert_string_equal(err, "unknown option 'colour' for the strict carrier (it knows 'greeting')");
        assert_int_equal(api->open(ok, 1, &host, &st, err, sizeof(err)), 0);
        api->deliver(st, &m, &out);
        assert_int_equal(out.klass, DUNND_OUTCOME_SENT);
        assert_string_equal(out.message_id, "strict-7");
        m.recipient = "10000000000";
        api->deliver(st, &m, &out);
        assert_int_equal(out.klass, DUNND_OUTCOME_INVALID_RECIPIENT);
        api->close(st);
        free(path);
        dlclose(dl);

        /* ret_path may be NULL */
        assert_int_equal(carrier_plugin_load(test_plugin_dir, "strict", &dl, &api, NULL, err,
                                             sizeof(err)), 0);
        dlclose(dl);
}

static void test_permissions(void **state) {
        Fixture *f = *state;
        const struct dunnd_carrier *api = NULL;
        char src[PATH_MAX + 16], dst[160], err[512];
        void *dl = NULL;

        snprintf(src, sizeof(src), "%s/file.so", plugin_dir);

        copy_file(src, (snprintf(dst, sizeof(dst), "%s/gw.so", f->dir), dst), 0664);
        expect_load_error(f->dir, "gw", -EPERM, "carrier plugin ",
                          " is writable by group or others; refusing to load it");
        copy_file(src, (snprintf(dst, sizeof(dst), "%s/ow.so", f->dir), dst), 0646);
        expect_load_error(f->dir, "ow", -EPERM, "carrier plugin ",
                          " is writable by group or others; refusing to load it");
        copy_file(src, (snprintf(dst, sizeof(dst), "%s/aw.so", f->dir), dst), 0777);
        expect_load_error(f->dir, "aw", -EPERM, "carrier plugin ",
                          " is writable by group or others; refusing to load it");

        /* the same bytes with sane permissions load */
        copy_file(src, (snprintf(dst, sizeof(dst), "%s/good.so", f->dir), dst), 0644);
        assert_int_equal(carrier_plugin_load(f->dir, "good", &dl, &api, NULL, err, sizeof(err)), 0);
        assert_string_equal(api->name, "file");
        dlclose(dl);
        copy_file(src, (snprintf(dst, sizeof(dst), "%s/ro.so", f->dir), dst), 0444);
        assert_int_equal(carrier_plugin_load(f->dir, "ro", &dl, &api, NULL, err, sizeof(err)), 0);
        dlclose(dl);

        /* a symlink could point anywhere: refused even when its target is fine */
        snprintf(dst, sizeof(dst), "%s/link.so", f->dir);
        assert_int_equal(symlink(src, dst), 0);
        expect_load_error(f->dir, "link", -EPERM, "carrier plugin ", " is not a regular file");

        snprintf(dst, sizeof(dst), "%s/dir.so", f->dir);
        assert_int_equal(mkdir(dst, 0755), 0);
        expect_load_error(f->dir, "dir", -EPERM, "carrier plugin ", " is not a regular file");
}

static void test_not_a_shared_object(void **state) {
        Fixture *f = *state;
        const struct dunnd_carrier *api = NULL;
        char path[160], err[512] = "", want[256];
        void *dl = (void *) 0x1;
        FILE *fp;

        snprintf(path, sizeof(path), "%s/junk.so", f->dir);
        fp = fopen(path, "w");
        assert_non_null(fp);
        fputs("#!/bin/sh\necho not a plugin\n", fp);
        fclose(fp);
        assert_int_equal(chmod(path, 0644), 0);
        assert_int_equal(carrier_plugin_load(f->dir, "junk", &dl, &api, NULL, err, sizeof(err)),
                         -ELIBBAD);
        assert_ptr_equal(dl, (void *) 0x1);
        snprintf(want, sizeof(want), "carrier plugin '%s' cannot be loaded: ", path);
        assert_true(strncmp(err, want, strlen(want)) == 0);
}

/* ---- a minimal JSON reader for the file carrier's flat objects ---------------------- */

typedef struct JsonField {
        char *key;
        char *string;           /* NULL for null and numbers */
        bool is_null, is_number;
        long long number;
} JsonField;

static void put_utf8(char **o, unsigned cp) {
        if (cp < 0x80)
                *(*o)++ = (char) cp;
        else if (cp < 0x800) {
                *(*o)++ = (char) (0xc0 | (cp >> 6));
                *(*o)++ = (char) (0x80 | (cp & 0x3f));
        } else {
                *(*o)++ = (char) (0xe0 | (cp >> 12));
                *(*o)++ = (char) (0x80 | ((cp >> 6) & 0x3f));
                *(*o)++ = (char) (0x80 | (cp & 0x3f));
        }
}

/* Parses a JSON string at *p; returns a malloc'ed copy or NULL if it is not valid JSON
 * (raw control characters included: JSON requires them escaped). */
static char *json_string(const char **p) {
        const char *s = *p;
        char *out, *o;

        if (*s != '"')
                return NULL;
        s++;
        out = o = malloc(strlen(s) + 1);
        assert_non_null(out);
        for (;;) {
                unsigned char c = (unsigned char) *s++;

                if (c == '"')
                        break;
                if (c < 0x20) {
                        free(out);
                        return NULL;
                }
                if (c != '\\') {
                        *o++ = (char) c;
                        continue;
                }
                switch (*s++) {
                case '"': *o++ = '"'; break;
                case '\\': *o++ = '\\'; break;
                case '/': *o++ = '/'; break;
                case 'b': *o++ = '\b'; break;
                case 'f': *o++ = '\f'; break;
                case 'n': *o++ = '\n'; break;
                case 'r': *o++ = '\r'; break;
                case 't': *o++ = '\t'; break;
                case 'u': {
                        char hex[5] = {};
                        char *end;
                        unsigned long cp;

                        memcpy(hex, s, 4);
                        cp = strtoul(hex, &end, 16);
                        if (end != hex + 4) {
                                free(out);
                                return NULL;
                        }
                        put_utf8(&o, (unsigned) cp);
                        s += 4;
                        break;
                }
                default:
                        free(out);
                        return NULL;
                }
        }
        *o = 0;
        *p = s;
        return out;
}

/* Parses one line holding a flat object. Returns the number of fields, or -1. */
static int json_parse_object(const char *s, JsonField *fields, size_t max) {
        size_t n = 0;

        if (*s++ != '{')
                return -1;
        while (*s != '}') {
                JsonField *fl;

                if (n == max)
                        return -1;
                fl = &fields[n];
                *fl = (JsonField) {};
                fl->key = json_string(&s);
                if (!fl->key || *s++ != ':')
                        return -1;
                n++;
                if (*s == '"') {
                        fl->string = json_string(&s);
                        if (!fl->string)
                                return -1;
                } else if (strncmp(s, "null", 4) == 0) {
                        fl->is_null = true;
                        s += 4;
                } else {
                        char *end;

                        fl->number = strtoll(s, &end, 10);
                        if (end == s)
                                return -1;
                        fl->is_number = true;
                        s = end;
                }
                if (*s == ',')
                        s++;
                else if (*s != '}')
                        return -1;
        }
        return s[1] == 0 ? (int) n : -1;
}

static void json_fields_free(JsonField *fields, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(fields[i].key);
                free(fields[i].string);
        }
}

static const JsonField *field(const JsonField *fields, int n, const char *key) {
        for (int i = 0; i < n; i++)
                if (strcmp(fields[i].key, key) == 0)
                        return &fields[i];
        fail_msg("no field '%s'", key);
        return NULL;
}

static void expect_string_field(const JsonField *fields, int n, const char *key, const char *v) {
        const JsonField *fl = field(fields, n, key);

        assert_non_null(fl->string);
        assert_string_equal(fl->string, v);
}

/* ---- the real file carrier ----------------------------------------------------------- */

typedef struct FilePlugin {
        void *dl;
        const struct dunnd_carrier *api;
} FilePlugin;

static void file_plugin_load(FilePlugin *p) {
        char err[512] = "";

        if (carrier_plugin_load(plugin_dir, "file", &p->dl, &p->api, NULL, err, sizeof(err)) < 0)
                fail_msg("%s", err);
        assert_string_equal(p->api->name, "file");
        assert_null(p->api->channel);           /* serves any channel */
        assert_non_null(p->api->deliver);
        assert_null(p->api->prepare);
}

static char *read_all(const char *path) {
        struct stat st;
        char *buf;
        int fd = open(path, O_RDONLY | O_CLOEXEC);

        assert_true(fd >= 0);
        assert_int_equal(fstat(fd, &st), 0);
        buf = calloc(1, (size_t) st.st_size + 1);
        assert_non_null(buf);
        assert_int_equal(read(fd, buf, (size_t) st.st_size), st.st_size);
        close(fd);
        return buf;
}

static void test_file_carrier_delivers_json(void **state) {
        Fixture *f = *state;
        struct dunnd_host host = { .abi = DUNND_CARRIER_ABI, .size = sizeof(host) };
        const char *text = "尊敬的\"张三\"业主：\n第二行\\反斜杠\t制表\r回车\x01控制";
        struct dunnd_message m = {
                .dispatch_id = 42,
                .occurrence = "deadline@2026-12-14T09:30",
                .channel = "sms",
                .recipient = "13800138000",
                .recipient_name = "张\"三\"",
                .unit = "3-2-1201",
                .subject = NULL,
                .text = text,
        };
        struct dunnd_outcome out = {};
        struct dunnd_option opts[2];
        JsonField fields[16];
        FilePlugin p = {};
        char path[160], *data, *nl, *nl2, stamp[32];
        struct stat st;
        time_t before = time(NULL);
        void *s = NULL;
        int n;

        file_plugin_load(&p);
        snprintf(path, sizeof(path), "%s/outbox.jsonl", f->dir);
        opts[0] = (struct dunnd_option) { "path", path };
        opts[1] = (struct dunnd_option) { "sync", "false" };
        assert_int_equal(p.api->open(opts, 2, &host, &s, stamp, sizeof(stamp)), 0);
        assert_non_null(s);

        p.api->deliver(s, &m, &out);
        assert_int_equal(out.klass, DUNND_OUTCOME_SENT);
        assert_string_equal(out.message_id, "file-42");
        assert_string_equal(out.error, "");

        /* a second message appends a second line */
        m.dispatch_id = 43;
        m.channel = "email";
        m.recipient = "zhang@example.com";
        m.subject = "阳光花园物业费缴费提醒（3-2-1201）";
        m.text = "短";
        out = (struct dunnd_outcome) {};
        p.api->deliver(s, &m, &out);
        assert_int_equal(out.klass, DUNND_OUTCOME_SENT);
        assert_string_equal(out.message_id, "file-43");
        p.api->close(s);

        /* 0600: the lines hold names and phone numbers */
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0600);

        data = read_all(path);
        nl = strchr(data, '\n');
        assert_non_null(nl);
        *nl = 0;
        /* the newline, quotes and control characters of the text are escaped, not raw */
        assert_non_null(strstr(data, "\\\"张三\\\""));
        assert_non_null(strstr(data, "业主：\\n第二行\\\\反斜杠\\t制表\\r回车\\u0001控制"));

        n = json_parse_object(data, fields, 16);
        assert_int_equal(n, 9);
        assert_true(field(fields, n, "dispatch_id")->is_number);
        assert_int_equal(field(fields, n, "dispatch_id")->number, 42);
        expect_string_field(fields, n, "occurrence", "deadline@2026-12-14T09:30");
        expect_string_field(fields, n, "channel", "sms");
        expect_string_field(fields, n, "recipient", "13800138000");
        expect_string_field(fields, n, "name", "张\"三\"");
        expect_string_field(fields, n, "unit", "3-2-1201");
        assert_true(field(fields, n, "subject")->is_null);
        expect_string_field(fields, n, "text", text);
        {
                const char *t = field(fields, n, "time")->string;
                struct tm tm = {};
                time_t when;

                assert_non_null(t);
                assert_int_equal(strlen(t), 20);
                assert_non_null(strptime(t, "%Y-%m-%dT%H:%M:%SZ", &tm));
                when = timegm(&tm);
                assert_true(when >= before && when <= time(NULL));
        }
        json_fields_free(fields, (size_t) n);

        /* the second line: exactly one more, ending the file */
        nl2 = strchr(nl + 1, '\n');
        assert_non_null(nl2);
        assert_int_equal(nl2[1], 0);
        *nl2 = 0;
        n = json_parse_object(nl + 1, fields, 16);
        assert_int_equal(n, 9);
        assert_int_equal(field(fields, n, "dispatch_id")->number, 43);
        expect_string_field(fields, n, "channel", "email");
        expect_string_field(fields, n, "subject", "阳光花园物业费缴费提醒（3-2-1201）");
        expect_string_field(fields, n, "text", "短");
        json_fields_free(fields, (size_t) n);
        free(data);
        dlclose(p.dl);
}

static void test_file_carrier_options(void **state) {
        Fixture *f = *state;
        struct dunnd_host host = { .abi = DUNND_CARRIER_ABI, .size = sizeof(host) };
        struct dunnd_option opts[2];
        FilePlugin p = {};
        char path[160], link[160], err[512];
        void *s = (void *) 0x1;

        file_plugin_load(&p);
        snprintf(path, sizeof(path), "%s/out.jsonl", f->dir);

        opts[0] = (struct dunnd_option) { "path", path };
        opts[1] = (struct dunnd_option) { "colour", "red" };
        err[0] = 0;
        assert_int_equal(p.api->open(opts, 2, &host, &s, err, sizeof(err)), -EINVAL);
        assert_ptr_equal(s, (void *) 0x1);
        assert_string_equal(err, "unknown option 'colour' for the file carrier (it knows 'path' "
                                 "and 'sync')");

        opts[1] = (struct dunnd_option) { "sync", "yes" };
        assert_int_equal(p.api->open(opts, 2, &host, &s, err, sizeof(err)), -EINVAL);
        assert_string_equal(err, "option 'sync' must be true or false");

        assert_int_equal(p.api->open(NULL, 0, &host, &s, err, sizeof(err)), -EINVAL);
        assert_string_equal(err, "the file carrier needs 'path'");
        opts[0] = (struct dunnd_option) { "path", "" };
        assert_int_equal(p.api->open(opts, 1, &host, &s, err, sizeof(err)), -EINVAL);
        assert_string_equal(err, "the file carrier needs 'path'");

        opts[0] = (struct dunnd_option) { "path", "/nonexistent-dunnd/out.jsonl" };
        assert_int_equal(p.api->open(opts, 1, &host, &s, err, sizeof(err)), -EINVAL);
        assert_string_equal(err, "cannot open '/nonexistent-dunnd/out.jsonl': No such file or directory");

        /* O_NOFOLLOW: the outbox is not written through a symlink */
        snprintf(link, sizeof(link), "%s/link.jsonl", f->dir);
        assert_int_equal(symlink(path, link), 0);
        opts[0] = (struct dunnd_option) { "path", link };
        assert_int_equal(p.api->open(opts, 1, &host, &s, err, sizeof(err)), -EINVAL);
        assert_true(strncmp(err, "cannot open '", 13) == 0);
        assert_int_equal(access(path, F_OK), -1);
        assert_ptr_equal(s, (void *) 0x1);

        /* sync = true is the default and valid */
        opts[0] = (struct dunnd_option) { "path", path };
        opts[1] = (struct dunnd_option) { "sync", "true" };
        assert_int_equal(p.api->open(opts, 2, &host, &s, err, sizeof(err)), 0);
        p.api->close(s);
        p.api->close(NULL);
        dlclose(p.dl);
}

/* ---- carrier sets from a config ----------------------------------------------------- */

/* A plugin directory holding copies of file.so and strict.so, and a config using it. */
static Config *load_config(Fixture *f, const char *carriers, char *conf, size_t conflen) {
        ConfigErrors errors = {};
        char src[PATH_MAX + 16], dst[160], *text = NULL;
        Config *c = NULL;
        FILE *fp;

        snprintf(src, sizeof(src), "%s/file.so", plugin_dir);
        copy_file(src, (snprintf(dst, sizeof(dst), "%s/file.so", f->dir), dst), 0644);
        snprintf(src, sizeof(src), "%s/strict.so", test_plugin_dir);
        copy_file(src, (snprintf(dst, sizeof(dst), "%s/strict.so", f->dir), dst), 0644);
        snprintf(src, sizeof(src), "%s/wrong-abi.so", test_plugin_dir);
        copy_file(src, (snprintf(dst, sizeof(dst), "%s/wrong-abi.so", f->dir), dst), 0644);

        snprintf(conf, conflen, "%s/dunnd.conf", f->dir);
        assert_true(asprintf(&text, "plugin_dir = \"%s\";\ncarriers = (\n%s);\n", f->dir,
                             carriers) >= 0);
        fp = fopen(conf, "w");
        assert_non_null(fp);
        fputs(text, fp);
        fclose(fp);
        free(text);
        if (config_load(conf, &c, &errors) < 0) {
                for (size_t i = 0; i < errors.n; i++)
                        print_message("%s\n", errors.lines[i]);
                fail();
        }
        config_errors_clear(&errors);
        return c;
}

static void test_carrier_set_open(void **state) {
        Fixture *f = *state;
        struct dunnd_message m = { .dispatch_id = 5, .channel = "sms", .recipient = "13800138000",
                                   .text = "hello" };
        struct dunnd_outcome out = {};
        ConfigErrors errors = {};
        CarrierSet *set = NULL;
        Carrier *c;
        Config *cfg;
        char conf[160], outbox[160], want[256], *data;

        snprintf(outbox, sizeof(outbox), "%s/mail.jsonl", f->dir);
        cfg = load_config(f,
                          "  { name = \"sms-gw\"; plugin = \"strict\"; channel = \"sms\"; greeting = \"hi\"; },\n"
                          "  { name = \"sms-backup\"; plugin = \"file\"; channel = \"sms\"; path = \"/dev/null\"; },\n"
                          "  { name = \"mail\"; plugin = \"file\"; channel = \"email\"; path = \"OUTBOX\"; }\n",
                          conf, sizeof(conf));
        /* the config cannot know the temp path in advance */
        free((char *) cfg->carriers[2].options[0].value);
        cfg->carriers[2].options[0].value = strdup(outbox);

        assert_int_equal(carrier_set_open(cfg, &set, &errors), 0);
        assert_int_equal(errors.n, 0);
        assert_non_null(set);
        assert_int_equal(set->n, 3);

        /* the first carrier of a channel is its primary */
        c = carrier_set_find_channel(set, "sms");
        assert_non_null(c);
        assert_string_equal(c->name, "sms-gw");
        assert_string_equal(c->channel, "sms");
        assert_ptr_equal(c->config, &cfg->carriers[0]);
        snprintf(want, sizeof(want), "%s/strict.so", f->dir);
        assert_string_equal(c->path, want);
        assert_string_equal(c->api->name, "strict");
        assert_non_null(c->state);
        assert_int_equal(c->host.abi, DUNND_CARRIER_ABI);
        assert_ptr_equal(c->host.host_data, c);
        c->api->deliver(c->state, &m, &out);
        assert_int_equal(out.klass, DUNND_OUTCOME_SENT);
        assert_string_equal(out.message_id, "strict-5");

        c = carrier_set_find(set, "mail");
        assert_non_null(c);
        assert_ptr_equal(carrier_set_find_channel(set, "email"), c);
        assert_string_equal(c->api->name, "file");
        m.channel = "email";
        m.recipient = "a@example.com";
        c->api->deliver(c->state, &m, &out);
        assert_int_equal(out.klass, DUNND_OUTCOME_SENT);
        assert_string_equal(out.message_id, "file-5");

        assert_ptr_equal(carrier_set_find(set, "sms-backup"), &set->carriers[1]);
        assert_null(carrier_set_find(set, "nope"));
        assert_null(carrier_set_find_channel(set, "wechat"));

        carrier_set_free(set);
        data = read_all(outbox);
        assert_non_null(strstr(data, "\"recipient\":\"a@example.com\""));
        free(data);
        config_free(cfg);
}

static void test_carrier_set_errors(void **state) {
        Fixture *f = *state;
        ConfigErrors errors = {};
        CarrierSet *set = (CarrierSet *) 0x1;
        Config *cfg;
        char conf[160], want[512];

        cfg = load_config(f,
                          "  { name = \"a\"; plugin = \"nope\"; channel = \"sms\"; },\n"       /* 3 */
                          "  { name = \"b\"; plugin = \"strict\"; channel = \"email\"; },\n"   /* 4 */
                          "  { name = \"c\"; plugin = \"strict\"; channel = \"sms\";\n"        /* 5 */
                          "    colour = \"red\"; },\n"
                          "  { name = \"d\"; plugin = \"wrong-abi\"; channel = \"sms\"; },\n"  /* 7 */
                          "  { name = \"e\"; plugin = \"file\"; channel = \"sms\"; }\n",       /* 8 */
                          conf, sizeof(conf));

        assert_int_equal(carrier_set_open(cfg, &set, &errors), -EINVAL);
        assert_ptr_equal(set, (CarrierSet *) 0x1);
        if (errors.n != 5)
                for (size_t i = 0; i < errors.n; i++)
                        print_message("  %s\n", errors.lines[i]);
        assert_int_equal(errors.n, 5);
        snprintf(want, sizeof(want), "%s:3: carrier 'a': carrier plugin '%s/nope.so': no such file "
                 "(is plugin_dir right?)", conf, f->dir);
        assert_string_equal(errors.lines[0], want);
        snprintf(want, sizeof(want), "%s:4: carrier 'b': plugin 'strict' sends sms, not email", conf);
        assert_string_equal(errors.lines[1], want);
        snprintf(want, sizeof(want), "%s:5: carrier 'c': unknown option 'colour' for the strict "
                 "carrier (it knows 'greeting')", conf);
        assert_string_equal(errors.lines[2], want);
        snprintf(want, sizeof(want), "%s:7: carrier 'd': carrier plugin '%s/wrong-abi.so' was built "
                 "for carrier ABI 99, this dunnd speaks ABI 1; rebuild it", conf, f->dir);
        assert_string_equal(errors.lines[3], want);
        snprintf(want, sizeof(want), "%s:8: carrier 'e': the file carrier needs 'path'", conf);
        assert_string_equal(errors.lines[4], want);
        config_errors_clear(&errors);
        config_free(cfg);
}

#define T(x) cmocka_unit_test_setup_teardown(x, setup, teardown)

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_outcome_names),
                cmocka_unit_test(test_broken_plugins),
                cmocka_unit_test(test_strict_plugin),
                T(test_permissions),
                T(test_not_a_shared_object),
                T(test_file_carrier_delivers_json),
                T(test_file_carrier_options),
                T(test_carrier_set_open),
                T(test_carrier_set_errors),
        };

        return cmocka_run_group_tests(tests, group_setup, NULL);
}
