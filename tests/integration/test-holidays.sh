#!/bin/bash
# Working days and holidays with the real programs: the shipped playbook and its holidays.conf
# (the January collection never fires on 元旦), the next firing deferred over 春节, a make-up
# Saturday that fires, the 14th and 15th over a weekend coalescing into one occurrence,
# `dunnctl run` refused on a day off (nothing written) unless --ignore-holidays, errors in
# holidays.conf named FILE:LINE, and dunnd itself deferring today's elapses when today is
# made a day off, both for its timers and for its catch-up on start.
. "$TOP/tests/integration/lib.sh"
: "${DUNND:?}"
cd "$T"

sed -e "s|^database = .*|database = \"$T/d.db\";|" -e "s|/var/lib/dunnd/|$T/|" \
    -e "s|^# plugin_dir = .*|plugin_dir = \"$PLUGIN_DIR\";|" \
    -e 's|start = "21:00"; end = "08:00"|start = "00:00"; end = "00:00"|' "$TOP/etc/dunnd.conf" > c.conf
cp "$TOP/etc/holidays.conf" .
D() { "$DUNNCTL" -c "$T/c.conf" "$@"; }
# next SCHEDULE AT: the schedule's "next" cell, from the csv output
next() { D schedules --at "$2" 2>/dev/null | grep "^$1 " | sed -E 's/  +/\t/g' | cut -f3; }

check "the shipped playbook with its holidays.conf passes check-config" D check-config

# --- the shipped calendar ---------------------------------------------------------------
check_eq "2027: the January collection goes out on 01-04, not on 元旦" \
        "2027-01-04 10:00:00 CST (deferred from 2027-01-01, 元旦)" "$(next collection '2026-12-20 12:00')"
check_eq "2026: the January collection goes out on the make-up Sunday 01-04 (调休)" \
        "2026-01-04 10:00:00 CST (deferred from 2026-01-01, 元旦)" "$(next collection '2025-12-20 12:00')"
check_eq "July 1st, a Wednesday, is not deferred" "2026-07-01 10:00:00 CST" "$(next collection '2026-06-20 12:00')"
check_eq "deadline over 春节: the 15th fires on the 24th" \
        "2026-02-24 09:30:00 CST (deferred from 2026-02-15, 春节)" "$(next deadline '2026-02-14 12:00')"
check_eq "deadline on the make-up Saturday 2026-02-14: fires that day" \
        "2026-02-14 09:30:00 CST" "$(next deadline '2026-02-01 00:00')"
check_eq "deadline 14th/15th on a weekend: one firing on Monday, named after the 14th" \
        "2026-03-16 09:30:00 CST (deferred from 2026-03-14, weekend)" "$(next deadline '2026-03-01 00:00')"
check_eq "... and after it nothing until April: the 15th is the same occurrence" \
        "2026-04-14 09:30:00 CST" "$(next deadline '2026-03-16 09:30')"
check_eq "a schedule without working_days_only is not deferred" \
        "2026-02-15 10:30:00 CST" "$(next unclear-daily '2026-02-15 00:00')"
out=$(D schedules --at '2026-02-14 12:00' 2>&1)
check_contains "schedules marks working_days_only schedules" "*-*-14,15 09:30 (working days)" "$out"
out=$(D schedules --at '2026-12-20 12:00' 2>&1 >/dev/null)
check_contains "a year the calendar does not hold in full is warned about, FILE:LINE" \
        "c.conf:$(($(grep -n 'name = "collection"' c.conf | cut -d: -f1) - 1)): warning: schedule 'collection'" "$out"
check_contains "... naming the year" "does not hold 2027 (holidays.years)" "$out"
out=$(D schedules --at '2026-06-01 12:00' 2>&1 >/dev/null)
check_eq "no warning while the next elapses are in 2026" "" "$out"

# --- dunnctl run on a day off -------------------------------------------------------------
"$TOP/scripts/sample-data" 40 data --seed 11 --today 2026-02-10 2>/dev/null
D init >/dev/null
for k in households charges payments categories; do D import $k data/$k.csv >/dev/null; done
dbsum() { sha256sum "$T/d.db" | cut -d' ' -f1; }
occ() { sqlite3 d.db "SELECT COUNT(*) FROM occurrences WHERE key = '$1'"; }
sum0=$(dbsum)
out=$(D run deadline --at '2026-02-15 09:30' 2>&1); rc=$?
check_eq "run on a day off (春节): exit 2" 2 "$rc"
check_contains "... says which day and holiday" "2026-02-15 is a day off (春节)" "$out"
check_contains "... and when it fires instead" "the next working day, 2026-02-24" "$out"
check_contains "... and how to send anyway" "--ignore-holidays" "$out"
check_eq "... the database is byte-for-byte unchanged" "$sum0" "$(dbsum)"
check_eq "... nothing in the outbox" 0 "$(cat outbox-sms.jsonl 2>/dev/null | wc -l)"
out=$(D run deadline --at '2026-03-14 09:30' 2>&1); rc=$?
check_eq "run on an ordinary Saturday: exit 2" 2 "$rc"
check_contains "... a weekend" "2026-03-14 is a day off (weekend)" "$out"
out=$(D run deadline --at '2026-02-14 09:30' --quiet 2>&1); rc=$?
check_eq "run on the make-up Saturday 2026-02-14: it runs" 0 "$rc"
check_eq "... occurrence deadline@2026-02-14T09:30" 1 "$(occ 'deadline@2026-02-14T09:30')"
out=$(D run deadline --at '2026-02-15 09:30' --ignore-holidays --quiet 2>&1); rc=$?
check_eq "--ignore-holidays runs it on a day off" 0 "$rc"
check_eq "... occurrence deadline@2026-02-15T09:30" 1 "$(occ 'deadline@2026-02-15T09:30')"
check "a schedule without working_days_only runs on a day off" \
        D run unclear-daily --at '2026-02-15 10:30' --quiet
out=$(D preview deadline --at '2026-02-15 09:30' 2>&1); rc=$?
check_eq "preview on a day off still shows who would be reminded" 0 "$rc"

# --- errors in holidays.conf --------------------------------------------------------------
cp holidays.conf holidays.good
sed -i 's|off = "2026-10-01..2026-10-07"|off = "2026-10-07..2026-10-01"|' holidays.conf
line=$(grep -n '2026-10-07..2026-10-01' holidays.conf | cut -d: -f1)
out=$(D check-config 2>&1); rc=$?
check_eq "a backwards range: check-config exits 2" 2 "$rc"
check_contains "... naming holidays.conf:LINE beside the main file" \
        "$T/holidays.conf:$line: holidays: range '2026-10-07..2026-10-01' ends before it starts" "$out"
cp holidays.good holidays.conf
sed -i 's|work = "2026-05-09"|work = "2026-05-08"|' holidays.conf
out=$(D check-config 2>&1); rc=$?
check_eq "a make-up working day on a Friday: exit 2" 2 "$rc"
check_contains "... said so" "2026-05-08 is not a Saturday or Sunday" "$out"
cp holidays.good holidays.conf
sed -i 's|work = \[ "2026-09-20", "2026-10-10" \]|work = [ "2026-10-03" ]|' holidays.conf
out=$(D check-config 2>&1); rc=$?
check_eq "a date both off and worked: exit 2" 2 "$rc"
check_contains "... said so" "2026-10-03 is listed twice" "$out"
cp holidays.good holidays.conf
rm holidays.conf
out=$(D check-config 2>&1); rc=$?
check_eq "a missing holidays.conf: exit 2" 2 "$rc"
check_contains "... naming the include" "cannot open include file" "$out"
cp holidays.good holidays.conf

# --- the daemon: today made a day off -------------------------------------------------------
# Own calendar: today is a day off. A working_days_only schedule elapsing every 2 s today
# must not fire and must be armed for the next working day; the same schedule without it
# fires. At start, catch-up of today's 00:00 runs for the plain schedule only.
today=$(TZ=Asia/Shanghai date +%F)
nwd=$today
while :; do
        nwd=$(date -d "$nwd + 1 day" +%F)
        case $(date -d "$nwd" +%u) in 6|7) ;; *) break ;; esac
done
cat > dd.conf <<CONF
database = "$T/dd.db";
timezone = "Asia/Shanghai";
plugin_dir = "$PLUGIN_DIR";
quiet_hours = { start = "00:00"; end = "00:00"; };
holidays = { periods = ( { name = "测试假日"; off = "$today"; } ); };
carriers = ( { name = "local"; plugin = "file"; channel = "sms"; path = "$T/dd.jsonl"; } );
templates = { t = "{{owner}}您好，{{unit}}物业费{{amount}}元尚未缴纳。如已缴纳，请忽略本信息。"; };
schedules = (
  { name = "wd"; when = "*:*:0/2"; working_days_only = true; catch_up = 0; template = "t"; },
  { name = "plain"; when = "*:*:0/2"; catch_up = 0; template = "t"; },
  { name = "wd-midnight"; when = "*-*-* 00:00"; working_days_only = true; catch_up = "1d"; template = "t"; },
  { name = "plain-midnight"; when = "*-*-* 00:00"; catch_up = "1d"; template = "t"; }
);
CONF
"$DUNNCTL" -c dd.conf init >/dev/null
for k in households charges payments categories; do "$DUNNCTL" -c dd.conf import $k data/$k.csv >/dev/null; done
"$DUNND" -c dd.conf > dd.log 2>&1 &
dpid=$!
on_exit "kill -9 $dpid"
for i in $(seq 50); do grep -q "plain@.*: done" dd.log && break; sleep 0.2; done
sleep 3
kill -TERM $dpid; wait $dpid
docc() { sqlite3 dd.db "SELECT COUNT(*) FROM occurrences WHERE schedule = '$1'"; }
check "dunnd: the plain schedule fired today" test "$(docc plain)" -ge 1
check_eq "dunnd: the working_days_only one did not, today being a day off" 0 "$(docc wd)"
check_contains "dunnd: it was armed for the next working day, and said so" \
        "schedule 'wd': the elapse of $today" "$(cat dd.log)"
check_contains "... deferred to $nwd 00:00 (测试假日)" "falls on a day off (测试假日); deferred to $nwd 00:00" "$(cat dd.log)"
check_eq "dunnd catch-up: today's 00:00 caught up for the plain schedule" 1 \
        "$(sqlite3 dd.db "SELECT COUNT(*) FROM occurrences WHERE key = 'plain-midnight@${today}T00:00'")"
check_eq "dunnd catch-up: not for the working_days_only one (it fires on $nwd)" 0 "$(docc wd-midnight)"
