#!/bin/bash
# The real dunnd against a real SQLite file and the file carrier, with NOTIFY_SOCKET pointing
# at a datagram socket this test reads: READY=1, a schedule firing, STATUS= progress,
# WATCHDOG=1, SIGHUP with a broken and a good config, SIGTERM mid-run and resume without a
# duplicate, catch-up inside and outside the window, quiet hours.
. "$TOP/tests/integration/lib.sh"
: "${DUNND:?}"
[ -x "$DUNND" ] || { nok "dunnd is built"; exit 1; }
cd "$T"
"$TOP/scripts/sample-data" 2000 data --seed 3 --today 2026-12-10 2>/dev/null

# mkdb DB: a database with the sample households
mkdb() {
        "$DUNNCTL" --db "$1" init >/dev/null
        for k in households charges payments categories; do
                "$DUNNCTL" --db "$1" import $k data/$k.csv --at 2026-12-10 >/dev/null || return 1
        done
}
# mkconf FILE DB OUT 'SCHEDULES' [CARRIER-EXTRA] [QUIET-START QUIET-END]
mkconf() {
        set -- "$1" "$2" "$3" "$4" "${5:-}" "${6:-00:00}" "${7:-00:00}"
        cat > "$1" <<EOF
database = "$2";
timezone = "UTC";
plugin_dir = "$PLUGIN_DIR";
signature = "【测试物业】";
quiet_hours = { start = "${6:-00:00}"; end = "${7:-00:00}"; };
# schedules here fire every few seconds: the daily caps would skip all but the first
caps = { per_day = 0; per_week = 0; };
carriers = ( { name = "local"; plugin = "file"; channel = "sms"; path = "$3"; sync = false; $5 } );
templates = { t = "{{signature}}{{owner}}您好，{{unit}}物业费{{amount}}元尚未缴纳。如已缴纳，请忽略本信息。"; };
schedules = ( $4 );
EOF
}
ALL='categories = ["new", "promised", "unclear", "unreachable", "away"]; template = "t";'
# wait_for SECONDS COMMAND...: polls every 0.2 s
wait_for() {
        local deadline=$((SECONDS + $1)); shift
        while [ $SECONDS -lt $deadline ]; do "$@" && return 0; sleep 0.2; done
        "$@"
}
lines() { if [ -f "$1" ]; then grep -c "${2:-}" "$1"; else echo 0; fi; }
has() { [ -f "$2" ] && grep -q "$1" "$2"; }   # has PATTERN FILE, quietly false if no file
start_dunnd() {    # start_dunnd CONF LOG [env...]
        local conf=$1 log=$2; shift 2
        env "$@" "$DUNND" -c "$conf" >>"$log" 2>&1 &
        DPID=$!
        on_exit "kill -9 $DPID"
}
stop_dunnd() {
        kill -TERM "$DPID" 2>/dev/null
        wait "$DPID"
}

# --- a schedule fires; READY, STATUS, WATCHDOG ------------------------------------------
mkdb a.db || nok "sample data imports"
mkconf a.conf "$T/a.db" "$T/a.jsonl" "{ name = \"tick\"; when = \"*:*:0/5\"; catch_up = 0; $ALL }"
/usr/bin/python3 "$TOP/tests/peers/notify-sink.py" "$T/notify" "$T/notify.log" --timeout 120 &
NPID=$!
on_exit "kill $NPID"
wait_for 5 test -S "$T/notify"
start_dunnd a.conf a.log NOTIFY_SOCKET="$T/notify" WATCHDOG_USEC=1000000
check "READY=1 arrives" wait_for 5 grep -q 'READY=1' notify.log
check "idle STATUS names the next elapse" wait_for 5 grep -q 'STATUS=Idle; next: tick at' notify.log
check "the schedule fires within 5 s and reaches the file carrier" wait_for 8 has '"occurrence":"tick@' a.jsonl
check "STATUS= reports progress during the run" wait_for 3 grep -Eq 'STATUS=tick@[0-9T:-]+: [0-9]+/[0-9]+ sent' notify.log
# WATCHDOG_USEC=1 s: a ping every 0.5 s; the gaps between pings are measured
wd_count() { test "$(grep -c 'WATCHDOG=1' notify.log)" -ge "$1"; }
wait_for 8 wd_count 10
gaps=$(grep 'WATCHDOG=1' notify.log | awk 'NR > 1 { printf "%.2f\n", $1 - prev } { prev = $1 }')
n_wd=$(echo "$gaps" | wc -l)
max_gap=$(echo "$gaps" | sort -n | tail -1)
median_gap=$(echo "$gaps" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
[ "$n_wd" -ge 9 ] && ok "WATCHDOG=1 keeps coming ($((n_wd + 1)) pings)" || nok "WATCHDOG=1 keeps coming ($n_wd)"
# the median says "half"; the largest gap (scheduling noise on a busy machine) must stay
# well inside the 1 s the watchdog allows
awk -v m="$median_gap" -v g="$max_gap" 'BEGIN { exit !(m > 0.4 && m < 0.6 && g < 0.9) }' \
        && ok "WATCHDOG=1 at half of WATCHDOG_USEC (median gap ${median_gap}s, largest ${max_gap}s)" \
        || nok "WATCHDOG=1 at half of WATCHDOG_USEC (median gap ${median_gap}s, largest ${max_gap}s)"
check_eq "each tick occurrence reaches each household once" "" \
        "$(/usr/bin/python3 -c '
import json,sys,collections
c=collections.Counter((m["occurrence"],m["unit"]) for m in map(json.loads,open(sys.argv[1])))
print(" ".join(f"{o}/{u}" for (o,u),n in c.items() if n>1))' a.jsonl)"

# --- SIGHUP with a broken config keeps the old one --------------------------------------
cp a.conf a.good
echo 'bogus_key = 1;' >> a.conf
bad_line=$(wc -l < a.conf)
occ_before=$(grep -o '"occurrence":"tick@[^"]*"' a.jsonl | sort -u | wc -l)
kill -HUP "$DPID"
check "broken reload: each error logged with FILE:LINE" wait_for 3 grep -q "a.conf:$bad_line: unknown key 'bogus_key'" a.log
check "broken reload: RELOADING=1 then READY=1" wait_for 3 grep -q 'RELOADING=1|MONOTONIC_USEC=[0-9]*$' notify.log
check "broken reload: STATUS says the old config runs" wait_for 3 grep -q 'Reload failed; running the previous configuration' notify.log
sleep 6
occ_after=$(grep -o '"occurrence":"tick@[^"]*"' a.jsonl | sort -u | wc -l)
[ "$occ_after" -gt "$occ_before" ] && ok "the old schedule keeps firing after a broken reload" \
        || nok "the old schedule keeps firing after a broken reload ($occ_before -> $occ_after)"

# --- SIGHUP with a good config applies it -----------------------------------------------
sed -e 's/您好，/你好！/' a.good > a.conf
kill -HUP "$DPID"
check "good reload: logged" wait_for 3 grep -q 'reloaded: 1 schedules' a.log
check "good reload: new occurrences use the new template" wait_for 8 has '你好！' a.jsonl

# --- SIGTERM: STOPPING=1 and exit 0 -----------------------------------------------------
stop_dunnd; rc=$?
check_eq "SIGTERM: exit status 0" 0 "$rc"
check "SIGTERM: STOPPING=1" grep -q 'STOPPING=1' notify.log

# --- SIGTERM in the middle of a large run; the next start finishes it, nobody twice -----
mkdb b.db || nok "sample data imports"
# rate 150/s: the catch-up run of ~450 messages takes ~3 s
mkconf b.conf "$T/b.db" "$T/b.jsonl" "{ name = \"big\"; when = \"*-*-* 00:00\"; catch_up = \"1d\"; $ALL }" \
        "rate = 150; burst = 1;"
start_dunnd b.conf b.log
wait_for 5 test -s b.jsonl
sleep 0.7
stop_dunnd; rc=$?
check_eq "SIGTERM mid-run: exit status 0" 0 "$rc"
pending=$(sqlite3 b.db "SELECT COUNT(*) FROM dispatches WHERE status = 'pending'")
sent1=$(lines b.jsonl)
[ "$pending" -gt 0 ] && ok "SIGTERM mid-run: the rest stays queued ($sent1 sent, $pending pending)" \
        || nok "SIGTERM mid-run: the rest stays queued (pending=$pending)"
check_eq "SIGTERM mid-run: nothing left half-sent" 0 "$(sqlite3 b.db "SELECT COUNT(*) FROM dispatches WHERE status IN ('sending','unknown')")"
start_dunnd b.conf b.log
none_pending() { test "$(sqlite3 "$1" "SELECT COUNT(*) FROM dispatches WHERE status = 'pending'")" = 0; }
check "restart: the run is resumed and finished" wait_for 15 none_pending b.db
sleep 0.5
stop_dunnd
sent=$(sqlite3 b.db "SELECT COUNT(*) FROM dispatches WHERE status = 'sent'")
check_eq "restart: every sent row is one line" "$sent" "$(lines b.jsonl)"
check_eq "restart: no household reminded twice" "" \
        "$(/usr/bin/python3 -c '
import json,sys,collections
c=collections.Counter(m["unit"] for m in map(json.loads,open(sys.argv[1])))
print(" ".join(u for u,n in c.items() if n>1))' b.jsonl)"
check_eq "restart: one occurrence" 1 "$(sqlite3 b.db "SELECT COUNT(*) FROM occurrences")"

# --- catch-up: inside the window runs once, outside does not ----------------------------
mkdb c.db || nok "sample data imports"
recent=$(date -u -d '-10 min' +%H:%M)
old=$(date -u -d '-3 hours' +%H:%M)
mkconf c.conf "$T/c.db" "$T/c.jsonl" \
        "{ name = \"recent\"; when = \"*-*-* $recent\"; catch_up = \"1h\"; $ALL },
         { name = \"old\"; when = \"*-*-* $old\"; catch_up = \"1h\"; $ALL }"
start_dunnd c.conf c.log            # no NOTIFY_SOCKET: it just logs
check "catch-up: a missed occurrence inside the window runs after start" \
        wait_for 10 grep -q "recent@.*: done" c.log
stop_dunnd
n_recent=$(lines c.jsonl '"occurrence":"recent@')
[ "$n_recent" -gt 0 ] && ok "catch-up: its messages went out ($n_recent)" || nok "catch-up: its messages went out"
check_eq "catch-up: one outside the window does not run" 0 "$(lines c.jsonl '"occurrence":"old@')"
start_dunnd c.conf c.log
wait_for 5 grep -q "ready" c.log
sleep 1
stop_dunnd
check_eq "catch-up: a second start does not run it again" "$n_recent" "$(lines c.jsonl '"occurrence":"recent@')"
check_eq "catch-up: one occurrence in the store" 1 "$(sqlite3 c.db "SELECT COUNT(*) FROM occurrences WHERE key LIKE 'recent@%'")"

# --- quiet hours: nothing is sent inside them -------------------------------------------
mkdb q.db || nok "sample data imports"
qs=$(date -u -d '-1 hour' +%H:%M)
qe=$(date -u -d '+1 hour' +%H:%M)
mkconf q.conf "$T/q.db" "$T/q.jsonl" "{ name = \"recent\"; when = \"*-*-* $recent\"; catch_up = \"1h\"; $ALL }" \
        "" "$qs" "$qe"
start_dunnd q.conf q.log
check "quiet hours: the run waits and says until when" wait_for 5 grep -q "inside quiet hours; sending resumes at $qe" q.log
sleep 2
check_eq "quiet hours: nothing sent" 0 "$(lines q.jsonl)"
check "quiet hours: the occurrence is planned and pending" \
        test "$(sqlite3 q.db "SELECT COUNT(*) FROM dispatches WHERE status = 'pending'")" -gt 0
stop_dunnd; rc=$?
check_eq "quiet hours: stops cleanly" 0 "$rc"

# --- --check and a bad config at start ---------------------------------------------------
check "--check accepts a good config" "$DUNND" -c a.good --check
echo 'bogus_key = 1;' >> q.conf
out=$("$DUNND" -c q.conf --check 2>&1); rc=$?
check_eq "--check: a bad config exits 78" 78 "$rc"
check_contains "--check: FILE:LINE" "q.conf:$(wc -l < q.conf): unknown key 'bogus_key'" "$out"
"$DUNND" -c q.conf >/dev/null 2>&1; rc=$?
check_eq "start with a bad config exits 78 (no restart loop)" 78 "$rc"
