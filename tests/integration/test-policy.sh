#!/bin/bash
# The category policies with the real dunnctl on a real database and the shipped config:
# an unreachable household is texted on a phone still alive (or e-mailed), never on a dead
# one; a carrier's "no such number" for every phone makes a household unreachable with the
# reason and a door visit; a complaint resolved; opt-out by unit and by phone, opt-in, a
# re-import that keeps the opt-out; and `dunnctl history` in order.
. "$TOP/tests/integration/lib.sh"

cd "$T"
# the shipped playbook, its SMS carrier swapped for one whose listed numbers are dead
mkdir -p plugins
cp "$PLUGIN_DIR/file.so" "$TEST_PLUGIN_DIR/dead-numbers.so" plugins/
chmod 0644 plugins/*.so
sed -e "s|^database = .*|database = \"$T/d.db\";|" \
    -e "s|/var/lib/dunnd/|$T/|" \
    -e "s|^# plugin_dir = .*|plugin_dir = \"$T/plugins\";|" \
    "$TOP/etc/dunnd.conf" > c.conf
cp "$TOP/etc/holidays.conf" .
python3 - c.conf <<'PY'
import sys
p = sys.argv[1]
s = open(p).read()
old = '''    plugin = "file";
    channel = "sms";
    path = "''' 
i = s.index(old)
j = s.index('";', i + len(old)) + 2
s = s[:i] + '''    plugin = "dead-numbers";
    channel = "sms";
    dead = "13900000003,13900000013";''' + s[j:]
open(p, "w").write(s)
PY
D() { "$DUNNCTL" -c "$T/c.conf" "$@"; }
check "the config with the test carrier is valid" D check-config
q() { sqlite3 d.db "$1"; }
TODAY=$(date +%F)
DUE=$(date -d "$TODAY -20 days" +%F)
PERIOD=${DUE:0:7}
RUN1="$(date -d "$TODAY -2 days" +%F) 09:30"
RUN2="$(date -d "$TODAY -1 days" +%F) 09:30"
run() { D run deadline --at "$1" --ignore-quiet-hours --ignore-holidays --quiet; }
# the log of one unit in one run: channel recipient status, one line per row
sent() { q "SELECT d.channel || ' ' || d.recipient || ' ' || d.status FROM dispatches d
            JOIN households h ON h.id = d.household_id JOIN occurrences o ON o.id = d.occurrence_id
            WHERE h.unit = '$1' AND o.key = 'deadline@${2/ /T}' ORDER BY d.id" | paste -sd';'; }

H='unit,building,floor,room,property_type,area_m2,owner,phone,email,payer_type,staff,vacant,prepaid_balance'
cat > h1.csv <<CSV
$H
1-1-101,1,1,101,多层,90,张一,13900000001,a@example.com,monthly,李四,0,0
1-1-102,1,1,102,多层,90,张二,13900000002,,monthly,李四,0,0
1-1-103,1,1,103,多层,90,张三,13900000003,c@example.com,monthly,李四,0,0
1-1-104,1,1,104,多层,90,张四,13900000004,,monthly,李四,0,0
1-1-105,1,1,105,多层,90,张五,13900000005,e@example.com,monthly,李四,0,0
1-1-106,1,1,106,多层,90,王六,13900000006,,monthly,李四,0,0
1-1-107,1,1,107,多层,90,王六,13900000006,,monthly,李四,0,0
CSV
# the next export: 1-1-102 and 1-1-103 gave a second phone, which is tried first now
cat > h2.csv <<CSV
$H
1-1-102,1,1,102,多层,90,张二,13900000012,,monthly,李四,0,0
1-1-103,1,1,103,多层,90,张三,13900000013,c@example.com,monthly,李四,0,0
CSV
{ echo 'unit,period,amount,due_date'
  for u in 101 102 103 104 105 106 107; do echo "1-1-$u,$PERIOD,100.00,$DUE"; done; } > charges.csv
D init >/dev/null
check "import households" D import households h1.csv
check "import the second phones" D import households h2.csv
check "import charges" D import charges charges.csv

# --- unreachable: the dead number never, a live one or e-mail ---------------------------
out=$(D categorize 1-1-101 unreachable --note "电话空号")
check_contains "categorize unreachable" "unreachable" "$out"
check_eq "without --invalid the phone tried first is marked dead" "13900000001 invalid" \
        "$(q "SELECT address || ' ' || state FROM contacts WHERE channel = 'sms' AND household_id = (SELECT id FROM households WHERE unit = '1-1-101')")"
out=$(D categorize 1-1-102 unreachable --invalid 13900000099 2>&1); rc=$?
check_eq "--invalid naming a number the household lacks: exit 2" 2 "$rc"
check_contains "... says so, masked" "has no phone 139****0099; nothing changed" "$out"
check_eq "... and nothing changed" "new" "$(q "SELECT category FROM households WHERE unit = '1-1-102'")"
out=$(D categorize 1-1-105 promised --invalid 13900000005 2>&1); rc=$?
check_eq "--invalid only with unreachable: exit 2" 2 "$rc"
check "categorize 1-1-102 unreachable, its old number dead" D categorize 1-1-102 unreachable --invalid '+86 139-0000-0002'
check_eq "1-1-102: the named number is invalid, the new one not" "13900000002 invalid,13900000012 unknown" \
        "$(q "SELECT group_concat(address || ' ' || state) FROM (SELECT address, state FROM contacts WHERE household_id = (SELECT id FROM households WHERE unit = '1-1-102') ORDER BY address)")"
out=$(D debtors --format csv)
check_contains "debtors has a visit column" "promise_date,visit" "$(echo "$out" | head -1)"
check_eq "debtors: a door visit owed since today for the unreachable ones" "1-1-101 $TODAY;1-1-102 $TODAY" \
        "$(D debtors --format json | python3 -c 'import json,sys; print(";".join(d["unit"] + " " + d["visit"] for d in json.load(sys.stdin) if d["visit"]))')"

# --- disputed, resolved ------------------------------------------------------------------
out=$(D resolve 1-1-104 --note "已处理" 2>&1); rc=$?
check_eq "resolve of a household not disputed: exit 2" 2 "$rc"
check_contains "... names what it is" "1-1-104 is not disputed (it is new" "$out"
D resolve 1-1-104 >/dev/null 2>&1; check_eq "resolve without --note: exit 2" 2 $?
check "categorize 1-1-104 disputed" D categorize 1-1-104 disputed --note "楼上漏水未修"

# --- opt-out -----------------------------------------------------------------------------
out=$(D optout 1-1-105 --note "业主要求不再提醒" --by alice)
check_contains "optout by unit" "1-1-105: 2 contact(s) opted out by alice" "$out"
out=$(SUDO_USER=bob D optout '+86 139 0000 0006')
check_contains "optout by phone: both households that have it, by \$SUDO_USER" "2 contact(s) opted out by bob" "$out"
out=$(D optout 13900000077 2>&1); rc=$?
check_eq "optout of a number no one has: exit 2" 2 "$rc"
check_contains "... masked, nothing changed" "no contact of '139****0077'; nothing changed" "$out"
out=$(D optout 1-1-105 --channel fax 2>&1); rc=$?
check_eq "optout --channel fax: exit 2" 2 "$rc"
check_contains "... lists the channels" 'unknown channel "fax" (one of: sms, email, wechat)' "$out"
check_eq "opted out: who, when, why on the contacts" "alice|业主要求不再提醒|2" \
        "$(q "SELECT opted_out_by || '|' || opted_out_note || '|' || COUNT(*) FROM contacts WHERE household_id = (SELECT id FROM households WHERE unit = '1-1-105') AND opted_out_at IS NOT NULL")"
# the billing system's file once more: the opt-outs stay
D import households h1.csv >/dev/null
D import households h2.csv >/dev/null
check_eq "a re-import keeps every opt-out" 4 "$(q "SELECT COUNT(*) FROM contacts WHERE opted_out_at IS NOT NULL")"
USER=carol SUDO_USER= D optin 1-1-107 --note "业主来电恢复" >/dev/null
check_eq "optin 1-1-107, by \$USER" "carol" \
        "$(q "SELECT text FROM notes WHERE source = 'optin'" | sed 's/.*by \([a-z]*\).*/\1/')"

# --- the first run -----------------------------------------------------------------------
run "$RUN1"; rc=$?
check_eq "run 1 exits 0" 0 "$rc"
check_eq "unreachable 1-1-101: e-mailed, its dead phone never" "email a@example.com sent" "$(sent 1-1-101 "$RUN1")"
check_eq "unreachable 1-1-102: texted on its second phone" "sms 13900000012 sent" "$(sent 1-1-102 "$RUN1")"
check_eq "1-1-103: the dead number answered invalid, failed over to e-mail" \
        "sms 13900000013 failed;email c@example.com sent" "$(sent 1-1-103 "$RUN1")"
check_eq "1-1-103 still has a phone not known dead: not unreachable yet" "new" \
        "$(q "SELECT category FROM households WHERE unit = '1-1-103'")"
check_eq "disputed 1-1-104: nothing" "" "$(sent 1-1-104 "$RUN1")"
check_eq "opted-out 1-1-105: skipped, the reason says opted out" \
        "sms  skipped|opted out: every usable contact on the schedule's channels opted out" \
        "$(q "SELECT channel || ' ' || recipient || ' ' || status || '|' || error FROM dispatches WHERE household_id = (SELECT id FROM households WHERE unit = '1-1-105')")"
check_eq "1-1-106 (its phone opted out in every household): skipped" "sms  skipped" "$(sent 1-1-106 "$RUN1")"
check_eq "1-1-107 opted in again: texted" "sms 13900000006 sent" "$(sent 1-1-107 "$RUN1")"
check_eq "no message ever went to an invalid or opted-out contact" 0 \
        "$(q "SELECT COUNT(*) FROM dispatches d JOIN contacts c ON c.id = d.contact_id WHERE d.status = 'sent' AND (c.state = 'invalid' OR c.opted_out_at IS NOT NULL)")"

# --- the second run: 1-1-103's other phone is dead too ----------------------------------
sleep 1         # the history's times are whole seconds: keep the runs apart
run "$RUN2"
check_eq "run 2: 1-1-103's old phone answers invalid too" "sms 13900000003 failed;email c@example.com sent" \
        "$(sent 1-1-103 "$RUN2")"
check_eq "every phone invalid: 1-1-103 is unreachable" "unreachable" \
        "$(q "SELECT category FROM households WHERE unit = '1-1-103'")"
check_eq "... with the reason, numbers masked, from the carrier" \
        "所有手机号无效 (every phone number invalid: 139****0013 空号, 139****0003 空号)|carrier" \
        "$(q "SELECT note || '|' || source FROM category_history WHERE household_id = (SELECT id FROM households WHERE unit = '1-1-103') ORDER BY id DESC LIMIT 1")"
check_eq "... and a door visit owed, for that reason" "所有手机号无效 (every phone number invalid: 139****0013 空号, 139****0003 空号)" \
        "$(q "SELECT visit_reason FROM households WHERE unit = '1-1-103'")"
check_contains "debtors shows 1-1-103's visit" "1-1-103 $TODAY" \
        "$(D debtors --format json | python3 -c 'import json,sys; print(";".join(d["unit"] + " " + d["visit"] for d in json.load(sys.stdin) if d["visit"]))')"

# --- resolve -----------------------------------------------------------------------------
out=$(D resolve 1-1-104 --note "漏水已修好，业主同意缴费")
check_contains "resolve a disputed household" "1-1-104: complaint resolved, now unclear" "$out"
check_eq "... it is unclear again" "unclear" "$(q "SELECT category FROM households WHERE unit = '1-1-104'")"

# --- history -----------------------------------------------------------------------------
sleep 1; D pay 1-1-103 40 --reference R-1 >/dev/null
sleep 1; D note 1-1-103 "上门: 家中无人" >/dev/null
sleep 1; D optout 1-1-103 --channel email --by alice >/dev/null
hist=$(D history 1-1-103 --format json)
kinds=$(echo "$hist" | python3 -c 'import json,sys; print(" ".join(e["kind"] for e in json.load(sys.stdin)))')
check_eq "history 1-1-103: the messages, the move, the payment, the note, the opt-out, in order" \
        "message message message message category payment note opt-out" "$kinds"
check_eq "history: oldest first" "yes" \
        "$(echo "$hist" | python3 -c 'import json,sys; t=[e["time"] for e in json.load(sys.stdin)]; print("yes" if t == sorted(t) else t)')"
check_eq "history: a message's occurrence, channel, status, masked recipient, amount" \
        "sms|139****0013|failed|100.00|deadline@${RUN1/ /T}: 空号" \
        "$(echo "$hist" | python3 -c 'import json,sys; e=json.load(sys.stdin)[0]; e["amount"]="%.2f" % e["amount"]; print("|".join(str(e[k]) for k in ("channel","recipient","status","amount","detail")))')"
check_contains "history: the move says why, and that a visit is owed" \
        "unreachable (无法联系类), door visit: 所有手机号无效 (every phone number invalid: 139****0013 空号, 139****0003 空号)" "$hist"
check_contains "history: the payment" "paid on $TODAY, reference R-1" "$hist"
check_contains "history: the opt-out, with who" "退订 (opted out): email c***@example.com; by alice" "$hist"
check_contains "history --format json has the text" "张三业主" "$hist"
out=$(D history 1-1-103 --reveal --format csv)
check_contains "history --reveal: the recipient unmasked" ",13900000013," "$out"
out=$(D history 1-1-103)
check_contains "history table: masked" "139****0013" "$out"
case "$out" in *13900000013*) nok "history table never shows the full number";; *) ok "history table never shows the full number";; esac
case "$out" in *张三业主*) nok "history table leaves the text out without --text";; *) ok "history table leaves the text out without --text";; esac
check_contains "history --text: the text" "张三业主" "$(D history 1-1-103 --text)"
hist=$(D history 1-1-104 --format json)
check_contains "history 1-1-104: the complaint's note" "disputed (特殊拒交类): 楼上漏水未修" "$hist"
check_contains "history 1-1-104: the resolution" "unclear (暂未明确类): 投诉已解决 (complaint resolved): 漏水已修好，业主同意缴费" "$hist"
check_eq "history 1-1-104: the complaint's note shows once" 1 "$(echo "$hist" | grep -o '楼上漏水未修' | wc -l)"
check_contains "history 1-1-105: the opt-out, by alice with the note" "退订 (opted out): sms 139****0005, email e***@example.com; by alice: 业主要求不再提醒" \
        "$(D history 1-1-105)"
check_contains "history 1-1-107: opt-out and opt-in" "恢复提醒 (opted in): sms 139****0006; by carol: 业主来电恢复" \
        "$(D history 1-1-107)"
D history 9-9-999 >/dev/null 2>&1; check_eq "history of an unknown unit: exit 2" 2 $?
D history 1-1-103 --format yaml >/dev/null 2>&1; check_eq "history --format yaml: exit 2" 2 $?
