/* SPDX-License-Identifier: MIT */
#pragma once

/* The SQLite store: one database file, WAL with synchronous=FULL (a committed "about to
 * send" mark must survive power loss), foreign keys on, busy timeout, created 0600, schema
 * migrated forward with PRAGMA user_version. Write transactions use BEGIN IMMEDIATE so a
 * writer never fails half-way with SQLITE_BUSY_SNAPSHOT. */

#include <sqlite3.h>
#include <stdbool.h>

#include "macro.h"

#define STORE_SCHEMA_VERSION 2
#define STORE_BUSY_TIMEOUT_MS 10000

typedef enum StoreOpenMode {
        STORE_OPEN_CREATE,      /* create or migrate (dunnctl init) */
        STORE_OPEN_MIGRATE,     /* must exist; migrate an older schema */
        STORE_OPEN_READONLY,    /* must exist at the current version; nothing is written */
} StoreOpenMode;

typedef struct Store {
        sqlite3 *db;
        char *path;
        int in_transaction;
        int file_version;       /* user_version found before migrating */
} Store;

/* Opens the database. On error returns a negative errno and puts a one-line explanation in
 * err: -ENOENT "no database at '…'; run 'dunnctl init'", -EPROTO for a schema newer than
 * this program knows, -EACCES, -EIO. */
int store_open(const char *path, StoreOpenMode mode, Store **ret, char *err, size_t errlen);
Store *store_close(Store *s);

/* The schema version found in the file before any migration (for `dunnctl init`). */
int store_file_version(Store *s);

int store_begin(Store *s);      /* BEGIN IMMEDIATE */
int store_commit(Store *s);
void store_rollback(Store *s);  /* safe to call when no transaction is open */

/* Executes SQL without results. Returns 0 or a negative errno. */
int store_exec(Store *s, const char *sql);

/* Prepares a statement (the caller finalizes; use _cleanup_(sqlite3_finalizep)). */
int store_prepare(Store *s, const char *sql, sqlite3_stmt **ret);

/* Maps an SQLite result code to a negative errno. */
int store_errno(int sqlite_rc);

/* The last SQLite error message on this connection. */
const char *store_errmsg(Store *s);

/* Runs stmt to completion (expects no rows). Returns 0 or negative errno; resets it. */
int store_step_done(sqlite3_stmt *stmt);

/* Current UTC time as "YYYY-MM-DDTHH:MM:SSZ" into buf (at least 21 bytes). */
char *store_now(char *buf, size_t len);

DEFINE_TRIVIAL_CLEANUP_FUNC(sqlite3_stmt *, sqlite3_finalize);
DEFINE_TRIVIAL_CLEANUP_FUNC(Store *, store_close);

/* Rolls back a transaction still open when the scope ends (error paths). */
static inline void store_rollbackp(Store **s) {
        if (*s && (*s)->in_transaction)
                store_rollback(*s);
}
#define _cleanup_rollback_ _cleanup_(store_rollbackp)
