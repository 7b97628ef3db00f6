#!/bin/bash
# dunnctl end to end on a temporary database and config: init, import (UTF-8 and GBK),
# all-or-nothing imports, preview, run, a second run, concurrent runs, paid and disputed
# households, crash recovery, log masking, check-config errors, exit codes.
. "$TOP/tests/integration/lib.sh"

cd "$T"
mkconf() {      # mkconf FILE DBFILE OUTDIR
        sed -e "s|^database = .*|database = \"$2\";|" \
            -e "s|/var/lib/dunnd/|$3/|" \
            -e "s|^# plugin_dir = .*|plugin_dir = \"$PLUGIN_DIR\";|" \
            "$TOP/etc/dunnd.conf" > "$1"
        cp "$TOP/etc/holidays.conf" "$(dirname "$1")/"   # its @include, as installed
}
mkconf c.conf "$T/d.db" "$T"
D() { "$DUNNCTL" -c "$T/c.conf" "$@"; }
# runs stand for times that have come (a run --at the future is refused); the data is as
# of today, so promises in it are still ahead
TODAY=$(date +%F)
AT="$(date -d "$TODAY -2 days" +%F) 09:30"
AT_KEY="deadline@${AT/ /T}"
dbsum() { sha256sum "$T/d.db" | cut -d' ' -f1; }
sms_lines() { if [ -f "$T/outbox-sms.jsonl" ]; then wc -l < "$T/outbox-sms.jsonl"; else echo 0; fi; }

"$TOP/scripts/sample-data" 300 data --seed 7 --today "$TODAY" 2>/dev/null
"$TOP/scripts/sample-data" 300 gbk --seed 7 --today "$TODAY" --encoding gbk 2>/dev/null

# --- init -------------------------------------------------------------------------------
check "init creates the database" D init
check_eq "database is mode 0600" "600" "$(stat -c %a d.db)"
check_contains "init again says up to date" "up to date" "$(D init)"

# --- import -----------------------------------------------------------------------------
out=$(D import households data/households.csv)
check_contains "households import counts 300 added" "300 added" "$out"
# the sample data speaks for 2026-12-10: its promise dates are after that day, whatever
# day the test runs on
for k in charges payments categories; do
        check "import $k" D import $k data/$k.csv --at "$TODAY"
done
before=$(sqlite3 d.db 'SELECT COUNT(*) FROM households; SELECT COUNT(*) FROM charges; SELECT COUNT(*) FROM payments; SELECT COUNT(*) FROM category_history' | tr '\n' ' ')
out=$(D import households data/households.csv; D import charges data/charges.csv; D import payments data/payments.csv; D import categories data/categories.csv --at "$TODAY")
after=$(sqlite3 d.db 'SELECT COUNT(*) FROM households; SELECT COUNT(*) FROM charges; SELECT COUNT(*) FROM payments; SELECT COUNT(*) FROM category_history' | tr '\n' ' ')
check_eq "re-importing the same files changes nothing (row counts)" "$before" "$after"
check_contains "re-import reports households unchanged" "0 added, 0 updated, 300 unchanged" "$out"
recount() { sqlite3 d.db "SELECT COUNT(*) FROM households h WHERE balance != COALESCE((SELECT SUM(amount) FROM charges WHERE household_id = h.id), 0) - COALESCE((SELECT SUM(amount) FROM payments WHERE household_id = h.id), 0)"; }
check_eq "every balance matches its charges and payments after the imports" 0 "$(recount)"
# an ops person's sqlite3 bypasses the ledger; init brings the balances back in step
sqlite3 d.db "UPDATE charges SET amount = amount + 100 WHERE id IN (SELECT MIN(id) FROM charges GROUP BY household_id LIMIT 3)"
check_eq "a raw edit leaves 3 balances wrong" 3 "$(recount)"
check_contains "init says it corrected them" "3 household balance(s) did not match" "$(D init)"
check_eq "... and they match again" 0 "$(recount)"
sqlite3 d.db "UPDATE charges SET amount = amount - 100 WHERE id IN (SELECT MIN(id) FROM charges GROUP BY household_id LIMIT 3)"
D init >/dev/null

# GBK: the same data in GBK imports with --encoding gbk into a second database
mkconf g.conf "$T/g.db" "$T/g"
mkdir -p g
"$DUNNCTL" -c g.conf init >/dev/null
out=$("$DUNNCTL" -c g.conf import households gbk/households.csv --encoding gbk 2>&1)
check_contains "GBK households import" "300 added" "$out"
check_eq "GBK names arrive as the same UTF-8" \
        "$(sqlite3 d.db "SELECT name FROM owners ORDER BY id LIMIT 5")" \
        "$(sqlite3 g.db "SELECT name FROM owners ORDER BY id LIMIT 5")"
out=$("$DUNNCTL" -c g.conf import categories gbk/categories.csv 2>&1); rc=$?
check_eq "GBK file read as UTF-8 is refused (exit 2)" 2 "$rc"
check_contains "... and the error names line:column" "gbk/categories.csv:" "$out"

# --- all or nothing ---------------------------------------------------------------------
sum0=$(dbsum)
cp data/charges.csv bad.csv
printf '1-1-101,2027-01,12.345,2027-01-15\n' >> bad.csv
lines=$(wc -l < bad.csv)
out=$(D import charges bad.csv 2>&1); rc=$?
check_eq "bad amount: exit 2" 2 "$rc"
check_contains "bad amount: FILE:LINE:COLUMN" "bad.csv:$lines:3: amount '12.345'" "$out"
check_eq "bad amount: database byte-for-byte unchanged" "$sum0" "$(dbsum)"

printf 'unit,period,amount,due_date\n1-1-101,2027-02,100.00,2027-02-15\n9-9-999,2027-02,100.00,2027-02-15\n' > unknown.csv
out=$(D import charges unknown.csv 2>&1); rc=$?
check_eq "unknown unit: exit 2" 2 "$rc"
check_contains "unknown unit: names line 3 column 1" "unknown.csv:3:1: unknown unit '9-9-999'" "$out"
check_eq "unknown unit: the good row before it was not kept either" "0" \
        "$(sqlite3 d.db "SELECT COUNT(*) FROM charges WHERE period = '2027-02'")"
check_eq "unknown unit: database byte-for-byte unchanged" "$sum0" "$(dbsum)"

head -1 data/households.csv > badphone.csv
printf '99-1-101,99,1,101,多层,90.5,王五,12345678901,,monthly,李四,0,0.00\n' >> badphone.csv
out=$(D import households badphone.csv 2>&1); rc=$?
check_contains "invalid mobile number: line 2 column 8" "badphone.csv:2:8:" "$out"
printf 'unit,period,amount,due_date\n1-1-101,2027-03,"1,00.00,2027-03-15\n' > quote.csv
out=$(D import charges quote.csv 2>&1); rc=$?
check_eq "bad quoting: exit 2" 2 "$rc"
check_contains "bad quoting: names the line" "quote.csv:" "$out"
printf 'unit,period,amount,due_date\n1-1-101,2027-04,10.00,2027-04-15\n1-1-101,2027-04,10.00,2027-04-15\n' > dup.csv
out=$(D import charges dup.csv 2>&1)
check_contains "duplicate key names both lines" "dup.csv:3:1: duplicate: the same unit and period as line 2" "$out"
check_eq "all-or-nothing imports left the database unchanged" "$sum0" "$(dbsum)"
out=$(D import charges dup.csv --dry-run 2>&1); rc=$?
check_eq "dry run of a bad file also fails" 2 "$rc"

# --- extra columns in real exports -------------------------------------------------------
# A column the kind does not know is ignored with one warning naming it, the known ones are
# read from their own cells; --strict-columns refuses it; a known column twice is refused.
X() { "$DUNNCTL" -c "$T/c.conf" --db "$T/x.db" "$@"; }
X init >/dev/null
xsum() { sha256sum "$T/x.db" | cut -d' ' -f1; }
printf '房号,楼栋,联系地址,物业类型,业主姓名,备注,手机\n1-1-101,1,幸福路1号,多层,张三,老人独居,13800138000\n1-1-102,1,幸福路1号,多层,李四,,13900139000\n' > export.csv
xs0=$(xsum)
out=$(X import households export.csv --strict-columns 2>&1); rc=$?
check_eq "--strict-columns: an unknown column is refused (exit 2)" 2 "$rc"
check_contains "--strict-columns: FILE:1:COLUMN names it" "export.csv:1:3: unknown column '联系地址'" "$out"
check_eq "--strict-columns: nothing imported" "$xs0" "$(xsum)"
X import households export.csv >x.out 2>x.err; rc=$?
check_eq "unknown columns: the import goes on (exit 0)" 0 "$rc"
check_eq "unknown columns: one warning each, naming it" \
        "$(printf 'export.csv:1:3: ignoring unknown column "联系地址"\nexport.csv:1:6: ignoring unknown column "备注"')" \
        "$(cat x.err)"
check_contains "unknown columns: both rows imported" "2 households rows: 2 added" "$(cat x.out)"
check_eq "unknown columns: the known ones read from their own cells" "1-1-101|张三|13800138000,1-1-102|李四|13900139000" \
        "$(sqlite3 x.db "SELECT group_concat(x, ',') FROM (SELECT h.unit || '|' || o.name || '|' || c.address AS x FROM households h JOIN owners o ON o.household_id = h.id JOIN contacts c ON c.household_id = h.id ORDER BY h.unit)")"
printf '房号,分类,备注,联系地址\n1-1-101,暂未明确类,老人独居,幸福路1号\n' > cat-export.csv
err=$(X import categories cat-export.csv 2>&1 >/dev/null)
check_eq "备注 is a column of categories: read there, only 联系地址 ignored" \
        'cat-export.csv:1:4: ignoring unknown column "联系地址"' "$err"
check_eq "... and the note is kept" "老人独居" "$(sqlite3 x.db "SELECT text FROM notes")"
printf 'unit,building,property_type,owner,phone, 手机\n1-1-103,1,多层,王五,13700137000,13600136000\n' > twice.csv
xs1=$(xsum)
out=$(X import households twice.csv 2>&1); rc=$?
check_eq "a known column twice (phone and 手机): exit 2" 2 "$rc"
check_contains "... named with both columns" 'twice.csv:1:6: column " 手机" is phone again (as column 5 "phone")' "$out"
printf 'unit,period,应收金额(元),due_date\n1-1-101,2026-12,100,2026-12-15\n' > yuan.csv
out=$(X import charges yuan.csv 2>&1); rc=$?
check_eq "a known name with something added (应收金额(元)): exit 2" 2 "$rc"
check_contains "... says what it looks like" 'yuan.csv:1:3: column "应收金额(元)" looks like amount (应收金额)' "$out"
check_eq "refused headers imported nothing" "$xs1" "$(xsum)"
printf '\xef\xbb\xbf 房号 ,楼栋　,物业类型,ＯＷＮＥＲ\n1-1-104,1,多层,赵六\n' > spaced.csv
out=$(X import households spaced.csv 2>&1); rc=$?
check_eq "headers with a BOM, spaces and full-width letters still match (exit 0, no warning)" \
        "0|spaced.csv: 1 households rows: 1 added, 0 updated, 0 unchanged" "$rc|$out"

# --- promise dates before today -----------------------------------------------------------
# "today" is the office's day in the configured zone (Asia/Shanghai), or that of --at.
office_day() { TZ=Asia/Shanghai date +%F "$@"; }
xs2=$(xsum)
t0=$(office_day); yesterday=$(office_day -d "$t0 -1 day")
out=$(X categorize 1-1-101 promised --promise "$yesterday" 2>&1); rc=$?
if [ "$t0" != "$(office_day)" ]; then
        skip "categorize: a promise for yesterday is refused" "midnight passed during the test"
else
        check_eq "categorize: a promise for yesterday is refused (exit 2), naming both days" \
                "2|dunnctl categorize: promise date $yesterday is before today ($t0); nothing changed" "$rc|$out"
fi
check_eq "categorize: the refused promise changed nothing" "$xs2" "$(xsum)"
out=$(X categorize 1-1-101 promised --promise "$t0" 2>&1); rc=$?
[ "$t0" = "$(office_day)" ] || rc=0     # passed midnight: today's promise became yesterday's
check_eq "categorize: a promise for today is fine" 0 "$rc"
out=$(X categorize 1-1-101 promised --promise 2026-12-09 --at 2026-12-10 2>&1); rc=$?
check_eq "categorize --at: today is that day" \
        "2|dunnctl categorize: promise date 2026-12-09 is before today (2026-12-10); nothing changed" "$rc|$out"
check "categorize --at: a promise for that day is fine" X categorize 1-1-101 promised --promise 2026-12-10 --at 2026-12-10
printf 'unit,category,promise_date,note\n1-1-101,promised,2026-12-05,\n1-1-102,promised,2026/11/2,说过月底\n' > past.csv
xs3=$(xsum)
out=$(X import categories past.csv --at '2026-12-01 08:30' 2>&1); rc=$?
check_eq "import: a past promise date: exit 2" 2 "$rc"
check_contains "import: FILE:LINE:COLUMN: the date and today" \
        "past.csv:3:3: promise date 2026-11-02 is before today (2026-12-01)" "$out"
check_contains "import: nothing imported" "nothing imported from 'past.csv'" "$out"
check_eq "import: the good row before it was not kept either" "$xs3" "$(xsum)"
check "import: the same file as of 2026-11-01 is fine" X import categories past.csv --at 2026-11-01
out=$(X import categories past.csv --at 2026-12-20 2>&1); rc=$?
check_eq "import: re-importing the old file later changes nothing and is no error" \
        "0|past.csv: 2 categories rows: 0 added, 0 updated, 2 unchanged" "$rc|$out"
check_eq "... and the promises are as they were" "1-1-101|2026-12-05,1-1-102|2026-11-02" \
        "$(sqlite3 x.db "SELECT group_concat(unit || '|' || promise_date, ',') FROM (SELECT unit, promise_date FROM households WHERE unit IN ('1-1-101', '1-1-102') ORDER BY unit)")"
out=$(X import categories past.csv --at 2026-13-01 2>&1); rc=$?
check_eq "import --at: a date that is none is a usage error" 2 "$rc"

# --- preview writes nothing -------------------------------------------------------------
out=$(D preview deadline --at "$AT")
check_contains "preview prints totals" "$AT_KEY:" "$out"
check_contains "preview masks phone numbers" "****" "$out"
check_eq "preview wrote nothing" "$sum0" "$(dbsum)"
check_eq "preview sent nothing" 0 "$(sms_lines)"
selected=$(D preview deadline --at "$AT" --format json | /usr/bin/python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
tosend=$(D preview deadline --at "$AT" --format json | /usr/bin/python3 -c 'import json,sys; print(sum(1 for r in json.load(sys.stdin) if not r["skip"]))')

# --- paid and disputed households -------------------------------------------------------
paid_unit=$(D debtors --format json | /usr/bin/python3 -c '
import json,sys
for r in json.load(sys.stdin):
    if r["category"] in ("new","unclear"): print(r["unit"], r["amount"]); break')
set -- $paid_unit
check "pay the whole debt of $1" D pay "$1" "$2" --method 微信
disp_unit=$(D debtors --format json | /usr/bin/python3 -c '
import json,sys
print([r["unit"] for r in json.load(sys.stdin) if r["category"] == "new"][0])')
check "categorize $disp_unit disputed" D categorize "$disp_unit" disputed --note "电梯长期故障，拒交"
check_eq "categorize wrote history" "disputed" \
        "$(sqlite3 d.db "SELECT h.category FROM category_history h JOIN households u ON u.id = h.household_id WHERE u.unit = '$disp_unit' ORDER BY h.id DESC LIMIT 1")"

# --- run --------------------------------------------------------------------------------
out=$(D run deadline --ignore-quiet-hours --at "$AT" 2>&1); rc=$?
check_eq "run exits 0" 0 "$rc"
sent=$(sqlite3 d.db "SELECT COUNT(*) FROM dispatches WHERE status = 'sent'")
outbox=$(cat outbox-*.jsonl | wc -l)
check_eq "every sent row is one line in the file carrier" "$sent" "$outbox"
check_eq "it sent what preview announced, less the paid and the disputed" "$((tosend - 2))" "$sent"
check_eq "the paid household got nothing" 0 "$(grep -c "\"unit\":\"$paid_unit\"" outbox-sms.jsonl outbox-email.jsonl | awk -F: '{s+=$2} END {print s}')"
check_eq "the disputed household got nothing" 0 "$(cat outbox-*.jsonl | grep -c "\"unit\":\"$disp_unit\"")"
check_eq "no dispatch row for the disputed household" 0 \
        "$(sqlite3 d.db "SELECT COUNT(*) FROM dispatches d JOIN households h ON h.id = d.household_id WHERE h.unit = '$disp_unit'")"
check_eq "outbox file is 0600" 600 "$(stat -c %a outbox-sms.jsonl)"
out=$(D run deadline --ignore-quiet-hours --at "$AT" 2>&1)
check_contains "a second run of the same occurrence is recognised" "already planned" "$out"
check_eq "a second run sends nothing new" "$outbox" "$(cat outbox-*.jsonl | wc -l)"
check_eq "each household at most once per channel" "" \
        "$(cat outbox-*.jsonl | /usr/bin/python3 -c '
import json,sys,collections
c=collections.Counter((json.loads(l)["unit"],json.loads(l)["channel"]) for l in sys.stdin)
print(" ".join(f"{u}/{ch}" for (u,ch),n in c.items() if n>1))')"

# --- concurrent cron runs of one occurrence ---------------------------------------------
AT2="$(date -d "$TODAY -1 day" +%F) 09:30"
AT2_KEY="deadline@${AT2/ /T}"
for i in 1 2 3; do D run deadline --ignore-quiet-hours --at "$AT2" --quiet >"run$i.out" 2>&1 & done
wait
n2=$(sqlite3 d.db "SELECT COUNT(*) FROM dispatches d JOIN occurrences o ON o.id = d.occurrence_id WHERE o.key = '$AT2_KEY' AND status = 'sent'")
lines2=$(cat outbox-*.jsonl | grep -c "$AT2_KEY")
check_eq "three concurrent runs: every sent row written once" "$n2" "$lines2"
check_eq "three concurrent runs: no dispatch id twice" "" \
        "$(cat outbox-*.jsonl | grep "$AT2_KEY" | /usr/bin/python3 -c '
import json,sys,collections
c=collections.Counter(json.loads(l)["dispatch_id"] for l in sys.stdin)
print(" ".join(str(k) for k,n in c.items() if n>1))')"
check_eq "three concurrent runs: one occurrence" 1 "$(sqlite3 d.db "SELECT COUNT(*) FROM occurrences WHERE key = '$AT2_KEY'")"

# --- a send interrupted by a crash becomes unknown, never re-sent ------------------------
sqlite3 d.db "UPDATE dispatches SET status = 'sending', claimed_by = 2147483000 WHERE id = (SELECT MIN(id) FROM dispatches WHERE status = 'sent')"
lines_before=$(cat outbox-*.jsonl | wc -l)
out=$(D run deadline --ignore-quiet-hours --at "$AT" 2>&1)
check_eq "interrupted row is now unknown" "unknown" \
        "$(sqlite3 d.db "SELECT status FROM dispatches WHERE claimed_by IS NULL AND error LIKE 'interrupted%' LIMIT 1")"
check_eq "interrupted row was not re-sent" "$lines_before" "$(cat outbox-*.jsonl | wc -l)"
check_contains "run reports the unknown message" "unknown state" "$out"

# --- log --------------------------------------------------------------------------------
out=$(D log --occurrence "$AT_KEY" --status sent)
check_contains "log masks numbers" "****" "$out"
if echo "$out" | grep -Eq '1[3-9][0-9]{9}'; then nok "log shows no full phone number"; else ok "log shows no full phone number"; fi
out=$(D log --occurrence 'deadline@' --status sent --reveal --format csv)
if echo "$out" | grep -Eq '1[3-9][0-9]{9}'; then ok "log --reveal shows numbers"; else nok "log --reveal shows numbers"; fi
n=$(D log --occurrence "$AT_KEY" --format json | /usr/bin/python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
check_eq "log json lists every row of the occurrence" "$((selected - 2))" "$n"

# --- values outside an option's fixed set: exit 2 with the list, never an empty table -----
# The statuses come from the schema's CHECK, so the list cannot drift from what rows can hold.
statuses=$(sqlite3 d.db "SELECT sql FROM sqlite_master WHERE name = 'dispatches'" |
        grep -o "status IN *([^)]*)" | grep -o "'[a-z]*'" | tr -d "'")
check "the schema names the dispatch statuses" test -n "$statuses"
bad=""
for st in $statuses; do D log --status "$st" --format csv >/dev/null 2>&1 || bad+=" $st"; done
check_eq "log --status takes every status of the schema" "" "${bad# }"
sum1=$(dbsum)
unknown_value() {       # description expected-stderr command...
        local d=$1 want=$2 out err rc
        shift 2
        out=$("$@" 2>"$T/uv.err"); rc=$?
        err=$(cat "$T/uv.err")
        if [ $rc -eq 2 ] && [ -z "$out" ] && [ "$err" = "$want" ]; then
                ok "$d"
        else
                nok "$d"
                echo "#   exit $rc, stdout '${out:0:200}'"
                echo "#   expected: $want"
                echo "#   actual:   $err"
        fi
}
unknown_value "log --status bogus: exit 2, the statuses listed, no table" \
        "dunnctl log: unknown status \"bogus\" (one of: $(echo $statuses | sed 's/ /, /g'))" \
        D log --status bogus
unknown_value "log --format xml" \
        'dunnctl log: unknown format "xml" (one of: table, csv, json)' D log --format xml
cats='new (未分类), promised (近期交纳类), unclear (暂未明确类), unreachable (无法联系类), away (异地出差类), disputed (特殊拒交类)'
unknown_value "debtors --category rich" \
        "dunnctl debtors: unknown category \"rich\" (one of: $cats)" D debtors --category rich
unknown_value "debtors --format yaml" \
        'dunnctl debtors: unknown format "yaml" (one of: table, csv, json)' D debtors --format yaml
unknown_value "categorize UNIT rich" \
        "dunnctl categorize: unknown category \"rich\" (one of: $cats)" D categorize 1-1-101 rich
unknown_value "import a kind that is none" \
        'dunnctl import: unknown kind "owners" (one of: households, charges, payments, categories)' \
        D import owners data/households.csv
unknown_value "import --encoding latin1" \
        'dunnctl import: unknown encoding "latin1" (one of: utf-8, gbk, gb18030)' \
        D import households data/households.csv --encoding latin1
unknown_value "preview --format xml" \
        'dunnctl preview: unknown format "xml" (one of: table, csv, json)' \
        D preview deadline --at "$AT" --format xml
check_eq "refused values changed nothing" "$sum1" "$(dbsum)"
n_cn=$(D debtors --category 近期交纳类 --format json | /usr/bin/python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
n_en=$(D debtors --category promised --format json | /usr/bin/python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
check_eq "a Chinese category name still selects like its key" "$n_en" "$n_cn"

# --- check-config -----------------------------------------------------------------------
check "check-config accepts the shipped playbook" D check-config
sed -e 's/^deadline_day = 15;/deadline_day = 15;\ncolour = "red";/' c.conf > bad1.conf
line=$(grep -n '^colour' bad1.conf | cut -d: -f1)
out=$("$DUNNCTL" -c bad1.conf check-config 2>&1); rc=$?
check_eq "unknown key: exit 2" 2 "$rc"
check_contains "unknown key: FILE:LINE" "bad1.conf:$line: unknown key 'colour'" "$out"
sed -e 's/{{amount}}元待缴，请方便时缴纳/{{amout}}元待缴，请方便时缴纳/' -e '/vacant = /s/{{amout}}/{{amount}}/' c.conf > bad2.conf
line=$(grep -n '{{amout}}' bad2.conf | cut -d: -f1)
out=$("$DUNNCTL" -c bad2.conf check-config 2>&1)
check_contains "unknown template variable: FILE:LINE and the name" "bad2.conf:$line: template 'daily' (text): unknown variable '{{amout}}'" "$out"
sed -e 's/plugin = "file";/plugin = "nosuch";/' c.conf > bad3.conf
out=$("$DUNNCTL" -c bad3.conf check-config 2>&1); rc=$?
check_eq "missing plugin: exit 2" 2 "$rc"
check_contains "missing plugin: names the file" "nosuch.so" "$out"
sed -e 's/categories = \["unclear"\];/categories = ["unclear", "disputed"];/' c.conf > bad4.conf
out=$("$DUNNCTL" -c bad4.conf check-config 2>&1)
check_contains "a schedule for disputed households is refused" "never get automatic reminders" "$out"
printf 'database = ;\n' > bad5.conf
out=$("$DUNNCTL" -c bad5.conf check-config 2>&1); rc=$?
check_eq "syntax error: exit 2" 2 "$rc"
check_contains "syntax error: FILE:LINE" "bad5.conf:" "$out"
# regression: a data file below /usr/share/zoneinfo passed check-config (one validator
# checked for a regular file, the calendar's for TZif), then every schedule said "never"
sed -e 's|^timezone = .*|timezone = "zone.tab";|' c.conf > bad6.conf
line=$(grep -n '^timezone' bad6.conf | cut -d: -f1)
out=$("$DUNNCTL" -c bad6.conf check-config 2>&1); rc=$?
check_eq "timezone = zone.tab: exit 2" 2 "$rc"
check_contains "timezone = zone.tab: FILE:LINE" "bad6.conf:$line: unknown time zone 'zone.tab'" "$out"

# --- exit codes -------------------------------------------------------------------------
D nosuchcommand >/dev/null 2>&1; check_eq "unknown command exits 2" 2 $?
D run nosuch >/dev/null 2>&1; check_eq "unknown schedule exits 2" 2 $?
"$DUNNCTL" --db "$T/none.db" debtors >/dev/null 2>&1; check_eq "missing database exits 2" 2 $?
check_contains "--help lists the commands" "check-config" "$("$DUNNCTL" --help)"
check_contains "--version" "dunnctl " "$("$DUNNCTL" --version)"
for v in init import debtors categorize note pay preview run log schedules check-config; do
        D $v --help >/dev/null 2>&1 || { nok "$v --help"; continue; }
done
ok "every command has --help"
