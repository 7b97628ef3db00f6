/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "store-schema.h"
#include "store-internal.h"
#include "store-ledger.h"
#include "store.h"

/* Each test gets a fresh directory; the database inside it is "db". */
typedef struct Fixture {
        char dir[64];
        char path[128];
} Fixture;

static int setup(void **state) {
        Fixture *f = calloc(1, sizeof(*f));

        if (!f)
                return -1;
        strcpy(f->dir, "/tmp/dunnd-test-store.XXXXXX");
        if (!mkdtemp(f->dir)) {
                free(f);
                return -1;
        }
        snprintf(f->path, sizeof(f->path), "%s/db", f->dir);
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

/* The first column of the first row of sql, as text (a static buffer), or NULL. */
static const char *query_text(sqlite3 *db, const char *sql) {
        static char buf[256];
        sqlite3_stmt *st = NULL;
        const char *r = NULL;

        assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0)) {
                snprintf(buf, sizeof(buf), "%s", (const char *) sqlite3_column_text(st, 0));
                r = buf;
        }
        sqlite3_finalize(st);
        return r;
}

static long long query_int(sqlite3 *db, const char *sql) {
        const char *t = query_text(db, sql);

        assert_non_null(t);
        return strtoll(t, NULL, 10);
}

/* Makes a database outside the store code, as an older dunnd or another program would. */
static void raw_db(const char *path, const char *sql) {
        sqlite3 *db = NULL;

        assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
        assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
        assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

static long long raw_query_int(const char *path, const char *sql) {
        sqlite3 *db = NULL;
        long long v;

        assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
        v = query_int(db, sql);
        sqlite3_close(db);
        return v;
}

static char *read_file(const char *path, size_t *ret_len) {
        struct stat st;
        char *buf;
        int fd;

        fd = open(path, O_RDONLY | O_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(fstat(fd, &st), 0);
        buf = malloc((size_t) st.st_size + 1);
        assert_non_null(buf);
        assert_int_equal(read(fd, buf, (size_t) st.st_size), st.st_size);
        close(fd);
        *ret_len = (size_t) st.st_size;
        return buf;
}

static void insert_household(Store *s, const char *unit) {
        char sql[512];

        snprintf(sql, sizeof(sql),
                 "INSERT INTO households (unit, building, property_type, created_at, updated_at)"
                 " VALUES ('%s', '1', '多层', '2026-12-10T00:00:00Z', '2026-12-10T00:00:00Z')",
                 unit);
        assert_int_equal(store_exec(s, sql), 0);
}

static void test_schema_version_matches_migrations(void **state) {
        (void) state;
        assert_int_equal(store_n_migrations, STORE_SCHEMA_VERSION);
        for (size_t i = 0; i < store_n_migrations; i++)
                assert_non_null(store_migrations[i]);
}

static void test_create(void **state) {
        Fixture *f = *state;
        Store *s = NULL;
        struct stat st;
        char err[512] = "", wal[160];
        mode_t old;

        /* 0600 whatever the umask says */
        old = umask(0);
        assert_int_equal(store_open(f->path, STORE_OPEN_CREATE, &s, err, sizeof(err)), 0);
        umask(old);
        assert_non_null(s);
        assert_string_equal(s->path, f->path);
        assert_int_equal(store_file_version(s), 0);

        assert_int_equal(stat(f->path, &st), 0);
        assert_true(S_ISREG(st.st_mode));
        assert_int_equal(st.st_mode & 07777, 0600);

        assert_int_equal(query_int(s->db, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
        assert_string_equal(query_text(s->db, "PRAGMA journal_mode"), "wal");
        assert_int_equal(query_int(s->db, "PRAGMA synchronous"), 2);   /* FULL */
        assert_int_equal(query_int(s->db, "PRAGMA foreign_keys"), 1);
        assert_int_equal(query_int(s->db, "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
                                          " AND name IN ('households', 'owners', 'contacts',"
                                          " 'charges', 'payments', 'category_history', 'notes',"
                                          " 'occurrences', 'dispatches')"), 9);

        /* the WAL file holds the same personal data: same mode */
        insert_household(s, "1-1-101");
        snprintf(wal, sizeof(wal), "%s-wal", f->path);
        assert_int_equal(stat(wal, &st), 0);
        assert_int_equal(st.st_mode & 0077, 0);
        store_close(s);

        /* opening again migrates nothing and reports the version found */
        s = NULL;
        assert_int_equal(store_open(f->path, STORE_OPEN_MIGRATE, &s, err, sizeof(err)), 0);
        assert_int_equal(store_file_version(s), STORE_SCHEMA_VERSION);
        assert_int_equal(query_int(s->db, "SELECT count(*) FROM households"), 1);
        store_close(s);
}

static void test_missing_file(void **state) {
        Fixture *f = *state;
        Store *s = NULL;
        char err[512] = "", expected[512];
        struct stat st;

        snprintf(expected, sizeof(expected), "no database at '%s'; run 'dunnctl init' first",
                 f->path);
        assert_int_equal(store_open(f->path, STORE_OPEN_MIGRATE, &s, err, sizeof(err)), -ENOENT);
        assert_null(s);
        assert_string_equal(err, expected);
        /* and nothing was created */
        assert_int_equal(stat(f->path, &st), -1);
        assert_int_equal(errno, ENOENT);

        err[0] = 0;
        assert_int_equal(store_open(f->path, STORE_OPEN_READONLY, &s, err, sizeof(err)), -ENOENT);
        assert_null(s);
        assert_string_equal(err, expected);
        assert_int_equal(stat(f->path, &st), -1);
}

static void test_newer_schema(void **state) {
        Fixture *f = *state;
        Store *s = NULL;
        char err[512] = "";

        raw_db(f->path, "CREATE TABLE future (x); PRAGMA user_version = 99;");
        assert_int_equal(store_open(f->path, STORE_OPEN_MIGRATE, &s, err, sizeof(err)), -EPROTO);
        assert_null(s);
        assert_non_null(strstr(err, "schema version 99"));
        assert_non_null(strstr(err, "newer"));
        assert_non_null(strstr(err, f->path));

        err[0] = 0;
        assert_int_equal(store_open(f->path, STORE_OPEN_CREATE, &s, err, sizeof(err)), -EPROTO);
        assert_non_null(strstr(err, "newer"));
        err[0] = 0;
        assert_int_equal(store_open(f->path, STORE_OPEN_READONLY, &s, err, sizeof(err)), -EPROTO);
        assert_non_null(strstr(err, "newer"));

        /* untouched */
        assert_int_equal(raw_query_int(f->path, "PRAGMA user_version"), 99);
        assert_int_equal(raw_query_int(f->path, "SELECT count(*) FROM sqlite_master WHERE name = "
                                                "'households'"), 0);
}

static void test_migrate_version_0(void **state) {
        Fixture *f = *state;
        Store *s = NULL;
        char err[512] = "";

        raw_db(f->path, "CREATE TABLE unrelated (x); INSERT INTO unrelated VALUES (42);");
        assert_int_equal(store_open(f->path, STORE_OPEN_MIGRATE, &s, err, sizeof(err)), 0);
        assert_int_equal(store_file_version(s), 0);
        assert_int_equal(query_int(s->db, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
        assert_string_equal(query_text(s->db, "PRAGMA journal_mode"), "wal");
        assert_int_equal(query_int(s->db, "SELECT x FROM unrelated"), 42);
        assert_int_equal(query_int(s->db, "SELECT count(*) FROM households"), 0);
        assert_int_equal(query_int(s->db, "SELECT count(*) FROM dispatches"), 0);
        store_close(s);
}

/* A database a schema-1 dunnd wrote, with a campaign in it, moves to the current schema in
 * one step and keeps its data; the new columns get their defaults. */
static void test_migrate_version_1_with_data(void **state) {
        Fixture *f = *state;
        Store *s = NULL;
        char err[512] = "", *sql = NULL;

        assert_true(asprintf(&sql, "%s"
                             "INSERT INTO households (id, unit, building, property_type, created_at,"
                             "  updated_at) VALUES (1, '1-1-101', '1', '多层', 'x', 'x');"
                             "INSERT INTO occurrences (id, key, schedule, at, origin, created_at)"
                             "  VALUES (1, 'deadline@2026-12-14T09:30', 'deadline', 'x', 'dunnd', 'x');"
                             "INSERT INTO dispatches (occurrence_id, household_id, channel, category,"
                             "  status, created_at, updated_at) VALUES (1, 1, 'sms', 'new', 'unknown', 'x', 'x');"
                             "INSERT INTO notes (household_id, text, source, created_at)"
                             "  VALUES (1, '电梯故障', 'import', 'x');"
                             "PRAGMA user_version = 1;",
                             store_migrations[0]) > 0);
        raw_db(f->path, sql);
        free(sql);
        assert_int_equal(store_open(f->path, STORE_OPEN_MIGRATE, &s, err, sizeof(err)), 0);
        assert_int_equal(store_file_version(s), 1);
        assert_int_equal(query_int(s->db, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
        assert_string_equal(query_text(s->db, "SELECT channels FROM occurrences"), "sms");
        assert_string_equal(query_text(s->db, "SELECT status FROM dispatches"), "unknown");
        assert_int_equal(query_int(s->db, "SELECT receipt IS NULL FROM dispatches"), 1);
        assert_string_equal(query_text(s->db, "SELECT text FROM notes"), "电梯故障");
        assert_int_equal(query_int(s->db, "SELECT count(*) FROM sqlite_master WHERE name = 'notes_household'"), 1);
        store_close(s);
}

/* Schema 2 -> 3: the balance every household carries comes from its charges and payments,
 * retry times become µs. */
static void test_migrate_version_2_balance_and_retry_usec(void **state) {
        Fixture *f = *state;
        Store *s = NULL;
        char err[512] = "", *sql = NULL;

        assert_true(asprintf(&sql, "%s%s"
                             "INSERT INTO households (id, unit, building, property_type, created_at,"
                             "  updated_at) VALUES (1, '1-1-101', '1', '多层', 'x', 'x'),"
                             "  (2, '1-1-102', '1', '多层', 'x', 'x'), (3, '1-1-103', '1', '多层', 'x', 'x');"
                             "INSERT INTO charges (household_id, period, amount, due_date) VALUES"
                             "  (1, '2026-10', 10000, '2026-10-15'), (1, '2026-11', 20000, '2026-11-15'),"
                             "  (2, '2026-11', 5000, '2026-11-15');"
                             "INSERT INTO payments (household_id, amount, paid_at, dedup_key, recorded_at)"
                             "  VALUES (1, 15000, '2026-11-01', 'a', 'x'), (2, 7000, '2026-11-01', 'b', 'x');"
                             "INSERT INTO occurrences (id, key, schedule, at, origin, created_at)"
                             "  VALUES (1, 'deadline@2026-12-14T09:30', 'deadline', 'x', 'dunnd', 'x');"
                             "INSERT INTO dispatches (occurrence_id, household_id, channel, category,"
                             "  status, next_attempt_at, created_at, updated_at)"
                             "  VALUES (1, 1, 'sms', 'new', 'retry', 1765700000, 'x', 'x');"
                             "PRAGMA user_version = 2;",
                             store_migrations[0], store_migrations[1]) > 0);
        raw_db(f->path, sql);
        free(sql);
        assert_int_equal(store_open(f->path, STORE_OPEN_MIGRATE, &s, err, sizeof(err)), 0);
        assert_int_equal(store_file_version(s), 2);
        assert_int_equal(query_int(s->db, "SELECT balance FROM households WHERE id = 1"), 15000);
        assert_int_equal(query_int(s->db, "SELECT balance FROM households WHERE id = 2"), -2000);
        assert_int_equal(query_int(s->db, "SELECT balance FROM households WHERE id = 3"), 0);
        assert_string_equal(query_text(s->db, "SELECT next_attempt_usec FROM dispatches"),
                            "1765700000000000");
        /* writes that bypass the ledger: a recount brings every balance in step */
        assert_int_equal(store_exec(s, "INSERT INTO charges (household_id, period, amount, due_date)"
                                       " VALUES (3, '2026-11', 800, '2026-11-15')"), 0);
        assert_int_equal(store_exec(s, "UPDATE payments SET amount = 5000 WHERE dedup_key = 'b'"), 0);
        assert_int_equal(store_exec(s, "DELETE FROM charges WHERE household_id = 1 AND period = '2026-10'"), 0);
        assert_int_equal(store_ledger_recount(s), 3);     /* all three were off */
        assert_int_equal(query_int(s->db, "SELECT balance FROM households WHERE id = 1"), 5000);
        assert_int_equal(query_int(s->db, "SELECT balance FROM households WHERE id = 2"), 0);
        assert_int_equal(query_int(s->db, "SELECT balance FROM households WHERE id = 3"), 800);
        store_close(s);
}

static void test_failed_migration_changes_nothing(void **state) {
        Fixture *f = *state;
        Store *s = NULL;
        char err[512] = "";
        int r;

        /* a version-0 file that already has a 'households' table: migration 1 cannot run */
        raw_db(f->path, "CREATE TABLE households (x); INSERT INTO households VALUES (7);");
        r = store_open(f->path, STORE_OPEN_MIGRATE, &s, err, sizeof(err));
        assert_true(r < 0);
        assert_null(s);
        assert_non_null(strstr(err, "cannot migrate"));
        {
                char want[64];

                snprintf(want, sizeof(want), "from schema 0 to %d", STORE_SCHEMA_VERSION);
                assert_non_null(strstr(err, want));
        }
        assert_non_null(strstr(err, "households"));

        /* all or nothing: no half-made schema, the old data intact */
        assert_int_equal(raw_query_int(f->path, "PRAGMA user_version"), 0);
        assert_int_equal(raw_query_int(f->path, "SELECT x FROM households"), 7);
        assert_int_equal(raw_query_int(f->path, "SELECT count(*) FROM sqlite_master WHERE name = "
                                                "'owners'"), 0);
}

static void test_readonly(void **state) {
        Fixture *f = *state;
        Store *s = NULL;
        char err[512] = "", *before, *after;
        size_t lb, la;

        raw_db(f->path, "CREATE TABLE unrelated (x); INSERT INTO unrelated VALUES (42);");
        before = read_file(f->path, &lb);
        assert_int_equal(store_open(f->path, STORE_OPEN_READONLY, &s, err, sizeof(err)), -EPROTO);
        assert_null(s);
        assert_non_null(strstr(err, "schema version 0"));
        assert_non_null(strstr(err, "dunnctl init"));
        after = read_file(f->path, &la);
        assert_int_equal(la, lb);
        assert_memory_equal(before, after, lb);
        free(before);
        free(after);
        assert_int_equal(raw_query_int(f->path, "PRAGMA user_version"), 0);

        /* a current database opens read-only, and refuses writes */
        unlink(f->path);
        assert_int_equal(store_open(f->path, STORE_OPEN_CREATE, &s, err, sizeof(err)), 0);
        insert_household(s, "1-1-101");
        s = store_close(s);
        assert_int_equal(store_open(f->path, STORE_OPEN_READONLY, &s, err, sizeof(err)), 0);
        assert_int_equal(store_file_version(s), STORE_SCHEMA_VERSION);
        assert_int_equal(query_int(s->db, "SELECT count(*) FROM households"), 1);
        assert_int_equal(store_exec(s, "DELETE FROM households"), -EACCES);
        store_close(s);
        assert_int_equal(raw_query_int(f->path, "SELECT count(*) FROM households"), 1);
}

static void test_not_a_database(void **state) {
        Fixture *f = *state;
        Store *s = NULL;
        char err[512] = "";
        FILE *fp;

        fp = fopen(f->path, "w");
        assert_non_null(fp);
        for (int i = 0; i < 200; i++)
                fputs("this is not an SQLite database, it is a spreadsheet\n", fp);
        fclose(fp);
        assert_int_equal(store_open(f->path, STORE_OPEN_MIGRATE, &s, err, sizeof(err)), -EBADMSG);
        assert_null(s);
        assert_non_null(strstr(err, f->path));
}

static void test_symlink_refused(void **state) {
        Fixture *f = *state;
        Store *s = NULL;
        char err[512] = "", link[160];

        assert_int_equal(store_open(f->path, STORE_OPEN_CREATE, &s, err, sizeof(err)), 0);
        s = store_close(s);
        snprintf(link, sizeof(link), "%s/link", f->dir);
        assert_int_equal(symlink(f->path, link), 0);
        assert_true(store_open(link, STORE_OPEN_MIGRATE, &s, err, sizeof(err)) < 0);
        assert_null(s);
        assert_non_null(strstr(err, link));
}

static void test_transactions(void **state) {
        Fixture *f = *state;
        Store *s = NULL, *other = NULL;
        char err[512] = "";

        assert_int_equal(store_open(f->path, STORE_OPEN_CREATE, &s, err, sizeof(err)), 0);

        /* rollback */
        assert_int_equal(store_begin(s), 0);
        assert_int_equal(s->in_transaction, 1);
        insert_household(s, "1-1-101");
        assert_int_equal(query_int(s->db, "SELECT count(*) FROM households"), 1);
        store_rollback(s);
        assert_int_equal(s->in_transaction, 0);
        assert_int_equal(query_int(s->db, "SELECT count(*) FROM households"), 0);
        /* harmless with nothing open */
        store_rollback(s);
        assert_int_equal(s->in_transaction, 0);

        /* commit: another connection sees it */
        assert_int_equal(store_begin(s), 0);
        insert_household(s, "1-1-102");
        assert_int_equal(store_commit(s), 0);
        assert_int_equal(s->in_transaction, 0);
        assert_int_equal(store_open(f->path, STORE_OPEN_MIGRATE, &other, err, sizeof(err)), 0);
        assert_string_equal(query_text(other->db, "SELECT unit FROM households"), "1-1-102");

        /* BEGIN IMMEDIATE: a second writer is refused at BEGIN, not half-way through */
        assert_int_equal(store_begin(s), 0);
        sqlite3_busy_timeout(other->db, 0);
        assert_int_equal(store_begin(other), -EBUSY);
        assert_int_equal(other->in_transaction, 0);
        store_rollback(s);
        assert_int_equal(store_begin(other), 0);
        store_rollback(other);

        /* the cleanup helper rolls back a transaction left open on an error path */
        {
                _cleanup_rollback_ Store *tx = NULL;

                assert_int_equal(store_begin(s), 0);
                tx = s;
                insert_household(s, "1-1-103");
        }
        assert_int_equal(s->in_transaction, 0);
        assert_int_equal(query_int(s->db, "SELECT count(*) FROM households"), 1);

        /* commit with nothing to commit fails and leaves no transaction open */
        assert_true(store_commit(s) < 0);
        assert_int_equal(s->in_transaction, 0);

        /* closing with an open transaction rolls it back */
        assert_int_equal(store_begin(s), 0);
        insert_household(s, "1-1-104");
        s = store_close(s);
        assert_int_equal(query_int(other->db, "SELECT count(*) FROM households"), 1);
        store_close(other);
}

static void test_constraints_and_helpers(void **state) {
        static const char insert_charge[] =
                "INSERT INTO charges (household_id, period, amount, due_date)"
                " VALUES (1, ?1, 100, '2026-10-15')";
        static const char count_charges[] = "SELECT count(*) FROM charges WHERE period >= ?1";
        Fixture *f = *state;
        sqlite3_stmt *st = NULL, *again = NULL, *outer = NULL;
        Store *s = NULL;
        char err[512] = "", now[32];
        Binder b;

        assert_int_equal(store_open(f->path, STORE_OPEN_CREATE, &s, err, sizeof(err)), 0);
        insert_household(s, "1-1-101");
        /* UNIQUE -> -EEXIST */
        assert_int_equal(store_exec(s, "INSERT INTO households (unit, building, property_type,"
                                       " created_at, updated_at) VALUES ('1-1-101', '1', '多层',"
                                       " 'x', 'x')"), -EEXIST);
        /* foreign keys are on */
        assert_int_equal(store_exec(s, "INSERT INTO charges (household_id, period, amount, due_date)"
                                       " VALUES (999, '2026-10', 100, '2026-10-15')"), -EEXIST);
        /* CHECK constraints */
        assert_int_equal(store_exec(s, "INSERT INTO charges (household_id, period, amount, due_date)"
                                       " VALUES (1, '2026-10', 0, '2026-10-15')"), -EEXIST);
        assert_int_equal(store_exec(s, "SELECT nonsense FROM nowhere"), -EIO);
        assert_non_null(strstr(store_errmsg(s), "nowhere"));
        assert_string_equal(store_errmsg(NULL), "no database");

        /* a statement is prepared once per Store and found again by its text's address */
        assert_int_equal(store_stmt(s, insert_charge, &st), 0);
        b = bind_begin(st);
        bind_text(&b, "2026-10");
        assert_int_equal(bind_end(&b), 0);
        assert_int_equal(store_step_done(st), 0);
        /* reset: the same statement runs again, and now hits UNIQUE */
        assert_int_equal(store_step_done(st), -EEXIST);
        assert_int_equal(query_int(s->db, "SELECT count(*) FROM charges"), 1);
        store_stmt_resetp(&st);
        assert_int_equal(store_stmt(s, insert_charge, &again), 0);
        assert_ptr_equal(again, st);
        /* ... and comes without the old bindings */
        assert_int_equal(store_step_done(again), -EEXIST);       /* NULL period: NOT NULL */
        store_stmt_resetp(&again);

        /* every bind result is checked: a parameter that does not exist is an error, the
         * first one sticks */
        assert_int_equal(store_stmt(s, count_charges, &st), 0);
        b = bind_begin(st);
        bind_text(&b, "2026-01");
        bind_int64(&b, 7);      /* there is no ?2 */
        bind_text(&b, "x");
        assert_int_equal(bind_end(&b), -EINVAL);
        store_stmt_resetp(&st);

        /* a statement still stepping is not handed out twice */
        assert_int_equal(store_stmt(s, count_charges, &outer), 0);
        b = bind_begin(outer);
        bind_text(&b, "2026-01");
        assert_int_equal(bind_end(&b), 0);
        assert_int_equal(store_step(outer), 1);
        assert_int_equal(sqlite3_column_int(outer, 0), 1);
        assert_int_equal(store_stmt(s, count_charges, &again), -EDEADLK);
        store_stmt_resetp(&outer);
        assert_int_equal(store_stmt(s, count_charges, &again), 0);
        store_stmt_resetp(&again);

        /* SQL that does not parse */
        st = NULL;
        assert_int_equal(store_stmt(s, "SELEC 1", &st), -EIO);
        assert_null(st);
        /* many statements: the cache grows and finds each one again */
        {
                static char texts[100][48];
                sqlite3_stmt *first[100];

                for (int i = 0; i < 100; i++) {
                        snprintf(texts[i], sizeof(texts[i]), "SELECT %d", i);
                        assert_int_equal(store_stmt(s, texts[i], &first[i]), 0);
                }
                for (int i = 0; i < 100; i++) {
                        assert_int_equal(store_stmt(s, texts[i], &st), 0);
                        assert_ptr_equal(st, first[i]);
                        assert_int_equal(store_step(st), 1);
                        assert_int_equal(sqlite3_column_int(st, 0), i);
                        store_stmt_resetp(&st);
                }
        }

        store_now(now, sizeof(now));
        assert_int_equal(strlen(now), 20);
        assert_true(now[4] == '-' && now[7] == '-' && now[10] == 'T' && now[13] == ':' &&
                    now[16] == ':' && now[19] == 'Z');
        assert_true(strncmp(now, "2026", 4) >= 0);
        store_close(s);
}

static void test_errno_mapping(void **state) {
        static const struct {
                int rc, expected;
        } table[] = {
                { SQLITE_OK, 0 },
                { SQLITE_DONE, 0 },
                { SQLITE_ROW, 0 },
                { SQLITE_BUSY, -EBUSY },
                { SQLITE_BUSY_SNAPSHOT, -EBUSY },
                { SQLITE_LOCKED, -EBUSY },
                { SQLITE_NOMEM, -ENOMEM },
                { SQLITE_READONLY, -EACCES },
                { SQLITE_READONLY_DBMOVED, -EACCES },
                { SQLITE_PERM, -EACCES },
                { SQLITE_AUTH, -EACCES },
                { SQLITE_FULL, -ENOSPC },
                { SQLITE_CANTOPEN, -ENOENT },
                { SQLITE_CONSTRAINT, -EEXIST },
                { SQLITE_CONSTRAINT_UNIQUE, -EEXIST },
                { SQLITE_CONSTRAINT_FOREIGNKEY, -EEXIST },
                { SQLITE_CORRUPT, -EBADMSG },
                { SQLITE_NOTADB, -EBADMSG },
                { SQLITE_TOOBIG, -E2BIG },
                { SQLITE_MISUSE, -EINVAL },
                { SQLITE_RANGE, -EINVAL },
                { SQLITE_ERROR, -EIO },
                { SQLITE_IOERR, -EIO },
                { SQLITE_IOERR_FSYNC, -EIO },
                { SQLITE_PROTOCOL, -EIO },
                { SQLITE_SCHEMA, -EIO },
        };

        (void) state;
        for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
                if (store_errno(table[i].rc) != table[i].expected)
                        fail_msg("store_errno(%d) = %d, expected %d", table[i].rc,
                                 store_errno(table[i].rc), table[i].expected);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_schema_version_matches_migrations),
                cmocka_unit_test_setup_teardown(test_create, setup, teardown),
                cmocka_unit_test_setup_teardown(test_missing_file, setup, teardown),
                cmocka_unit_test_setup_teardown(test_newer_schema, setup, teardown),
                cmocka_unit_test_setup_teardown(test_migrate_version_0, setup, teardown),
                cmocka_unit_test_setup_teardown(test_migrate_version_1_with_data, setup, teardown),
                cmocka_unit_test_setup_teardown(test_migrate_version_2_balance_and_retry_usec, setup, teardown),
                cmocka_unit_test_setup_teardown(test_failed_migration_changes_nothing, setup, teardown),
                cmocka_unit_test_setup_teardown(test_readonly, setup, teardown),
                cmocka_unit_test_setup_teardown(test_not_a_database, setup, teardown),
                cmocka_unit_test_setup_teardown(test_symlink_refused, setup, teardown),
                cmocka_unit_test_setup_teardown(test_transactions, setup, teardown),
                cmocka_unit_test_setup_teardown(test_constraints_and_helpers, setup, teardown),
                cmocka_unit_test(test_errno_mapping),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
