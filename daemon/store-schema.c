/* SPDX-License-Identifier: MIT */

#include "store-schema.h"

/* Money columns are integer fen; areas are integer hundredths of a square metre; dates are
 * 'YYYY-MM-DD'; timestamps are UTC 'YYYY-MM-DDTHH:MM:SSZ'. */
static const char migration_1[] =
        "CREATE TABLE households ("
        "  id INTEGER PRIMARY KEY,"
        "  unit TEXT NOT NULL UNIQUE,"
        "  building TEXT NOT NULL,"
        "  floor INTEGER,"
        "  room TEXT NOT NULL DEFAULT '',"
        "  property_type TEXT NOT NULL CHECK (property_type IN"
        "    ('多层','小高层','联排别墅','独立别墅','商业')),"
        "  area_centi INTEGER NOT NULL DEFAULT 0 CHECK (area_centi >= 0),"
        "  vacant INTEGER NOT NULL DEFAULT 0 CHECK (vacant IN (0,1)),"
        "  payer_type TEXT NOT NULL DEFAULT 'monthly' CHECK (payer_type IN ('prepaid','monthly')),"
        "  prepaid_balance INTEGER NOT NULL DEFAULT 0,"
        "  staff TEXT NOT NULL DEFAULT '',"
        "  category TEXT NOT NULL DEFAULT 'new' CHECK (category IN"
        "    ('new','promised','unclear','unreachable','away','disputed')),"
        "  promise_date TEXT,"
        "  created_at TEXT NOT NULL,"
        "  updated_at TEXT NOT NULL"
        ");"
        "CREATE INDEX households_building ON households(building);"
        "CREATE TABLE owners ("
        "  id INTEGER PRIMARY KEY,"
        "  household_id INTEGER NOT NULL REFERENCES households(id) ON DELETE CASCADE,"
        "  name TEXT NOT NULL,"
        "  is_primary INTEGER NOT NULL DEFAULT 1,"
        "  UNIQUE (household_id, name)"
        ");"
        "CREATE TABLE contacts ("
        "  id INTEGER PRIMARY KEY,"
        "  household_id INTEGER NOT NULL REFERENCES households(id) ON DELETE CASCADE,"
        "  owner_id INTEGER REFERENCES owners(id) ON DELETE SET NULL,"
        "  channel TEXT NOT NULL CHECK (channel IN ('sms','email','wechat')),"
        "  address TEXT NOT NULL,"
        "  state TEXT NOT NULL DEFAULT 'unknown' CHECK (state IN ('valid','invalid','unknown')),"
        "  state_reason TEXT,"
        "  state_changed_at TEXT,"
        "  priority INTEGER NOT NULL DEFAULT 0,"
        "  UNIQUE (household_id, channel, address)"
        ");"
        "CREATE TABLE charges ("
        "  id INTEGER PRIMARY KEY,"
        "  household_id INTEGER NOT NULL REFERENCES households(id) ON DELETE CASCADE,"
        "  period TEXT NOT NULL,"
        "  amount INTEGER NOT NULL CHECK (amount > 0),"
        "  due_date TEXT NOT NULL,"
        "  UNIQUE (household_id, period)"
        ");"
        "CREATE TABLE payments ("
        "  id INTEGER PRIMARY KEY,"
        "  household_id INTEGER NOT NULL REFERENCES households(id) ON DELETE CASCADE,"
        "  amount INTEGER NOT NULL CHECK (amount > 0),"
        "  paid_at TEXT NOT NULL,"
        "  method TEXT NOT NULL DEFAULT '',"
        "  reference TEXT NOT NULL DEFAULT '',"
        /* the reference when there is one, else date|amount|method: what makes a
         * re-imported row the same payment */
        "  dedup_key TEXT NOT NULL,"
        "  recorded_at TEXT NOT NULL,"
        "  UNIQUE (household_id, dedup_key)"
        ");"
        "CREATE TABLE category_history ("
        "  id INTEGER PRIMARY KEY,"
        "  household_id INTEGER NOT NULL REFERENCES households(id) ON DELETE CASCADE,"
        "  category TEXT NOT NULL,"
        "  promise_date TEXT,"
        "  note TEXT,"
        "  source TEXT NOT NULL,"
        "  changed_at TEXT NOT NULL"
        ");"
        "CREATE INDEX category_history_household ON category_history(household_id);"
        "CREATE TABLE notes ("
        "  id INTEGER PRIMARY KEY,"
        "  household_id INTEGER NOT NULL REFERENCES households(id) ON DELETE CASCADE,"
        "  text TEXT NOT NULL,"
        "  source TEXT NOT NULL,"
        "  created_at TEXT NOT NULL"
        ");"
        "CREATE TABLE occurrences ("
        "  id INTEGER PRIMARY KEY,"
        "  key TEXT NOT NULL UNIQUE,"          /* deadline@2026-12-14T09:30 */
        "  schedule TEXT NOT NULL,"
        "  at TEXT NOT NULL,"                  /* local time it stands for */
        "  origin TEXT NOT NULL,"              /* dunnctl | dunnd | catch-up */
        "  state TEXT NOT NULL DEFAULT 'planned' CHECK (state IN ('planned','done')),"
        "  selected INTEGER NOT NULL DEFAULT 0,"
        "  created_at TEXT NOT NULL,"
        "  finished_at TEXT"
        ");"
        /* The outbox and the log in one table: one row per occurrence × household × channel,
         * which is what makes a second send impossible. */
        "CREATE TABLE dispatches ("
        "  id INTEGER PRIMARY KEY,"
        "  occurrence_id INTEGER NOT NULL REFERENCES occurrences(id) ON DELETE CASCADE,"
        "  household_id INTEGER NOT NULL REFERENCES households(id) ON DELETE CASCADE,"
        "  channel TEXT NOT NULL CHECK (channel IN ('sms','email','wechat')),"
        "  contact_id INTEGER REFERENCES contacts(id) ON DELETE SET NULL,"
        "  recipient TEXT NOT NULL DEFAULT '',"
        "  recipient_name TEXT NOT NULL DEFAULT '',"
        "  category TEXT NOT NULL,"
        "  template TEXT NOT NULL DEFAULT '',"
        "  subject TEXT,"
        "  text TEXT NOT NULL DEFAULT '',"
        "  parts INTEGER NOT NULL DEFAULT 0,"
        "  amount INTEGER NOT NULL DEFAULT 0,"
        "  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN"
        "    ('pending','sending','retry','sent','failed','unknown','cancelled','skipped')),"
        "  attempts INTEGER NOT NULL DEFAULT 0,"
        "  carrier TEXT,"
        "  carrier_message_id TEXT,"
        "  outcome TEXT,"
        "  error TEXT,"
        "  claimed_by INTEGER,"
        "  next_attempt_at INTEGER,"
        "  created_at TEXT NOT NULL,"
        "  updated_at TEXT NOT NULL,"
        "  sent_at TEXT,"
        "  UNIQUE (occurrence_id, household_id, channel)"
        ");"
        "CREATE INDEX dispatches_status ON dispatches(status, occurrence_id);"
        "CREATE INDEX dispatches_household ON dispatches(household_id);";

/* 2: failover needs to know, at send time, the channels the schedule tries in order; the
 * categories import looks notes up per household; delivery receipts are kept per row. */
static const char migration_2[] =
        "ALTER TABLE occurrences ADD COLUMN channels TEXT NOT NULL DEFAULT 'sms';"
        "CREATE INDEX notes_household ON notes(household_id);"
        "ALTER TABLE dispatches ADD COLUMN receipt TEXT;"      /* delivered | undelivered | ... */
        "ALTER TABLE dispatches ADD COLUMN receipt_at TEXT;";

/* 3: selection streams over the households that owe. `balance` (charges − payments, fen)
 * is kept by store-ledger.c, the one writer of charges and payments (triggers did it too,
 * at twice the cost of an import: SQLite runs a trigger as a sub-program per row), and a
 * partial index finds the debtors without reading the households that paid. Retry
 * times are µs: a "Retry-After: 1" must not come back 0.4 s early. */
static const char migration_3[] =
        "ALTER TABLE households ADD COLUMN balance INTEGER NOT NULL DEFAULT 0;"
        "UPDATE households SET balance ="
        "  COALESCE((SELECT SUM(amount) FROM charges c WHERE c.household_id = households.id), 0)"
        "  - COALESCE((SELECT SUM(amount) FROM payments p WHERE p.household_id = households.id), 0);"
        "CREATE INDEX households_owing ON households(id) WHERE balance > 0;"
        /* The outbox is claimed per channel (one carrier's backlog never hides another's)
         * from the rows still to send; the rows being sent are found for crash recovery.
         * Partial indexes: a row leaves them as it moves on, and a row settled (the log,
         * which grows for years) is in neither, so recording an outcome writes no index. */
        "DROP INDEX dispatches_status;"
        "CREATE INDEX dispatches_open ON dispatches(occurrence_id, channel, status)"
        "  WHERE status IN ('pending', 'retry');"
        "CREATE INDEX dispatches_sending ON dispatches(claimed_by) WHERE status = 'sending';"
        "ALTER TABLE dispatches ADD COLUMN next_attempt_usec INTEGER;"
        "UPDATE dispatches SET next_attempt_usec = next_attempt_at * 1000000"
        "  WHERE next_attempt_at IS NOT NULL;"
        "ALTER TABLE dispatches DROP COLUMN next_attempt_at;";

/* 4: the playbook. A promise remembers what was owed when it was made (`promise_owed`,
 * fen, drawn down by payments): it is kept once that much is paid, broken only if its day
 * passes with it still owed. A row whose household paid part between plan and send is
 * rendered again: it keeps what was planned beside what went out. A household staff
 * must visit (every phone dead) says so and why. An opted-out contact is never used, and
 * says who opted it out and when. An occurrence of a schedule with `approval` waits,
 * prepared, for staff (approval: waiting → approved | rejected | expired). The households
 * of one owner get one message: the row that carries it is the one the others are
 * merged into (each household keeps its own row, for the log). */
static const char migration_4[] =
        "ALTER TABLE households ADD COLUMN promise_owed INTEGER;"
        "UPDATE households SET promise_owed = balance WHERE category = 'promised' AND balance > 0;"
        "ALTER TABLE households ADD COLUMN visit_reason TEXT;"
        "ALTER TABLE households ADD COLUMN visit_since TEXT;"
        "ALTER TABLE contacts ADD COLUMN opted_out_at TEXT;"
        "ALTER TABLE contacts ADD COLUMN opted_out_by TEXT;"
        "ALTER TABLE contacts ADD COLUMN opted_out_note TEXT;"
        "ALTER TABLE occurrences ADD COLUMN approval TEXT CHECK (approval IN"
        "  ('waiting','approved','rejected','expired'));"
        "ALTER TABLE occurrences ADD COLUMN approval_by TEXT;"
        "ALTER TABLE occurrences ADD COLUMN approval_at TEXT;"
        "ALTER TABLE occurrences ADD COLUMN expires_at TEXT;"
        "ALTER TABLE dispatches ADD COLUMN planned_text TEXT;"
        "ALTER TABLE dispatches ADD COLUMN planned_amount INTEGER;"
        "ALTER TABLE dispatches ADD COLUMN merged_into INTEGER REFERENCES dispatches(id);"
        "CREATE INDEX dispatches_merged ON dispatches(merged_into) WHERE merged_into IS NOT NULL;";

const char *const store_migrations[] = {
        migration_1,
        migration_2,
        migration_3,
        migration_4,
};

const size_t store_n_migrations = sizeof(store_migrations) / sizeof(store_migrations[0]);
