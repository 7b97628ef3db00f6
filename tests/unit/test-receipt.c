/* SPDX-License-Identifier: MIT */

/* Delivery receipts settle unknown rows and never re-open or re-send anything. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <cmocka.h>

#include "receipt.h"
#include "store-internal.h"

typedef struct Fixture {
        char path[64];
        Store *store;
} Fixture;

static int setup(void **state) {
        Fixture *f = calloc(1, sizeof(*f));
        char err[256];
        int fd;

        snprintf(f->path, sizeof(f->path), "/tmp/test-receipt.XXXXXX");
        fd = mkstemp(f->path);
        close(fd);
        unlink(f->path);
        assert_int_equal(store_open(f->path, STORE_OPEN_CREATE, &f->store, err, sizeof(err)), 0);
        assert_int_equal(store_exec(f->store,
                "INSERT INTO households (id, unit, building, property_type, created_at, updated_at)"
                "  VALUES (1, '1-1-101', '1', '多层', 'x', 'x');"
                "INSERT INTO occurrences (id, key, schedule, at, origin, created_at)"
                "  VALUES (1, 's@2026-12-14T09:30', 's', 'x', 'dunnctl', 'x');"), 0);
        *state = f;
        return 0;
}

static int teardown(void **state) {
        Fixture *f = *state;
        char p[80];

        store_close(f->store);
        unlink(f->path);
        snprintf(p, sizeof(p), "%s-wal", f->path);
        unlink(p);
        snprintf(p, sizeof(p), "%s-shm", f->path);
        unlink(p);
        free(f);
        return 0;
}

static void row(Fixture *f, int id, const char *channel, const char *status) {
        char sql[512];

        snprintf(sql, sizeof(sql),
                 "INSERT INTO dispatches (id, occurrence_id, household_id, channel, category,"
                 " status, created_at, updated_at) VALUES (%d, 1, 1, '%s', 'new', '%s', 'x', 'x')",
                 id, channel, status);
        assert_int_equal(store_exec(f->store, sql), 0);
}

static char *col(Fixture *f, int id, const char *what) {
        static char buf[128];
        sqlite3_stmt *st;
        char sql[256];

        snprintf(sql, sizeof(sql), "SELECT COALESCE(%s, '-') FROM dispatches WHERE id = %d", what, id);
        assert_int_equal(sqlite3_prepare_v2(f->store->db, sql, -1, &st, NULL), SQLITE_OK);
        assert_int_equal(sqlite3_step(st), SQLITE_ROW);
        snprintf(buf, sizeof(buf), "%s", (const char *) sqlite3_column_text(st, 0));
        sqlite3_finalize(st);
        return buf;
}

static void test_kannel_status(void **state) {
        (void) state;
        assert_int_equal(receipt_kind_from_kannel(1), RECEIPT_DELIVERED);
        assert_int_equal(receipt_kind_from_kannel(2), RECEIPT_UNDELIVERED);
        assert_int_equal(receipt_kind_from_kannel(16), RECEIPT_UNDELIVERED);
        assert_int_equal(receipt_kind_from_kannel(8), RECEIPT_ACCEPTED);
        assert_int_equal(receipt_kind_from_kannel(4), RECEIPT_QUEUED);
        assert_int_equal(receipt_kind_from_kannel(9), RECEIPT_DELIVERED);
        assert_int_equal(receipt_kind_from_kannel(0), _RECEIPT_KIND_INVALID);
        assert_string_equal(receipt_kind_to_string(RECEIPT_UNDELIVERED), "undelivered");
}

static void test_unknown_is_settled(void **state) {
        Fixture *f = *state;

        row(f, 1, "sms", "unknown");
        row(f, 2, "email", "unknown");
        row(f, 3, "wechat", "unknown");
        assert_int_equal(receipt_apply(f->store, 1, RECEIPT_DELIVERED), 1);
        assert_string_equal(col(f, 1, "status"), "sent");
        assert_string_equal(col(f, 1, "receipt"), "delivered");
        assert_string_equal(col(f, 1, "error"), "delivery receipt: delivered");
        assert_string_not_equal(col(f, 1, "sent_at"), "-");
        /* the carrier had it and gave up: final, not re-sent */
        assert_int_equal(receipt_apply(f->store, 2, RECEIPT_UNDELIVERED), 1);
        assert_string_equal(col(f, 2, "status"), "failed");
        /* queued says nothing: still unknown */
        assert_int_equal(receipt_apply(f->store, 3, RECEIPT_QUEUED), 1);
        assert_string_equal(col(f, 3, "status"), "unknown");
        assert_string_equal(col(f, 3, "receipt"), "queued");
}

static void test_sent_rows(void **state) {
        Fixture *f = *state;

        row(f, 1, "sms", "sent");
        row(f, 2, "email", "sent");
        assert_int_equal(receipt_apply(f->store, 1, RECEIPT_ACCEPTED), 1);
        assert_int_equal(receipt_apply(f->store, 1, RECEIPT_DELIVERED), 1);
        /* a late, weaker or contradicting receipt never overrides "delivered" */
        assert_int_equal(receipt_apply(f->store, 1, RECEIPT_UNDELIVERED), 1);
        assert_string_equal(col(f, 1, "status"), "sent");
        assert_string_equal(col(f, 1, "receipt"), "delivered");
        /* ... nor the row's error: it was delivered, nothing went wrong */
        assert_string_equal(col(f, 1, "error"), "-");
        assert_int_equal(receipt_apply(f->store, 2, RECEIPT_UNDELIVERED), 1);
        assert_string_equal(col(f, 2, "status"), "failed");
        assert_string_equal(col(f, 2, "error"), "delivery receipt: undelivered");
}

static void test_other_rows_untouched(void **state) {
        Fixture *f = *state;

        row(f, 1, "sms", "pending");
        row(f, 2, "email", "failed");
        /* a receipt for a row never sent, or already final, changes nothing: pending must
         * not become "sent" from a forged or stray callback */
        assert_int_equal(receipt_apply(f->store, 1, RECEIPT_DELIVERED), 0);
        assert_string_equal(col(f, 1, "status"), "pending");
        assert_int_equal(receipt_apply(f->store, 2, RECEIPT_DELIVERED), 0);
        assert_string_equal(col(f, 2, "status"), "failed");
        assert_int_equal(receipt_apply(f->store, 99, RECEIPT_DELIVERED), 0);
        assert_int_equal(receipt_apply(f->store, 1, _RECEIPT_KIND_INVALID), -EINVAL);
}

#define T(x) cmocka_unit_test_setup_teardown(x, setup, teardown)

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_kannel_status),
                T(test_unknown_is_settled),
                T(test_sent_rows),
                T(test_other_rows_untouched),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
