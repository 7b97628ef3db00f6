/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store-schema.h"
#include "store.h"

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

char *store_now(char *buf, size_t len) {
        time_t t = time(NULL);
        struct tm tm;

        gmtime_r(&t, &tm);
        strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
        return buf;
}

int store_exec(Store *s, const char *sql) {
        return store_errno(sqlite3_exec(s->db, sql, NULL, NULL, NULL));
}

int store_prepare(Store *s, const char *sql, sqlite3_stmt **ret) {
        return store_errno(sqlite3_prepare_v2(s->db, sql, -1, ret, NULL));
}

int store_step_done(sqlite3_stmt *stmt) {
        int rc = sqlite3_step(stmt);

        (void) sqlite3_reset(stmt);
        if (rc == SQLITE_DONE || rc == SQLITE_ROW)
                return 0;
        return store_errno(rc);
}

int store_begin(Store *s) {
        int r = store_exec(s, "BEGIN IMMEDIATE");

        if (r >= 0)
                s->in_transaction = 1;
        return r;
}

int store_commit(Store *s) {
        int r = store_exec(s, "COMMIT");

        if (r < 0) {
                store_rollback(s);
                return r;
        }
        s->in_transaction = 0;
        return 0;
}

void store_rollback(Store *s) {
        if (!sqlite3_get_autocommit(s->db))
                (void) sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        s->in_transaction = 0;
}

static int read_user_version(Store *s) {
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *stmt = NULL;
        int r;

        r = store_prepare(s, "PRAGMA user_version", &stmt);
        if (r < 0)
                return r;
        if (sqlite3_step(stmt) != SQLITE_ROW)
                return store_errno(sqlite3_errcode(s->db));
        return sqlite3_column_int(stmt, 0);
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

int store_file_version(Store *s) {
        return s->file_version;
}

int store_open(const char *path, StoreOpenMode mode, Store **ret, char *err, size_t errlen) {
        _cleanup_(store_closep) Store *s = NULL;
        struct stat st;
        int flags, r, version;
        bool exists;

        exists = stat(path, &st) >= 0;
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
        r = sqlite3_open_v2(path, &s->db, flags | SQLITE_OPEN_NOFOLLOW, NULL);
        if (r != SQLITE_OK) {
                snprintf(err, errlen, "cannot open '%s': %s", path,
                         s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(r));
                return store_errno(r);
        }
        sqlite3_extended_result_codes(s->db, 0);
        sqlite3_busy_timeout(s->db, STORE_BUSY_TIMEOUT_MS);

        if (mode != STORE_OPEN_READONLY) {
                r = store_exec(s, "PRAGMA journal_mode = WAL");
                if (r < 0)
                        goto sqlfail;
        }
        r = store_exec(s, "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;");
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

Store *store_close(Store *s) {
        if (!s)
                return NULL;
        if (s->db) {
                store_rollback(s);
                sqlite3_close_v2(s->db);
        }
        free(s->path);
        free(s);
        return NULL;
}
