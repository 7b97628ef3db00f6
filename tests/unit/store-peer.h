/* SPDX-License-Identifier: MIT */
#pragma once

/* For unit tests of the store modules: read a value straight out of a Store's database,
 * to check what a module wrote without going through another module. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "store-internal.h"

/* The first column of the first row of sql as an integer (-1 when there is no row). */
static inline int store_peer_int(Store *s, const char *sql) {
        sqlite3_stmt *st = NULL;
        int v = -1;

        assert_int_equal(sqlite3_prepare_v2(s->db, sql, -1, &st, NULL), SQLITE_OK);
        if (sqlite3_step(st) == SQLITE_ROW)
                v = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
        return v;
}

/* The same as text, in a static buffer ("" when there is no row or it is NULL). */
static inline const char *store_peer_text(Store *s, const char *sql) {
        static char buf[256];
        sqlite3_stmt *st = NULL;

        buf[0] = 0;
        assert_int_equal(sqlite3_prepare_v2(s->db, sql, -1, &st, NULL), SQLITE_OK);
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
                snprintf(buf, sizeof(buf), "%s", (const char *) sqlite3_column_text(st, 0));
        sqlite3_finalize(st);
        return buf;
}
