/* SPDX-License-Identifier: MIT */
#pragma once

/* For the store-*.c modules only: the connection, the statement cache and a binder that
 * checks every sqlite3_bind_*() result. */

#include <sqlite3.h>
#include <stdint.h>

#include "store.h"

typedef struct StmtCache {
        const char **keys;      /* the SQL text's address: every query is a string literal */
        sqlite3_stmt **stmts;
        size_t n, cap;
} StmtCache;

struct Store {
        sqlite3 *db;
        char *path;
        bool in_transaction;
        int file_version;       /* user_version found before migrating */
        StmtCache cache;
};

/* Maps an SQLite result code to a negative errno. */
int store_errno(int sqlite_rc);

/* Executes SQL without results (schema, pragmas). Returns 0 or a negative errno. */
int store_exec(Store *s, const char *sql);

/* The prepared statement for sql, prepared once per Store (SQLITE_PREPARE_PERSISTENT) and
 * kept until store_close(). sql must be a string literal (or live as long as the Store):
 * statements are found again by the address of their text. The statement comes reset and
 * without bindings; hold it with _cleanup_reset_ so it is reset again after use. A
 * statement still stepping (used re-entrantly) is refused with -EDEADLK. */
int store_stmt(Store *s, const char *sql, sqlite3_stmt **ret);

static inline void store_stmt_resetp(sqlite3_stmt **st) {
        if (*st) {
                (void) sqlite3_reset(*st);
                (void) sqlite3_clear_bindings(*st);
        }
}
#define _cleanup_reset_ _cleanup_(store_stmt_resetp)

/* Runs stmt to completion (expects no rows, or ignores them). Returns 0 or a negative
 * errno. */
int store_step_done(sqlite3_stmt *stmt);
/* One step: 1 = a row, 0 = done, or a negative errno. */
int store_step(sqlite3_stmt *stmt);

/* The number of rows the last statement changed, and the last inserted rowid. */
int store_changes(Store *s);
int64_t store_last_id(Store *s);

/* Binds parameters ?1, ?2, … in order; the first failure sticks and bind_end() returns it,
 * so every sqlite3_bind_*() result is checked without a test after each call. */
typedef struct Binder {
        sqlite3_stmt *stmt;
        int next;
        int rc;
} Binder;

static inline Binder bind_begin(sqlite3_stmt *stmt) {
        return (Binder) { .stmt = stmt, .next = 1, .rc = SQLITE_OK };
}
void bind_int64(Binder *b, int64_t v);
void bind_int(Binder *b, int v);
/* NULL binds NULL; the text must outlive the step (SQLITE_STATIC). */
void bind_text(Binder *b, const char *v);
/* An empty or NULL text binds NULL. */
void bind_text_or_null(Binder *b, const char *v);
void bind_null(Binder *b);
/* v when present, else NULL. */
void bind_int64_or_null(Binder *b, int64_t v, bool present);
void bind_skip(Binder *b);      /* leaves a parameter unbound (NULL) */
/* Returns 0 or the first bind error as a negative errno. */
int bind_end(Binder *b);

/* The usual sequence in one call each: the cached statement for sql with a binder on it;
 * then, after the binds, run it to completion (bind_exec: 0 or -errno) or take one step
 * (bind_step: 1 = a row, 0 = done, or -errno). */
int store_query(Store *s, const char *sql, sqlite3_stmt **ret, Binder *ret_binder);
int bind_exec(Binder *b);
int bind_step(Binder *b);

/* Column helpers: the text of column i, or "" for NULL. */
static inline const char *column_text(sqlite3_stmt *st, int i) {
        const unsigned char *t = sqlite3_column_text(st, i);
        return t ? (const char *) t : "";
}
/* The text of column i, or NULL for NULL. */
static inline const char *column_text_or_null(sqlite3_stmt *st, int i) {
        return (const char *) sqlite3_column_text(st, i);
}
