/* SPDX-License-Identifier: MIT */
#pragma once

/* The SQLite store: one database file, WAL with synchronous=FULL (a committed "about to
 * send" mark must survive power loss), foreign keys on, busy timeout, created 0600, schema
 * migrated forward with PRAGMA user_version. Write transactions use BEGIN IMMEDIATE so a
 * writer never fails half-way with SQLITE_BUSY_SNAPSHOT.
 *
 * The Store is a boundary: every SQL statement of dunnd lives in a store-*.c module named
 * for what it holds (store-household, store-ledger, store-debtor, store-occurrence,
 * store-outbox, store-log), each with a small typed API; nothing outside them sees SQLite
 * (a test fails the build if anything does). Hot statements are prepared once per Store
 * and reset after use, not prepared per row. */

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "macro.h"

#define STORE_SCHEMA_VERSION 4
#define STORE_BUSY_TIMEOUT_MS 10000

typedef enum StoreOpenMode {
        STORE_OPEN_CREATE,      /* create or migrate (dunnctl init) */
        STORE_OPEN_MIGRATE,     /* must exist; migrate an older schema */
        STORE_OPEN_READONLY,    /* must exist at the current version; nothing is written */
} StoreOpenMode;

typedef struct Store Store;

/* Opens the database (":memory:": a private in-memory one, for tests). On error returns a negative errno and puts a one-line explanation in
 * err: -ENOENT "no database at '…'; run 'dunnctl init'", -EPROTO for a schema newer than
 * this program knows, -EACCES, -EIO. */
int store_open(const char *path, StoreOpenMode mode, Store **ret, char *err, size_t errlen);
Store *store_close(Store *s);

const char *store_path(const Store *s);

/* Copies the database into a new file at path (0600), marked as a simulation: what
 * `dunnctl run --simulate` runs against, so a run for a future time never touches the
 * live database. */
int store_copy_for_simulation(Store *s, const char *path, char *err, size_t errlen);
/* Whether this database is such a copy. */
bool store_is_simulation(Store *s);
/* The schema version found in the file before any migration (for `dunnctl init`). */
int store_file_version(const Store *s);

int store_begin(Store *s);      /* BEGIN IMMEDIATE */
int store_commit(Store *s);     /* rolls back when the commit fails */
void store_rollback(Store *s);  /* safe to call when no transaction is open */
bool store_in_transaction(const Store *s);

/* The last SQLite error message on this connection. */
const char *store_errmsg(Store *s);

/* Current UTC time as "YYYY-MM-DDTHH:MM:SSZ" (the store's timestamps) into buf (at least
 * 21 bytes). */
char *store_now(char *buf, size_t len);
/* The same for t, and back. */
char *store_timestamp(time_t t, char *buf, size_t len);
int store_timestamp_parse(const char *stamp, time_t *ret);      /* 0 or -EINVAL */
#define STORE_TIMESTAMP_BUFSZ 32

DEFINE_TRIVIAL_CLEANUP_FUNC(Store *, store_close);

/* Rolls back a transaction still open when the scope ends (error paths). */
static inline void store_rollbackp(Store **s) {
        if (*s && store_in_transaction(*s))
                store_rollback(*s);
}
#define _cleanup_rollback_ _cleanup_(store_rollbackp)
