/* SPDX-License-Identifier: MIT */

/* The first byte picks what to import — kind = bits 0-1 (households, charges, payments,
 * categories), encoding = bits 2-3 (utf-8, gbk, gb18030), dry run = bit 4, strict columns =
 * bit 5 — the rest is the CSV file. One store per process, on a temp file (on /dev/shm when
 * there is one); before
 * each input it holds the same few households with charges, payments and categories, so
 * every input runs against the same data (it is reset after an import that committed; a
 * failed import or a dry run must have left it as it was). Besides the sanitizers, checks import.h's
 * contract:
 *   - the result is 0, or -EINVAL with at least one error line (or -ENOMEM);
 *   - every error line reads NAME:LINE: problem or NAME:LINE:COLUMN: problem;
 *   - a failed import, or a dry run, leaves the row counts of every data table unchanged
 *     (all or nothing: the rollback check);
 *   - a successful import reports rows = added + updated + unchanged. */

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "import.h"
#include "macro.h"
#include "store-internal.h"
#include "store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NAME "fuzz.csv"

static Store *store;
static char dir[128];
static bool verbose;            /* FUZZ_VERBOSE=1: print each result, to look at a reproducer */
static bool dirty = true;       /* the store may differ from the seed data */

static const char *const tables[] = {
        "households", "charges", "payments", "category_history", "owners", "contacts", "notes",
};
#define N_TABLES (sizeof(tables) / sizeof(tables[0]))

/* The data every input starts from: three households, one without any contact. */
static const struct {
        ImportKind kind;
        const char *csv;
} seed[] = {
        { IMPORT_HOUSEHOLDS,
          "unit,building,floor,room,property_type,area_m2,owner,phone,email,payer_type,staff,vacant,prepaid_balance\n"
          "1-1-101,1,1,101,多层,89.5,王伟,13900000001,wang@example.com,monthly,李娟,0,0.00\n"
          "1-1-102,1,1,102,小高层,120,欧阳娜,13900000002,,prepaid,李娟,1,12.50\n"
          "2-1-101,2,1,101,商业,45.25,张三,,,monthly,周晓梅,0,0.00\n" },
        { IMPORT_CHARGES,
          "unit,period,amount,due_date\n"
          "1-1-101,2026-11,107.40,2026-11-15\n"
          "1-1-101,2026-12,107.40,2026-12-15\n"
          "1-1-102,2026-12,240.00,2026-12-15\n"
          "2-1-101,2026-12,226.25,2026-12-15\n" },
        { IMPORT_PAYMENTS,
          "unit,amount,paid_at,method,reference\n"
          "1-1-101,107.40,2026-11-03,微信,P2026110300001\n"
          "1-1-102,100.00,2026-12-01,现金,\n" },
        { IMPORT_CATEGORIES,
          "unit,category,promise_date,note\n"
          "1-1-101,promised,2026-12-20,\"说\"\"下周一定交\"\"\"\n"
          "2-1-101,unreachable,,电话空号\n" },
};

static void die(const char *what) {
        fprintf(stderr, "fuzz-import: %s: %s\n", what, store ? store_errmsg(store) : "");
        abort();
}

static void cleanup(void) {
        char p[192];

        store = store_close(store);
        if (!dir[0])
                return;
        for (const char *const *s = (const char *const[]) { "db", "db-wal", "db-shm", NULL }; *s; s++) {
                snprintf(p, sizeof(p), "%s/%s", dir, *s);
                (void) unlink(p);
        }
        (void) rmdir(dir);
}

static void setup(void) {
        char p[192], err[512];

        if (store)
                return;
        verbose = getenv("FUZZ_VERBOSE") != NULL;
        snprintf(dir, sizeof(dir), "%s/fuzz-import.XXXXXX",
                 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
        if (!mkdtemp(dir))
                die("mkdtemp");
        atexit(cleanup);
        snprintf(p, sizeof(p), "%s/db", dir);
        if (store_open(p, STORE_OPEN_CREATE, &store, err, sizeof(err)) < 0) {
                fprintf(stderr, "fuzz-import: store_open: %s\n", err);
                abort();
        }
        /* the store is throwaway: no fsync per commit */
        if (store_exec(store, "PRAGMA synchronous = OFF;") < 0)
                die("PRAGMA synchronous");
}

static void reset(void) {
        ConfigErrors errors = {};
        ImportReport rep;

        /* ON DELETE CASCADE takes everything hanging off a household with it */
        if (store_exec(store, "DELETE FROM dispatches; DELETE FROM occurrences;"
                              "DELETE FROM households;") < 0)
                die("reset");
        for (size_t i = 0; i < ELEMENTSOF(seed); i++)
                if (import_data(store, seed[i].kind, "seed.csv", seed[i].csv, strlen(seed[i].csv),
                                &(ImportOptions) { .encoding = CSV_ENCODING_UTF8 }, &rep, &errors,
                                NULL) != 0) {
                        for (size_t j = 0; j < errors.n; j++)
                                fprintf(stderr, "  %s\n", errors.lines[j]);
                        die("seed import");
                }
}

static void count_rows(int64_t counts[N_TABLES]) {
        for (size_t i = 0; i < N_TABLES; i++) {
                sqlite3_stmt *st = NULL;
                char sql[128];

                snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM %s", tables[i]);
                if (sqlite3_prepare_v2(store->db, sql, -1, &st, NULL) != SQLITE_OK ||
                    sqlite3_step(st) != SQLITE_ROW)
                        die(sql);
                counts[i] = sqlite3_column_int64(st, 0);
                sqlite3_finalize(st);
        }
}

/* NAME:LINE: problem or NAME:LINE:COLUMN: problem */
static bool error_line_ok(const char *line) {
        const size_t l = strlen(NAME);
        const char *p;
        int numbers = 0;

        if (strncmp(line, NAME, l) != 0 || line[l] != ':')
                return false;
        p = line + l + 1;
        for (;;) {
                if (*p < '0' || *p > '9')
                        return false;
                while (*p >= '0' && *p <= '9')
                        p++;
                if (*p != ':')
                        return false;
                p++;
                numbers++;
                if (*p == ' ')
                        return true;
                if (numbers == 2)
                        return false;
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *copy = NULL;
        ConfigErrors errors = {}, warnings = {};
        ImportReport rep = { .rows = SIZE_MAX };
        int64_t before[N_TABLES], after[N_TABLES];
        ImportKind kind;
        CsvEncoding encoding;
        bool dry_run, strict_columns, failed = false;
        int r;

        if (size < 1)
                return 0;
        setup();
        if (dirty)
                reset();
        dirty = false;

        kind = (ImportKind) (data[0] & 3);
        encoding = (CsvEncoding) (((data[0] >> 2) & 3) % _CSV_ENCODING_MAX);
        dry_run = data[0] & 0x10;
        strict_columns = data[0] & 0x20;

        /* exactly the right size, so ASan sees overreads */
        copy = malloc(size - 1 + 1);
        if (!copy)
                abort();
        memcpy(copy, data + 1, size - 1);

        count_rows(before);
        r = import_data(store, kind, NAME, copy, size - 1,
                        &(ImportOptions) { .encoding = encoding, .dry_run = dry_run,
                                           .strict_columns = strict_columns },
                        &rep, &errors, &warnings);
        config_errors_clear(&warnings);
        count_rows(after);

        if (store_in_transaction(store)) {
                fprintf(stderr, "import_data returned %d with a transaction open\n", r);
                abort();
        }
        if (r == 0 && !dry_run)
                dirty = true;
        if (r == 0) {
                if (errors.n != 0) {
                        fprintf(stderr, "import_data succeeded with %zu error lines\n", errors.n);
                        failed = true;
                }
                if (rep.rows != rep.added + rep.updated + rep.unchanged) {
                        fprintf(stderr, "report: %zu rows != %zu added + %zu updated + %zu unchanged\n",
                                rep.rows, rep.added, rep.updated, rep.unchanged);
                        failed = true;
                }
        } else if (r == -EINVAL) {
                if (errors.n == 0) {
                        fprintf(stderr, "import_data failed with -EINVAL and no error line\n");
                        failed = true;
                }
        } else if (r != -ENOMEM) {
                fprintf(stderr, "import_data returned %d (%s): %s\n", r, strerror(-r),
                        store_errmsg(store));
                failed = true;
        }
        for (size_t i = 0; i < errors.n; i++)
                if (!error_line_ok(errors.lines[i])) {
                        fprintf(stderr, "malformed error line: %s\n", errors.lines[i]);
                        failed = true;
                }
        if (r != 0 || dry_run)
                for (size_t i = 0; i < N_TABLES; i++)
                        if (before[i] != after[i]) {
                                fprintf(stderr, "%s import (%d) changed %s: %lld -> %lld rows\n",
                                        r != 0 ? "failed" : "dry-run", r, tables[i],
                                        (long long) before[i], (long long) after[i]);
                                failed = true;
                        }
        if (failed || verbose) {
                fprintf(stderr, "kind %s, encoding %d, dry run %d, result %d\n",
                        import_kind_to_string(kind), encoding, dry_run, r);
                if (r == 0)
                        fprintf(stderr, "  %zu rows: %zu added, %zu updated, %zu unchanged\n",
                                rep.rows, rep.added, rep.updated, rep.unchanged);
                for (size_t i = 0; i < errors.n; i++)
                        fprintf(stderr, "  %s\n", errors.lines[i]);
                if (failed)
                        abort();
        }

        config_errors_clear(&errors);
        return 0;
}
