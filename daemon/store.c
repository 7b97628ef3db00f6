/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "natural.h"
#include "store-internal.h"
#include "store-schema.h"

int store_errno(int rc) {
        switch (rc & 0xff) {
        case SQLITE_OK:
        case SQLITE_DONE:
        case SQLITE_ROW:
                return 0;
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
                return -EBUSY;
        case SQLITE_NOMEM:
                return -ENOMEM;
        case SQLITE_READONLY:
        case SQLITE_PERM:
        case SQLITE_AUTH:
                return -EACCES;
        case SQLITE_FULL:
                return -ENOSPC;
        case SQLITE_CANTOPEN:
                return -ENOENT;
        case SQLITE_CONSTRAINT:
                return -EEXIST;
        case SQLITE_CORRUPT:
        case SQLITE_NOTADB:
                return -EBADMSG;
        case SQLITE_TOOBIG:
                return -E2BIG;
        case SQLITE_MISUSE:
        case SQLITE_RANGE:
                return -EINVAL;
        default:
                return -EIO;
        }
}

const char *store_errmsg(Store *s) {
        return s && s->db ? sqlite3_errmsg(s->db) : "no database";
}

char *store_timestamp(time_t t, char *buf, size_t len) {
        struct tm tm;

        gmtime_r(&t, &tm);
        strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
        return buf;
}

int store_timestamp_parse(const char *stamp, time_t *ret) {
        struct tm tm = {};
        const char *end = stamp ? strptime(stamp, "%Y-%m-%dT%H:%M:%SZ", &tm) : NULL;

        if (!end || *end)
                return -EINVAL;
        *ret = timegm(&tm);
        return 0;
}

char *store_now(char *buf, size_t len) {
        return store_timestamp(time(NULL), buf, len);
}

int store_exec(Store *s, const char *sql) {
        return store_errno(sqlite3_exec(s->db, sql, NULL, NULL, NULL));
}

/* ---- the statement cache ------------------------------------------------------------- */

static size_t cache_slot(const StmtCache *c, const char *key) {
        size_t h = (size_t) ((uintptr_t) key >> 3) * 0x9e3779b97f4a7c15ULL;

        for (size_t i = h & (c->cap - 1);; i = (i + 1) & (c->cap - 1))
                if (!c->keys[i] || c->keys[i] == key)
                        return i;
}

static int cache_grow(StmtCache *c) {
        StmtCache n = { .cap = c->cap ? c->cap * 2 : 64 };

        n.keys = calloc(n.cap, sizeof(*n.keys));
        n.stmts = calloc(n.cap, sizeof(*n.stmts));
        if (!n.keys || !n.stmts) {
                free(n.keys);
                free(n.stmts);
                return -ENOMEM;
        }
        for (size_t i = 0; i < c->cap; i++)
                if (c->keys[i]) {
                        size_t j = cache_slot(&n, c->keys[i]);
                        n.keys[j] = c->keys[i];
                        n.stmts[j] = c->stmts[i];
                }
        n.n = c->n;
        free(c->keys);
        free(c->stmts);
        *c = n;
        return 0;
}

static void cache_free(StmtCache *c) {
        for (size_t i = 0; i < c->cap; i++)
                if (c->stmts[i])
                        sqlite3_finalize(c->stmts[i]);
        free(c->keys);
        free(c->stmts);
        *c = (StmtCache) {};
}

int store_stmt(Store *s, const char *sql, sqlite3_stmt **ret) {
        StmtCache *c = &s->cache;
        sqlite3_stmt *st;
        size_t i;
        int r;

        /* at most half full, so a probe always ends at an empty slot */
        if (2 * (c->n + 1) > c->cap) {
                r = cache_grow(c);
                if (r < 0)
                        return r;
        }
        i = cache_slot(c, sql);
        if (c->keys[i]) {
                st = c->stmts[i];
                /* a statement still stepping is in use further up the stack */
                if (sqlite3_stmt_busy(st))
                        return -EDEADLK;
                *ret = st;
                return 0;
        }
        r = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
        if (r != SQLITE_OK)
                return store_errno(r);
        c->keys[i] = sql;
        c->stmts[i] = st;
        c->n++;
        *ret = st;
        return 0;
}

int store_step(sqlite3_stmt *stmt) {
        int rc = sqlite3_step(stmt);

        if (rc == SQLITE_ROW)
                return 1;
        if (rc == SQLITE_DONE)
                return 0;
        return store_errno(rc);
}

int store_step_done(sqlite3_stmt *stmt) {
        int rc;

        while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
                ;
        (void) sqlite3_reset(stmt);
        return rc == SQLITE_DONE ? 0 : store_errno(rc);
}

int store_changes(Store *s) {
        return sqlite3_changes(s->db);
}

int64_t store_last_id(Store *s) {
        return sqlite3_last_insert_rowid(s->db);
}

/* ---- the binder ---------------------------------------------------------------------- */

static void bind_result(Binder *b, int rc) {
        if (b->rc == SQLITE_OK)
                b->rc = rc;
        b->next++;
}

void bind_int64(Binder *b, int64_t v) {
        bind_result(b, sqlite3_bind_int64(b->stmt, b->next, v));
}

void bind_int(Binder *b, int v) {
        bind_result(b, sqlite3_bind_int(b->stmt, b->next, v));
}

void bind_text(Binder *b, const char *v) {
        bind_result(b, v ? sqlite3_bind_text(b->stmt, b->next, v, -1, SQLITE_STATIC)
                         : sqlite3_bind_null(b->stmt, b->next));
}

void bind_text_or_null(Binder *b, const char *v) {
        bind_text(b, isempty(v) ? NULL : v);
}

void bind_null(Binder *b) {
        bind_result(b, sqlite3_bind_null(b->stmt, b->next));
}

void bind_int64_or_null(Binder *b, int64_t v, bool present) {
        if (present)
                bind_int64(b, v);
        else
                bind_null(b);
}

void bind_skip(Binder *b) {
        b->next++;
}

int bind_end(Binder *b) {
        return store_errno(b->rc);
}

int store_query(Store *s, const char *sql, sqlite3_stmt **ret, Binder *ret_binder) {
        int r = store_stmt(s, sql, ret);

        if (r >= 0)
                *ret_binder = bind_begin(*ret);
        return r;
}

int bind_exec(Binder *b) {
        int r = bind_end(b);

        return r < 0 ? r : store_step_done(b->stmt);
}

int bind_step(Binder *b) {
        int r = bind_end(b);

        return r < 0 ? r : store_step(b->stmt);
}

/* ---- transactions -------------------------------------------------------------------- */

/* BEGIN and COMMIT run thousands of times a minute during a campaign: prepared once, too. */
static int exec_cached(Store *s, const char *sql) {
        sqlite3_stmt *st;
        int r;

        r = store_stmt(s, sql, &st);
        if (r < 0)
                return r;
        return store_step_done(st);
}

int store_begin(Store *s) {
        int r = exec_cached(s, "BEGIN IMMEDIATE");

        if (r >= 0)
                s->in_transaction = true;
        return r;
}

int store_commit(Store *s) {
        int r = exec_cached(s, "COMMIT");

        if (r < 0) {
                store_rollback(s);
                return r;
        }
        s->in_transaction = false;
        return 0;
}

void store_rollback(Store *s) {
        if (!sqlite3_get_autocommit(s->db))
                (void) sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        s->in_transaction = false;
}

bool store_in_transaction(const Store *s) {
        return s->in_transaction;
}

const char *store_path(const Store *s) {
        return s->path;
}

/* Unit codes sort as people read them: 3-2-1201 before 10-1-101. */
static int collate_unit(void *userdata, int alen, const void *a, int blen, const void *b) {
        (void) userdata;
        return natural_compare(a, (size_t) alen, b, (size_t) blen);
}

static int read_user_version(Store *s) {
        sqlite3_stmt *stmt = NULL;
        int r, v;

        r = store_errno(sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &stmt, NULL));
        if (r < 0)
                return r;
        r = store_step(stmt);
        v = r > 0 ? sqlite3_column_int(stmt, 0) : r < 0 ? r : -EIO;
        sqlite3_finalize(stmt);
        return v;
}

/* All pending migrations in one transaction: an older database is either fully migrated
 * or left exactly as it was. */
static int migrate(Store *s, int from, char *err, size_t errlen) {
        char sql[64];
        int r;

        r = store_begin(s);
        if (r < 0)
                goto fail;
        for (size_t i = (size_t) from; i < store_n_migrations; i++) {
                r = store_exec(s, store_migrations[i]);
                if (r < 0)
                        goto fail;
        }
        snprintf(sql, sizeof(sql), "PRAGMA user_version = %zu", store_n_migrations);
        r = store_exec(s, sql);
        if (r < 0)
                goto fail;
        return store_commit(s);
fail:
        snprintf(err, errlen, "cannot migrate '%s' from schema %d to %zu: %s", s->path, from,
                 store_n_migrations, store_errmsg(s));
        store_rollback(s);
        return r < 0 ? r : -EIO;
}

int store_file_version(const Store *s) {
        return s->file_version;
}

int store_open(const char *path, StoreOpenMode mode, Store **ret, char *err, size_t errlen) {
        _cleanup_(store_closep) Store *s = NULL;
        struct stat st;
        int flags, r, version;
        bool exists, memory;

        /* ":memory:" (the unit tests): SQLite's private in-memory database, no file */
        memory = streq(path, ":memory:");
        exists = memory || stat(path, &st) >= 0;
        if (!exists && mode != STORE_OPEN_CREATE) {
                snprintf(err, errlen, "no database at '%s'; run 'dunnctl init' first", path);
                return -ENOENT;
        }

        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->path = strdup(path);
        if (!s->path)
                return -ENOMEM;

        flags = mode == STORE_OPEN_READONLY ? SQLITE_OPEN_READONLY
                                            : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
        if (!exists) {
                /* Create the file ourselves so it is 0600 from the first byte: it holds
                 * names and phone numbers. SQLite gives -wal/-shm the same mode. */
                int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
                if (fd < 0 && errno != EEXIST) {
                        r = -errno;
                        snprintf(err, errlen, "cannot create '%s': %s", path, strerror(-r));
                        return r;
                }
                if (fd >= 0)
                        close(fd);
        }
        /* NOMUTEX: one connection, used from one thread; its mutexes cost 5% of a preview */
        r = sqlite3_open_v2(path, &s->db, flags | SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_NOMUTEX, NULL);
        if (r != SQLITE_OK) {
                snprintf(err, errlen, "cannot open '%s': %s", path,
                         s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(r));
                return store_errno(r);
        }
        sqlite3_extended_result_codes(s->db, 0);
        sqlite3_busy_timeout(s->db, STORE_BUSY_TIMEOUT_MS);
        r = sqlite3_create_collation_v2(s->db, "unit", SQLITE_UTF8, NULL, collate_unit, NULL);
        if (r != SQLITE_OK) {
                r = store_errno(r);
                goto sqlfail;
        }

        if (mode != STORE_OPEN_READONLY) {
                r = store_exec(s, "PRAGMA journal_mode = WAL");
                if (r < 0)
                        goto sqlfail;
        }
        /* temp_store: the statement journals of statements with triggers, and sorters, stay in
         * memory instead of one small write() each to a temporary file */
        r = store_exec(s, "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;"
                          " PRAGMA temp_store = MEMORY;");
        if (r < 0)
                goto sqlfail;

        version = read_user_version(s);
        if (version < 0) {
                r = version;
                goto sqlfail;
        }
        s->file_version = version;
        if ((size_t) version > store_n_migrations) {
                snprintf(err, errlen,
                         "'%s' has schema version %d, newer than this dunnctl/dunnd knows (%zu); "
                         "refusing to touch it (upgrade dunnd)",
                         path, version, store_n_migrations);
                return -EPROTO;
        }
        if ((size_t) version < store_n_migrations) {
                if (mode == STORE_OPEN_READONLY) {
                        snprintf(err, errlen, "'%s' has schema version %d, this program needs %zu; "
                                 "run 'dunnctl init' to migrate it", path, version,
                                 store_n_migrations);
                        return -EPROTO;
                }
                r = migrate(s, version, err, errlen);
                if (r < 0)
                        return r;
        }

        *ret = TAKE_PTR(s);
        return 0;

sqlfail:
        snprintf(err, errlen, "'%s': %s", path, store_errmsg(s));
        return r < 0 ? r : -EIO;
}

/* 'DSIM' (1146308941, as the PRAGMA below spells it): the application id of a copy made
 * for simulated runs; the live database's is 0. */
#define STORE_SIMULATION_ID 0x4453494d

int store_copy_for_simulation(Store *s, const char *path, char *err, size_t errlen) {
        _cleanup_reset_ sqlite3_stmt *st = NULL;
        Binder b;
        sqlite3 *copy = NULL;
        int fd, r;

        /* 0600 from the first byte, like the original: VACUUM INTO takes an empty file */
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0) {
                r = -errno;
                snprintf(err, errlen, "cannot create '%s': %s", path, strerror(-r));
                return r;
        }
        close(fd);
        r = store_query(s, "VACUUM INTO ?1", &st, &b);
        if (r >= 0) {
                bind_text(&b, path);
                r = bind_exec(&b);
                store_stmt_resetp(&st);
        }
        if (r < 0) {
                snprintf(err, errlen, "cannot copy '%s' to '%s': %s", s->path, path, store_errmsg(s));
                goto fail;
        }
        r = store_errno(sqlite3_open_v2(path, &copy, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, NULL));
        if (r >= 0)
                r = store_errno(sqlite3_exec(copy, "PRAGMA application_id = 1146308941",
                                             NULL, NULL, NULL));
        if (r < 0)
                snprintf(err, errlen, "cannot mark '%s' as a simulation: %s", path,
                         copy ? sqlite3_errmsg(copy) : "out of memory");
        sqlite3_close_v2(copy);
        if (r >= 0)
                return 0;
fail:
        (void) unlink(path);
        return r;
}

bool store_is_simulation(Store *s) {
        _cleanup_reset_ sqlite3_stmt *st = NULL;
        Binder b;

        return store_query(s, "PRAGMA application_id", &st, &b) >= 0 && bind_end(&b) >= 0 &&
               store_step(st) > 0 && sqlite3_column_int64(st, 0) == STORE_SIMULATION_ID;
}

Store *store_close(Store *s) {
        if (!s)
                return NULL;
        cache_free(&s->cache);
        if (s->db) {
                store_rollback(s);
                sqlite3_close_v2(s->db);
        }
        free(s->path);
        free(s);
        return NULL;
}
