#!/bin/bash
# The playbook over a simulated month on the shipped config (etc/dunnd.conf), with
# the real dunnctl: `run --simulate` drives the daily schedules day by day on a copy of the
# database while staff record payments on the copy. Promises kept early, kept on the day
# and broken; reminders on the right days only; the frequency caps; a disputed household
# never reminded; the live database never touched. Then, on the live database: a future
# --at refused, quiet hours held (and --no-wait), and a partial payment between the plan
# and the send re-rendering the text that goes out.
. "$(dirname "$0")/lib.sh"

cd "$T"
mkconf() {      # mkconf FILE [SED-EXPR...]: the shipped config on this directory
        local f=$1; shift
        sed -e "s|^database = .*|database = \"$T/d.db\";|" \
            -e "s|/var/lib/dunnd/|$T/|" \
            -e "s|^# plugin_dir = .*|plugin_dir = \"$PLUGIN_DIR\";|" \
            "$@" "$TOP/etc/dunnd.conf" > "$f"
        cp "$TOP/etc/holidays.conf" "$T/"   # its @include, as installed
}
mkconf c.conf -e 's|^quiet_hours = .*|quiet_hours = { start = "00:00"; end = "00:00"; };|'
D() { "$DUNNCTL" -c "$T/c.conf" "$@"; }
S() { sqlite3 sim.db "$@"; }
# the estate's days: D n is today + n in Asia/Shanghai (the shipped zone)
TODAY=$(TZ=Asia/Shanghai date +%F)
day() { date -d "$TODAY $1 days" +%F; }
DUE=$(day -20)

cat > households.csv <<EOF
unit,building,property_type,area_m2,owner,phone,payer_type
1-1-101,1,多层,90.00,张一,13900000101,monthly
1-1-102,1,多层,90.00,张二,13900000102,monthly
1-1-103,1,多层,90.00,张三,13900000103,monthly
1-1-104,1,多层,90.00,李四,13900000104,monthly
1-1-105,1,多层,90.00,王五,13900000105,monthly
1-1-106,1,多层,90.00,赵六,13900000106,monthly
EOF
{
        echo "unit,period,amount,due_date"
        for u in 101 102 103 104 105 106; do echo "1-1-$u,$(date -d "$DUE" +%Y-%m),300.00,$DUE"; done
} > charges.csv
{
        echo "unit,category,promise_date,note"
        for u in 101 102 103; do echo "1-1-$u,promised,$(day 5),电话: $(day 5) 交"; done
        echo "1-1-104,unclear,,没接电话"
        echo "1-1-105,away,,在外地工作"
        echo "1-1-106,disputed,,电梯投诉"
} > categories.csv
D init >/dev/null
for k in households charges categories; do D import $k $k.csv >/dev/null || nok "import $k"; done
live_before=$(sqlite3 d.db .dump | md5sum)

# --- a week and a half on a simulation copy ------------------------------------------------
simulate() {    # simulate SCHEDULE DAY HH:MM
        D run "$1" --at "$2 $3" --simulate sim.db --quiet >>sim.log 2>&1 || nok "run $1 --at $2 $3"
}
for n in 1 2 3 4 5 6 7 8; do
        d=$(day $n)
        [ $n = 3 ] && D --db sim.db pay 1-1-101 300.00 --date "$d" >/dev/null     # early, in full
        [ $n = 5 ] && D --db sim.db pay 1-1-102 300.00 --date "$d" >/dev/null     # on the day
        simulate promise-eve "$d" 10:00
        simulate unclear-daily "$d" 10:30
        simulate away-daily "$d" 11:00
        [ $n = 1 ] && simulate reminder "$d" 12:00      # a one-off the same day: capped
done
check_contains "the first run says it simulates on a copy" "simulating on a copy of $T/d.db in sim.db" "$(cat sim.log)"
check_eq "the live database is untouched" "$live_before" "$(sqlite3 d.db .dump | md5sum)"
check_eq "no occurrence in the live database" 0 "$(sqlite3 d.db "SELECT COUNT(*) FROM occurrences")"
check_eq "every simulated message recorded sent by the simulated carrier" 0 \
        "$(S "SELECT COUNT(*) FROM dispatches WHERE status = 'sent' AND carrier_message_id NOT LIKE 'simulated-%'")"
check_eq "nothing reached the file carrier" 0 "$(cat outbox-sms.jsonl outbox-email.jsonl 2>/dev/null | wc -l)"

sent_days() {   # sent_days UNIT: "SCHEDULE@DAY ..." of the messages sent to UNIT, in order
        S "SELECT o.schedule || '@' || substr(o.at, 1, 10) FROM dispatches x JOIN occurrences o ON o.id = x.occurrence_id
           JOIN households h ON h.id = x.household_id WHERE h.unit = '$1' AND x.status = 'sent' ORDER BY o.at" | tr '\n' ' '
}
history_notes() {       # history_notes UNIT: "category:note" of its category moves, in order
        S "SELECT c.category || ':' || COALESCE(c.note, '') FROM category_history c JOIN households h ON h.id = c.household_id
           WHERE h.unit = '$1' ORDER BY c.id" | tr '\n' '|'
}
cat_of() { S "SELECT category FROM households WHERE unit = '$1'"; }

# 1-1-101 paid in full on day 3, before its promise of day 5: kept at once, never broken
check_eq "paid early: the promise is kept (category new)" new "$(cat_of 1-1-101)"
check_contains "paid early: the history says kept" \
        "new:承诺 $(day 5) 缴费，已兑现 (promise of $(day 5) kept)" "$(history_notes 1-1-101)"
check_eq "paid early: never broken, never reminded" "" "$(sent_days 1-1-101)"
# 1-1-102 reminded the day before, paid on the day: kept
check_eq "paid on the day: reminded only the day before" "promise-eve@$(day 4) " "$(sent_days 1-1-102)"
check_eq "paid on the day: kept" new "$(cat_of 1-1-102)"
check_contains "paid on the day: the history says kept" "promise of $(day 5) kept" "$(history_notes 1-1-102)"
# 1-1-103 reminded the day before, did not pay: broken the day after, daily from then on
check_eq "unpaid: broken, now unclear" unclear "$(cat_of 1-1-103)"
check_contains "unpaid: the history says not kept" \
        "unclear:承诺 $(day 5) 缴费，未兑现 (promise of $(day 5) not kept)" "$(history_notes 1-1-103)"
check_eq "unpaid: the eve, then every day from the day after the promise" \
        "promise-eve@$(day 4) unclear-daily@$(day 6) unclear-daily@$(day 7) unclear-daily@$(day 8) " \
        "$(sent_days 1-1-103)"
# 1-1-104 unclear: every day, four in any 7 days
check_eq "unclear: daily, capped at four in 7 days, free again on day 8" \
        "unclear-daily@$(day 1) unclear-daily@$(day 2) unclear-daily@$(day 3) unclear-daily@$(day 4) unclear-daily@$(day 8) " \
        "$(sent_days 1-1-104)"
check_eq "unclear: the week cap is in the log (days 5-7)" 3 \
        "$(S "SELECT COUNT(*) FROM dispatches x JOIN households h ON h.id = x.household_id WHERE h.unit = '1-1-104'
              AND x.status = 'skipped' AND x.error LIKE 'capped: 4 reminder(s) in the 7 days to %'")"
check_eq "the same day's one-off is capped for everyone it selected" \
        "1-1-104:capped: 1 reminder(s) on $(day 1) already (caps.per_day = 1)|1-1-105:capped: 1 reminder(s) on $(day 1) already (caps.per_day = 1)|" \
        "$(S "SELECT h.unit || ':' || x.error FROM dispatches x JOIN occurrences o ON o.id = x.occurrence_id
              JOIN households h ON h.id = x.household_id WHERE o.schedule = 'reminder' ORDER BY h.unit" | tr '\n' '|')"
# 1-1-105 away: daily with the bank details
check_eq "away: daily, capped like the others" \
        "away-daily@$(day 1) away-daily@$(day 2) away-daily@$(day 3) away-daily@$(day 4) away-daily@$(day 8) " \
        "$(sent_days 1-1-105)"
bank=$(sed -n 's/^bank_account = "\(.*\)";.*/\1/p' c.conf)
check_eq "away: every text names the bank account" 5 \
        "$(S "SELECT COUNT(*) FROM dispatches x JOIN households h ON h.id = x.household_id WHERE h.unit = '1-1-105'
              AND x.status = 'sent' AND instr(x.text, '$bank') > 0")"
# 1-1-106 disputed: never
check_eq "disputed: no row at all" 0 \
        "$(S "SELECT COUNT(*) FROM dispatches x JOIN households h ON h.id = x.household_id WHERE h.unit = '1-1-106'")"

# --- the rest of the month ----------------------------------------------------------------
# 1-1-105 (away) promises on day 12 to pay on day 18 and does not; 1-1-104 (unclear) pays on
# day 20 and drops out of every selection
for n in $(seq 9 30); do
        d=$(day $n)
        [ $n = 12 ] && D --db sim.db categorize 1-1-105 promised --promise "$(day 18)" --note "电话: 过几天转账" >/dev/null
        [ $n = 20 ] && D --db sim.db pay 1-1-104 300.00 --date "$d" >/dev/null
        simulate promise-eve "$d" 10:00
        simulate unclear-daily "$d" 10:30
        simulate away-daily "$d" 11:00
done
sent_rows() {   # "UNIT DAY" of every message sent in the month
        S "SELECT h.unit || ' ' || substr(o.at, 1, 10) FROM dispatches x JOIN occurrences o ON o.id = x.occurrence_id
           JOIN households h ON h.id = x.household_id WHERE x.status = 'sent' AND x.merged_into IS NULL"
}
check_eq "a month: nobody reminded twice on one day" "" "$(sent_rows | sort | uniq -d)"
check_eq "a month: nobody reminded more than four times in any 7 days" "" \
        "$(sent_rows | /usr/bin/python3 -c '
import sys, datetime, collections
days = collections.defaultdict(list)
for line in sys.stdin:
    unit, day = line.split()
    days[unit].append(datetime.date.fromisoformat(day))
for unit, ds in sorted(days.items()):
    for d in ds:
        n = sum(1 for e in ds if d - datetime.timedelta(days=6) <= e <= d)
        if n > 4:
            print(unit, d, n)')"
check_eq "a month: the unclear household reminded as often as the caps allow, until it paid on day 20" \
        "$(for n in 1 2 3 4 8 9 10 11 15 16 17 18; do printf 'unclear-daily@%s ' "$(day $n)"; done)" \
        "$(sent_days 1-1-104)"
check_eq "a month: after paying, out of every selection" 0 \
        "$(S "SELECT COUNT(*) FROM dispatches x JOIN occurrences o ON o.id = x.occurrence_id JOIN households h
              ON h.id = x.household_id WHERE h.unit = '1-1-104' AND substr(o.at, 1, 10) >= '$(day 20)'")"
check_contains "a month: away, promised on day 12: reminded the eve of it, not daily meanwhile" \
        "away-daily@$(day 11) promise-eve@$(day 17) unclear-daily@$(day 19) " "$(sent_days 1-1-105)"
check_eq "a month: ... broken the day after, daily as unclear from then on" \
        "unclear|unclear-daily@$(day 19)" \
        "$(cat_of 1-1-105)|$(S "SELECT o.schedule || '@' || substr(o.at, 1, 10) FROM dispatches x JOIN occurrences o
              ON o.id = x.occurrence_id JOIN households h ON h.id = x.household_id WHERE h.unit = '1-1-105'
              AND x.status = 'sent' AND o.schedule = 'unclear-daily' ORDER BY o.at LIMIT 1")"
check_contains "a month: ... with the reason in the history" \
        "unclear:承诺 $(day 18) 缴费，未兑现 (promise of $(day 18) not kept)" "$(history_notes 1-1-105)"
check_eq "a month: the disputed household never reminded" 0 \
        "$(S "SELECT COUNT(*) FROM dispatches x JOIN households h ON h.id = x.household_id WHERE h.unit = '1-1-106'")"
check_eq "a month: the live database is still untouched" "$live_before" "$(sqlite3 d.db .dump | md5sum)"

# a simulation file that is not a copy is refused; running a simulated day again adds nothing
cp d.db not-a-copy.db
out=$(D run unclear-daily --at "$(day 9) 10:30" --simulate not-a-copy.db 2>&1); rc=$?
check_eq "--simulate on a file that is not a copy: exit 2" 2 "$rc"
check_contains "... says so" "is not a simulation copy made by --simulate" "$out"
n=$(S "SELECT COUNT(*) FROM dispatches WHERE status = 'sent'")
simulate unclear-daily "$(day 8)" 10:30
check_eq "a simulated occurrence run again sends nothing new" "$n" "$(S "SELECT COUNT(*) FROM dispatches WHERE status = 'sent'")"

# --- the live database: a run for a time to come is refused -------------------------------
out=$(D run unclear-daily --at "$(day 3) 10:30" 2>&1); rc=$?
check_eq "run --at a future time: exit 2" 2 "$rc"
check_contains "... points at preview and --simulate" \
        "is in the future: a run sends now, and would change the database as if it were then. See what it would send with 'dunnctl preview unclear-daily --at \"$(day 3) 10:30\"', or try it on a copy with '--simulate FILE'" "$out"
check_eq "... and the live database is untouched" "$live_before" "$(sqlite3 d.db .dump | md5sum)"

# --- quiet hours: run waits (or refuses with --no-wait) ------------------------------------
now_min=$((10#$(TZ=Asia/Shanghai date +%H) * 60 + 10#$(TZ=Asia/Shanghai date +%M)))
hhmm() { printf '%02d:%02d' $(( ($1 + 1440) % 1440 / 60 )) $(( ($1 + 1440) % 60 )); }
qstart=$(hhmm $((now_min - 60))) qend=$(hhmm $((now_min + 120)))
mkconf q.conf -e "s|^quiet_hours = .*|quiet_hours = { start = \"$qstart\"; end = \"$qend\"; };|"
past="$(day -1) 10:30"
out=$("$DUNNCTL" -c q.conf run unclear-daily --at "$past" --no-wait 2>&1); rc=$?
check_eq "inside quiet hours, --no-wait: exit 75" 75 "$rc"
check_contains "... says until when" "inside quiet hours until $qend; nothing planned or sent" "$out"
check_eq "... and planned nothing" 0 "$(sqlite3 d.db "SELECT COUNT(*) FROM occurrences")"
"$DUNNCTL" -c q.conf run unclear-daily --at "$past" > q.out 2> q.err &
qpid=$!
for _ in $(seq 50); do grep -q "sending starts at" q.err 2>/dev/null && break; sleep 0.1; done
check_contains "inside quiet hours, run waits and says until when" \
        "unclear-daily@$(day -1)T10:30: inside quiet hours; sending starts at " "$(cat q.err)"
check_eq "... with the occurrence planned and nothing sent" "1|0" \
        "$(sqlite3 d.db "SELECT COUNT(*), (SELECT COUNT(*) FROM dispatches WHERE status = 'sent') FROM occurrences")"
kill -TERM $qpid; wait $qpid
check_eq "... nothing reached the carrier while it waited" 0 "$(cat outbox-sms.jsonl 2>/dev/null | wc -l)"
out=$("$DUNNCTL" -c q.conf run unclear-daily --at "$past" --ignore-quiet-hours 2>&1); rc=$?
check_eq "--ignore-quiet-hours sends now" "0|1" \
        "$rc|$(sqlite3 d.db "SELECT COUNT(*) FROM dispatches WHERE status = 'sent'")"

# --- a partial payment between the plan and the send ---------------------------------------
# one message a second, stopped after the first: the others wait, planned
mkconf r.conf -e 's|^quiet_hours = .*|quiet_hours = { start = "00:00"; end = "00:00"; };|' \
              -e 's|^caps = .*|caps = { per_day = 0; per_week = 0; };|' \
              -e 's|path = "'"$T"'/outbox-sms.jsonl";|path = "'"$T"'/outbox-sms.jsonl"; rate = 1; burst = 1;|'
"$DUNNCTL" -c r.conf run deadline --at "$past" --ignore-holidays --quiet > r.out 2>&1 &
rpid=$!
sleep 1; kill -TERM $rpid; wait $rpid
key="deadline@$(day -1)T10:30"
pending=$(sqlite3 d.db "SELECT h.unit FROM dispatches x JOIN households h ON h.id = x.household_id
                        JOIN occurrences o ON o.id = x.occurrence_id WHERE o.key = '$key' AND x.status = 'pending'
                        ORDER BY h.unit LIMIT 1")
if [ -z "$pending" ]; then
        nok "a stopped run leaves rows pending (none were)"
else
        ok "a stopped run leaves rows pending"
        "$DUNNCTL" -c r.conf pay "$pending" 120.00 --date "$TODAY" >/dev/null
        "$DUNNCTL" -c r.conf run deadline --at "$past" --ignore-holidays --quiet >/dev/null 2>&1
        row() { sqlite3 d.db "SELECT $1 FROM dispatches x JOIN households h ON h.id = x.household_id
                              JOIN occurrences o ON o.id = x.occurrence_id WHERE o.key = '$key' AND h.unit = '$pending'"; }
        check_eq "part paid: sent with the amount owed now" "sent|18000|30000" "$(row "status || '|' || amount || '|' || planned_amount")"
        check_contains "part paid: the text that went out names 180.00" "180.00" "$(row text)"
        check_contains "part paid: the planned text (300.00) is kept beside it" "300.00" "$(row planned_text)"
        check_contains "part paid: the carrier got the new text" "180.00" "$(grep "$pending" outbox-sms.jsonl)"
        check_contains "part paid: dunnctl log shows both texts" "300.00" \
                "$("$DUNNCTL" -c r.conf log --occurrence "$key" --unit "$pending" --format json |
                   /usr/bin/python3 -c 'import json,sys; r = json.load(sys.stdin)[0]; print(r["text"].count("180.00"), r["planned_text"])')"
fi
check_eq "nobody got two texts of one occurrence" "" \
        "$(/usr/bin/python3 -c 'import json,sys,collections
c = collections.Counter((m["occurrence"], m["recipient"]) for m in map(json.loads, open(sys.argv[1])))
print(" ".join(f"{o}:{r}" for (o, r), n in c.items() if n > 1))' outbox-sms.jsonl)"

# --- the daemon closes due promises by itself (at start, and after each midnight) --------
sqlite3 d.db "UPDATE households SET category = 'promised', promise_date = '$(day -2)',
              promise_owed = balance WHERE unit = '1-1-104' AND balance > 0"
mkconf dn.conf -e 's|^quiet_hours = .*|quiet_hours = { start = "00:00"; end = "00:00"; };|' \
               -e 's|when = "[^"]*";|when = "2099-01-01 00:00";|'
"$DUNND" -c dn.conf > dn.log 2>&1 &
dpid=$!
for _ in $(seq 50); do grep -q "ready:" dn.log && break; sleep 0.1; done
kill -TERM $dpid; wait $dpid
check_contains "dunnd at start: a promise two days past, unpaid, is broken" \
        "promises: 0 kept, 1 broken (moved to unclear)" "$(cat dn.log)"
check_eq "... the household is unclear, with the reason" \
        "unclear|承诺 $(day -2) 缴费，未兑现 (promise of $(day -2) not kept)" \
        "$(sqlite3 d.db "SELECT h.category || '|' || c.note FROM households h JOIN category_history c ON c.household_id = h.id
                         WHERE h.unit = '1-1-104' ORDER BY c.id DESC LIMIT 1")"
