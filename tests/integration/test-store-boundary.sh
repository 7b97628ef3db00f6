#!/bin/bash
# The Store is a boundary: SQLite and SQL text appear only in daemon/store*.c|h. A query
# anywhere else is a second place that has to know the schema, and the next migration
# breaks it quietly. Also: every statement the store modules prepare goes through the
# statement cache, and every bind goes through the checked binder.
. "$TOP/tests/integration/lib.sh"
cd "$TOP"

outside=$(ls daemon/*.[ch] lib/*.[ch] plugins/*.[ch] | grep -v '^daemon/store')
# sqlite3_ API or sqlite3.h outside the store
hits=$(grep -n 'sqlite3' $outside)
check_eq "no sqlite3 outside daemon/store*" "" "$hits"
[ -n "$hits" ] && echo "$hits" | head -10 | sed 's/^/# /'
# SQL in string literals outside the store: a statement keyword right after a quote
sql_re='"[[:space:]]*(SELECT|INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER|PRAGMA|BEGIN|COMMIT|ROLLBACK|WITH|VACUUM|ATTACH)[[:space:]]'
hits=$(grep -nE "$sql_re" $outside)
check_eq "no SQL text outside daemon/store*" "" "$hits"
[ -n "$hits" ] && echo "$hits" | head -10 | sed 's/^/# /'
# the check itself finds what it looks for
printf 'static const char *q = "SELECT id FROM households";\n' > "$T/probe.c"
grep -qE "$sql_re" "$T/probe.c" && ok "the SQL check catches a query" || nok "the SQL check catches a query"

# inside the store: statements come from the cache (prepared once), binds are checked
store_c=$(ls daemon/store*.c)
hits=$(grep -n 'sqlite3_prepare' $store_c | grep -v '^daemon/store.c:')
check_eq "statements are prepared only by the cache (daemon/store.c)" "" "$hits"
[ -n "$hits" ] && echo "$hits" | head -10 | sed 's/^/# /'
hits=$(grep -n 'sqlite3_bind_' $store_c | grep -v '^daemon/store.c:')
check_eq "binds go through the checked binder" "" "$hits"
[ -n "$hits" ] && echo "$hits" | head -10 | sed 's/^/# /'
# the binder checks every sqlite3_bind_* result it makes
unchecked=$(grep -n 'sqlite3_bind_' daemon/store.c | grep -v 'bind_result(b, ' | grep -v 'sqlite3_bind_null(b->stmt, b->next));')
check_eq "every sqlite3_bind_* result in the binder is checked" "" "$unchecked"
