/* SPDX-License-Identifier: MIT */

/* dunnctl subcommands that change what the store knows: init, import, categorize, resolve,
 * note, pay. */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "category.h"
#include "ctl.h"
#include "import.h"
#include "mask.h"
#include "money.h"
#include "phone.h"
#include "store-household.h"
#include "store-ledger.h"
#include "timeutil.h"

int verb_init(Ctl *ctl, int argc, char *argv[]) {
        _cleanup_(store_closep) Store *s = NULL;
        int r, corrected;

        if (argc > 1 && streq(argv[1], "--help")) {
                printf("dunnctl init\n\nCreate the database (mode 0600), or migrate an older one "
                       "forward in one transaction.\nAlso recounts every household's balance "
                       "from its charges and payments\n(after changes made outside dunnctl).\n");
                return 0;
        }
        if (argc > 1) {
                ctl_error("init takes no arguments");
                return EXIT_USAGE;
        }
        r = ctl_open_store(ctl, STORE_OPEN_CREATE, &s);
        if (r != 0)
                return r;
        if (store_file_version(s) == 0)
                printf("created %s (schema %d)\n", store_path(s), STORE_SCHEMA_VERSION);
        else if (store_file_version(s) < STORE_SCHEMA_VERSION)
                printf("migrated %s from schema %d to %d\n", store_path(s), store_file_version(s),
                       STORE_SCHEMA_VERSION);
        else
                printf("%s is up to date (schema %d)\n", store_path(s), STORE_SCHEMA_VERSION);
        r = store_begin(s);
        if (r >= 0)
                r = store_ledger_recount(s);
        if (r >= 0) {
                corrected = r;
                r = store_commit(s);
        }
        if (r < 0) {
                store_rollback(s);
                ctl_error("cannot recount the balances: %s", store_errmsg(s));
                return EXIT_RUNTIME;
        }
        if (corrected > 0)
                printf("%d household balance(s) did not match their charges and payments; "
                       "corrected\n", corrected);
        return 0;
}

static int read_file(const char *path, char **ret, size_t *ret_len) {
        _cleanup_free_ char *buf = NULL;
        size_t len = 0, cap = 0;
        int fd;

        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        for (;;) {
                ssize_t n;

                if (len + 65536 > cap) {
                        char *nb = realloc(buf, cap = cap ? cap * 2 : 131072);
                        if (!nb) {
                                close(fd);
                                return -ENOMEM;
                        }
                        buf = nb;
                }
                n = read(fd, buf + len, cap - len);
                if (n < 0) {
                        int e = -errno;
                        if (e == -EINTR)
                                continue;
                        close(fd);
                        return e;
                }
                if (n == 0)
                        break;
                len += (size_t) n;
        }
        close(fd);
        *ret = TAKE_PTR(buf);
        *ret_len = len;
        return 0;
}

static int parse_encoding(const char *s, CsvEncoding *ret) {
        const char *names[_CSV_ENCODING_MAX + 1] = {};
        CsvEncoding e = csv_encoding_from_string(s);

        if (e < 0) {
                for (int i = 0; i < _CSV_ENCODING_MAX; i++)
                        names[i] = csv_encoding_to_string(i);
                return ctl_unknown_value("encoding", s, names);
        }
        *ret = e;
        return 0;
}

static void import_help(void) {
        printf("dunnctl import households|charges|payments|categories FILE [--encoding E] [--dry-run]\n"
               "               [--strict-columns] [--at YYYY-MM-DD]\n\n"
               "Import a CSV file (RFC 4180) from the billing system. All or nothing: one bad row\n"
               "aborts the whole import with FILE:LINE:COLUMN: what is wrong, and the database is\n"
               "left unchanged. Importing the same file again changes nothing.\n\n"
               "  --encoding utf-8|gbk|gb18030   the file's encoding (default utf-8; Excel in China\n"
               "                                 writes GBK). A UTF-8 BOM is accepted.\n"
               "  --dry-run                      check and count, keep nothing\n"
               "  --strict-columns               refuse a column the kind does not know, instead of\n"
               "                                 ignoring it with a warning\n"
               "  --at YYYY-MM-DD                the day the file speaks for (default today in the\n"
               "                                 configured timezone): a promise date before it is\n"
               "                                 an error, unless the household has exactly that\n"
               "                                 promise already (an old file imported again)\n\n"
               "Columns (English or Chinese headers, any order; spaces, a BOM and full-width\n"
               "letters in a header do not matter):\n");
        for (int k = 0; k < _IMPORT_KIND_MAX; k++)
                printf("  %-11s %s\n", import_kind_to_string((ImportKind) k),
                       import_columns_help((ImportKind) k));
        printf("\nAny other column (联系地址, or 备注 outside categories) is ignored with a warning\n"
               "naming it, and the import goes on:\n"
               "  FILE:1:COLUMN: ignoring unknown column \"联系地址\"\n"
               "A known column given twice (手机 and phone), or with something added\n"
               "(应收金额(元), 手机2), is an error: rename or remove it.\n");
}

int verb_import(Ctl *ctl, int argc, char *argv[]) {
        static const struct option options[] = {
                { "encoding", required_argument, NULL, 'e' },
                { "dry-run", no_argument, NULL, 'n' },
                { "strict-columns", no_argument, NULL, 's' },
                { "at", required_argument, NULL, 'a' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        _cleanup_(store_closep) Store *s = NULL;
        _cleanup_free_ char *data = NULL;
        ImportOptions opts = { .encoding = CSV_ENCODING_UTF8 };
        ConfigErrors errors = {}, warnings = {};
        ImportReport rep = {};
        const char *file, *at = NULL;
        ImportKind kind;
        size_t len = 0;
        int c, r;

        /* options may come before or after KIND and FILE */
        ctl_reset_getopt();
        while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0)
                switch (c) {
                case 'e':
                        if (parse_encoding(optarg, &opts.encoding) != 0)
                                return EXIT_USAGE;
                        break;
                case 'n':
                        opts.dry_run = true;
                        break;
                case 's':
                        opts.strict_columns = true;
                        break;
                case 'a':
                        at = optarg;
                        break;
                case 'h':
                        import_help();
                        return 0;
                default:
                        return EXIT_USAGE;
                }
        if (argc - optind != 2) {
                ctl_error("usage: dunnctl import households|charges|payments|categories FILE");
                return EXIT_USAGE;
        }
        kind = import_kind_from_string(argv[optind]);
        if (kind < 0) {
                const char *kinds[_IMPORT_KIND_MAX + 1] = {};

                for (int k = 0; k < _IMPORT_KIND_MAX; k++)
                        kinds[k] = import_kind_to_string(k);
                return ctl_unknown_value("kind", argv[optind], kinds);
        }
        file = argv[optind + 1];

        r = read_file(file, &data, &len);
        if (r < 0) {
                ctl_error("cannot read '%s': %s", file, strerror(-r));
                return EXIT_USAGE;
        }
        r = ctl_open_store(ctl, STORE_OPEN_MIGRATE, &s);
        if (r != 0)
                return r;
        r = ctl_parse_today(ctl, at, &opts.today);
        if (r != 0)
                return r;
        r = import_data(s, kind, file, data, len, &opts, &rep, &errors, &warnings);
        for (size_t i = 0; i < warnings.n; i++)
                fprintf(stderr, "%s\n", warnings.lines[i]);
        for (size_t i = 0; i < errors.n; i++)
                fprintf(stderr, "%s\n", errors.lines[i]);
        config_errors_clear(&warnings);
        config_errors_clear(&errors);
        if (r == -EINVAL) {
                ctl_error("nothing imported from '%s'", file);
                return EXIT_USAGE;
        }
        if (r < 0) {
                ctl_error("import of '%s' failed: %s (%s); nothing imported", file, strerror(-r),
                          store_errmsg(s));
                return EXIT_RUNTIME;
        }
        printf("%s%s: %zu %s rows: %zu added, %zu updated, %zu unchanged\n",
               opts.dry_run ? "dry run, nothing kept: " : "", file, rep.rows,
               import_kind_to_string(kind), rep.added, rep.updated, rep.unchanged);
        return 0;
}

int verb_categorize(Ctl *ctl, int argc, char *argv[]) {
        static const struct option options[] = {
                { "promise", required_argument, NULL, 'p' },
                { "note", required_argument, NULL, 'n' },
                { "at", required_argument, NULL, 'a' },
                { "invalid", required_argument, NULL, 'i' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        _cleanup_(store_closep) Store *s = NULL;
        _cleanup_rollback_ Store *tx = NULL;
        const char *promise_s = NULL, *note = NULL, *at = NULL;
        char dead[8][PHONE_BUFSZ];
        size_t n_dead = 0;
        char promise[DATE_BUFSZ], today_s[DATE_BUFSZ], now[32];
        int64_t id, promise_day = -1, today;
        Category cat;
        int c, r;

        ctl_reset_getopt();
        while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0)
                switch (c) {
                case 'p':
                        promise_s = optarg;
                        break;
                case 'n':
                        note = optarg;
                        break;
                case 'a':
                        at = optarg;
                        break;
                case 'i':
                        if (n_dead >= ELEMENTSOF(dead)) {
                                ctl_error("at most %zu --invalid numbers", ELEMENTSOF(dead));
                                return EXIT_USAGE;
                        }
                        if (phone_normalize(optarg, dead[n_dead]) < 0) {
                                ctl_error("--invalid '%s' is not a mainland mobile number", optarg);
                                return EXIT_USAGE;
                        }
                        n_dead++;
                        break;
                case 'h':
                        printf("dunnctl categorize UNIT CATEGORY [--promise YYYY-MM-DD] [--note TEXT]\n"
                               "                   [--at YYYY-MM-DD] [--invalid PHONE]...\n\n"
                               "Record what a call found out. CATEGORY is one of:\n"
                               "  new          未分类      not yet called\n"
                               "  promised     近期交纳类  named a pay date (--promise): reminded the day before\n"
                               "  unclear      暂未明确类  no date yet: reminded every day\n"
                               "  unreachable  无法联系类  number dead: other contacts, door visit\n"
                               "  away         异地出差类  elsewhere: reminders carry the bank details\n"
                               "  disputed     特殊拒交类  complaint: no automatic reminders\n\n"
                               "The promise date may be today but not before it (today in the configured\n"
                               "timezone, or the day of --at).\n\n"
                               "unreachable: the number staff called is dead. It is marked invalid and never\n"
                               "texted again: --invalid PHONE names it (several times for several numbers),\n"
                               "else it is the phone tried first. The household is still texted on a phone\n"
                               "not marked invalid, else reached on the schedule's other channels, and owes\n"
                               "a door visit (dunnctl debtors: visit) until it leaves unreachable.\n");
                        return 0;
                default:
                        return EXIT_USAGE;
                }
        if (argc - optind != 2) {
                ctl_error("usage: dunnctl categorize UNIT CATEGORY [--promise YYYY-MM-DD] [--note TEXT]");
                return EXIT_USAGE;
        }
        if (ctl_parse_category(argv[optind + 1], &cat) != 0)
                return EXIT_USAGE;
        if (promise_s && date_parse(promise_s, &promise_day) < 0) {
                ctl_error("invalid promise date '%s' (YYYY-MM-DD)", promise_s);
                return EXIT_USAGE;
        }
        if (cat == CATEGORY_PROMISED && promise_day < 0) {
                ctl_error("'promised' needs --promise YYYY-MM-DD: the day the owner said they will pay");
                return EXIT_USAGE;
        }
        if (cat != CATEGORY_PROMISED && promise_day >= 0) {
                ctl_error("--promise only goes with 'promised'");
                return EXIT_USAGE;
        }
        if (cat != CATEGORY_UNREACHABLE && n_dead > 0) {
                ctl_error("--invalid only goes with 'unreachable'");
                return EXIT_USAGE;
        }
        r = ctl_open_store(ctl, STORE_OPEN_MIGRATE, &s);
        if (r != 0)
                return r;
        r = ctl_parse_today(ctl, at, &today);
        if (r != 0)
                return r;
        /* the office's day, not UTC's: before 08:00 in Shanghai UTC is still yesterday */
        if (promise_day >= 0 && promise_day < today) {
                fprintf(stderr, "dunnctl categorize: promise date %s is before today (%s); "
                        "nothing changed\n", date_format(promise_day, promise),
                        date_format(today, today_s));
                return EXIT_USAGE;
        }
        r = store_household_find(s, argv[optind], &id);
        if (r == -ENOENT) {
                ctl_error("unknown unit '%s'", argv[optind]);
                return EXIT_USAGE;
        }
        if (r < 0)
                goto fail;
        r = store_begin(s);
        if (r < 0)
                goto fail;
        tx = s;
        store_now(now, sizeof(now));
        /* a call recorded: history even when the category stays what it was */
        r = store_household_set_category(s, id, cat, promise_day, note, "dunnctl", now,
                                         CATEGORY_SET_ALWAYS, NULL);
        if (r >= 0 && note)
                r = store_household_add_note(s, id, note, "dunnctl", now, false, NULL);
        if (r < 0)
                goto fail;
        /* after the move: the household is unreachable already, so the dead phone does
         * not move it a second time */
        if (cat == CATEGORY_UNREACHABLE && n_dead == 0)
                r = store_contact_invalidate(s, id, "sms", NULL, note ? note : VISIT_REASON_STAFF, now);
        for (size_t i = 0; r >= 0 && i < n_dead; i++) {
                r = store_contact_invalidate(s, id, "sms", dead[i], note ? note : VISIT_REASON_STAFF,
                                             now);
                if (r == 0) {
                        char masked[MASK_BUFSZ];

                        fprintf(stderr, "dunnctl categorize: %s has no phone %s; nothing changed\n",
                                argv[optind], mask_phone(dead[i], masked, sizeof(masked)));
                        return EXIT_USAGE;
                }
        }
        if (r < 0)
                goto fail;
        r = store_commit(s);
        if (r < 0)
                goto fail;
        tx = NULL;
        printf("%s: %s (%s)%s%s\n", argv[optind], category_to_string(cat), category_to_chinese(cat),
               promise_day >= 0 ? ", promised for " : "",
               promise_day >= 0 ? date_format(promise_day, promise) : "");
        return 0;
fail:
        ctl_error("cannot categorize '%s': %s", argv[optind], store_errmsg(s));
        return EXIT_RUNTIME;
}

int verb_resolve(Ctl *ctl, int argc, char *argv[]) {
        static const struct option options[] = {
                { "note", required_argument, NULL, 'n' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        _cleanup_(store_closep) Store *s = NULL;
        _cleanup_rollback_ Store *tx = NULL;
        char now[STORE_TIMESTAMP_BUFSZ];
        const char *note = NULL;
        Category current;
        int64_t id;
        int c, r;

        ctl_reset_getopt();
        while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0)
                switch (c) {
                case 'n':
                        note = optarg;
                        break;
                case 'h':
                        printf("dunnctl resolve UNIT --note TEXT\n\n"
                               "Close the complaint of a disputed (特殊拒交类) household: it returns to\n"
                               "unclear (暂未明确类) and is reminded every day again until it promises.\n"
                               "--note is required: how the complaint was settled; it goes into the\n"
                               "history. A household that is not disputed is refused (exit 2).\n");
                        return 0;
                default:
                        return EXIT_USAGE;
                }
        if (argc - optind != 1) {
                ctl_error("usage: dunnctl resolve UNIT --note TEXT");
                return EXIT_USAGE;
        }
        if (isempty(note)) {
                ctl_error("resolve needs --note TEXT: how the complaint was settled");
                return EXIT_USAGE;
        }
        r = ctl_open_store(ctl, STORE_OPEN_MIGRATE, &s);
        if (r != 0)
                return r;
        r = store_household_find(s, argv[optind], &id);
        if (r == -ENOENT) {
                ctl_error("unknown unit '%s'", argv[optind]);
                return EXIT_USAGE;
        }
        if (r >= 0)
                r = store_begin(s);
        if (r < 0)
                goto fail;
        tx = s;
        r = store_household_resolve_dispute(s, id, note, store_now(now, sizeof(now)), &current);
        if (r < 0)
                goto fail;
        if (r == 0) {
                fprintf(stderr, "dunnctl resolve: %s is not disputed (it is %s, %s); nothing changed\n",
                        argv[optind], category_to_string(current), category_to_chinese(current));
                return EXIT_USAGE;
        }
        r = store_commit(s);
        if (r < 0)
                goto fail;
        tx = NULL;
        printf("%s: complaint resolved, now unclear (暂未明确类)\n", argv[optind]);
        return 0;
fail:
        ctl_error("cannot resolve '%s': %s", argv[optind], store_errmsg(s));
        return EXIT_RUNTIME;
}

int verb_note(Ctl *ctl, int argc, char *argv[]) {
        _cleanup_(store_closep) Store *s = NULL;
        char now[32];
        int64_t id;
        int r;

        if (argc == 2 && streq(argv[1], "--help")) {
                printf("dunnctl note UNIT TEXT\n\nAdd a staff note to a household (shown to staff "
                       "by dunnctl history,\nnever sent).\n");
                return 0;
        }
        if (argc != 3 || isempty(argv[2])) {
                ctl_error("usage: dunnctl note UNIT TEXT");
                return EXIT_USAGE;
        }
        r = ctl_open_store(ctl, STORE_OPEN_MIGRATE, &s);
        if (r != 0)
                return r;
        r = store_household_find(s, argv[1], &id);
        if (r == -ENOENT) {
                ctl_error("unknown unit '%s'", argv[1]);
                return EXIT_USAGE;
        }
        if (r >= 0)
                r = store_household_add_note(s, id, argv[2], "dunnctl", store_now(now, sizeof(now)),
                                             false, NULL);
        if (r < 0) {
                ctl_error("cannot add the note: %s", store_errmsg(s));
                return EXIT_RUNTIME;
        }
        printf("%s: note added\n", argv[1]);
        return 0;
}

int verb_pay(Ctl *ctl, int argc, char *argv[]) {
        static const struct option options[] = {
                { "date", required_argument, NULL, 'd' },
                { "method", required_argument, NULL, 'm' },
                { "reference", required_argument, NULL, 'r' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        _cleanup_(store_closep) Store *s = NULL;
        const char *date_s = NULL, *method = "", *reference = NULL;
        char now[STORE_TIMESTAMP_BUFSZ], dedup[64], owed_s[MONEY_BUFSZ], amount_s[MONEY_BUFSZ];
        int64_t id, fen, pay_day, owed;
        bool added = false;
        struct timeval tv;
        int c, r;

        ctl_reset_getopt();
        while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0)
                switch (c) {
                case 'd':
                        date_s = optarg;
                        break;
                case 'm':
                        method = optarg;
                        break;
                case 'r':
                        reference = optarg;
                        break;
                case 'h':
                        printf("dunnctl pay UNIT AMOUNT [--date YYYY-MM-DD] [--method M] [--reference R]\n\n"
                               "Record a payment of AMOUNT yuan (e.g. 1280.50). A reminder not yet sent\n"
                               "to a household that no longer owes anything is cancelled.\n");
                        return 0;
                default:
                        return EXIT_USAGE;
                }
        if (argc - optind != 2) {
                ctl_error("usage: dunnctl pay UNIT AMOUNT [--date YYYY-MM-DD] [--method M] [--reference R]");
                return EXIT_USAGE;
        }
        if (money_parse_yuan(argv[optind + 1], false, &fen) < 0 || fen == 0) {
                ctl_error("invalid amount '%s' (yuan, at most 2 decimals, e.g. 1280.50)", argv[optind + 1]);
                return EXIT_USAGE;
        }
        r = ctl_load_config(ctl, false);
        if (r != 0)
                return r;
        if (date_s) {
                if (date_parse(date_s, &pay_day) < 0) {
                        ctl_error("invalid date '%s' (YYYY-MM-DD)", date_s);
                        return EXIT_USAGE;
                }
        } else
                pay_day = local_day(time(NULL), ctl_timezone(ctl));
        r = ctl_open_store(ctl, STORE_OPEN_MIGRATE, &s);
        if (r != 0)
                return r;
        r = store_household_find(s, argv[optind], &id);
        if (r == -ENOENT) {
                ctl_error("unknown unit '%s'", argv[optind]);
                return EXIT_USAGE;
        }
        /* without a reference every recorded payment is its own: two equal payments on one
         * day are two payments */
        gettimeofday(&tv, NULL);
        snprintf(dedup, sizeof(dedup), "dunnctl:%lld.%06ld", (long long) tv.tv_sec, (long) tv.tv_usec);
        if (r >= 0)
                r = store_payment_add(s, &(PaymentRecord) {
                                              .household_id = id,
                                              .fen = fen,
                                              .paid_day = pay_day,
                                              .method = method,
                                              .reference = reference,
                                              .dedup_key = reference ? reference : dedup,
                                      }, store_now(now, sizeof(now)), &added);
        if (r >= 0 && !added) {
                ctl_error("a payment with reference '%s' is already recorded for %s", strempty(reference),
                          argv[optind]);
                return EXIT_USAGE;
        }
        if (r >= 0)
                r = store_household_balance(s, id, &owed);
        if (r < 0) {
                ctl_error("cannot record the payment: %s", store_errmsg(s));
                return EXIT_RUNTIME;
        }
        money_format(fen, amount_s, sizeof(amount_s));
        if (owed > 0)
                printf("%s: paid %s, still owes %s\n", argv[optind], amount_s,
                       money_format(owed, owed_s, sizeof(owed_s)));
        else
                printf("%s: paid %s, nothing owed%s\n", argv[optind], amount_s,
                       owed < 0 ? " (credit left)" : "");
        return 0;
}
