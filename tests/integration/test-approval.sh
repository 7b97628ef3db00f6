#!/bin/bash
# Approval of occurrences, end to end with the real dunnctl and dunnd on real databases and
# the file carrier: a schedule with approval = true prepares and sends nothing (run, a second
# run, the daemon's catch-up); show lists it; payments before the approval are honoured at
# the send (paid in full: cancelled; paid in part: the new amount); approve sends each
# message once and records who; a second approve, or a reject after it, is refused; reject
# cancels with the reason; an occurrence nobody approved expires (dunnctl and the daemon),
# and is then refused; the daemon resumes an approved occurrence an interrupted approve left
# unfinished, and never one that waits.
. "$TOP/tests/integration/lib.sh"
: "${DUNND:?}"
cd "$T"

# the shipped playbook, its paths moved here; spring-festival is its approval schedule
mkconf() {      # mkconf FILE DBFILE OUTDIR
        sed -e "s|^database = .*|database = \"$2\";|" \
            -e "s|/var/lib/dunnd/|$3/|" \
            -e "s|^# plugin_dir = .*|plugin_dir = \"$PLUGIN_DIR\";|" \
            "$TOP/etc/dunnd.conf" > "$1"
        cp "$TOP/etc/holidays.conf" "$(dirname "$1")/"
}
mkconf c.conf "$T/d.db" "$T"
D() { "$DUNNCTL" -c "$T/c.conf" "$@"; }
lines() { if [ -f "$1" ]; then grep -c "${2:-}" "$1"; else echo 0; fi; }
sms() { lines "$T/outbox-sms.jsonl" "$@"; }
q() { sqlite3 "$T/d.db" "$@"; }
json() { /usr/bin/python3 -c "import json,sys; rows=json.load(sys.stdin); $1"; }
# runs stand for times that have come, in the office's zone; tests run at any hour
DAY=$(TZ=Asia/Shanghai date -d yesterday +%F)
DAY2=$(TZ=Asia/Shanghai date -d '2 days ago' +%F)
DAY3=$(TZ=Asia/Shanghai date -d '3 days ago' +%F)
KEY="spring-festival@${DAY}T10:00"
TODAY=$(TZ=Asia/Shanghai date +%F)

"$TOP/scripts/sample-data" 60 data --seed 11 --today "$TODAY" 2>/dev/null
D init >/dev/null
for k in households charges payments categories; do
        D import $k data/$k.csv --at "$TODAY" >/dev/null || nok "import $k"
done
check "the shipped config with its approval schedule is valid" D check-config

# --- run prepares, sends nothing --------------------------------------------------------
out=$(D run spring-festival --at "$DAY 10:00" --ignore-quiet-hours 2>&1); rc=$?
check_eq "run of an approval schedule: exit 0" 0 "$rc"
n=$(q "SELECT COUNT(*) FROM dispatches d JOIN occurrences o ON o.id = d.occurrence_id WHERE o.key = '$KEY' AND status = 'pending'")
[ "$n" -gt 2 ] && ok "it planned pending messages ($n)" || nok "it planned pending messages ($n)"
check_contains "run says what waits and what to do" \
        "$KEY: prepared, $n messages wait for approval: dunnctl show $KEY, then dunnctl approve $KEY" "$out"
check_eq "nothing was sent" 0 "$(sms)"
check_eq "the occurrence waits, with its expiry two days ahead" "waiting|1" \
        "$(q "SELECT approval, abs(strftime('%s', expires_at) - strftime('%s', created_at) - 172800) < 5 FROM occurrences WHERE key = '$KEY'")"
out=$(D run spring-festival --at "$DAY 10:00" --ignore-quiet-hours 2>&1); rc=$?
check_eq "a second run: exit 0" 0 "$rc"
check_contains "a second run finds it planned and waiting" "(already planned by an earlier run" "$out"
check_eq "a second run sends nothing either" 0 "$(sms)"
check_eq "... and plans nothing new" "$n" "$(q "SELECT COUNT(*) FROM dispatches WHERE status = 'pending'")"

# --- show -------------------------------------------------------------------------------
out=$(D show "$KEY" 2>&1); rc=$?
check_eq "show: exit 0" 0 "$rc"
check_contains "show: the approval state and its expiry" "approval     waiting for approval until" "$out"
check_contains "show: SMS parts and cost still to send" "SMS to send  $n SMS, $n parts, $(printf '0.%02d' $((n * 5))) yuan (5 fen a part)" "$out"
check_contains "show: masks recipients" "****" "$out"
check_contains "show: says how to decide" "dunnctl approve $KEY sends it" "$out"
shown=$(D show "$KEY" --format json | json 'print(sum(1 for r in rows if r["status"] == "pending"))')
check_eq "show --format json: one row per pending message" "$n" "$shown"
phone=$(q "SELECT recipient FROM dispatches WHERE channel = 'sms' AND status = 'pending' ORDER BY id LIMIT 1")
check_contains "show --reveal: the full number" "$phone" "$(D show "$KEY" --reveal)"
check_contains "show --text: each text" "春节将至" "$(D show "$KEY" --text)"

# --- payments between preparation and approval ------------------------------------------
read -r full_unit full_amount part_unit part_amount < <(D show "$KEY" --format json | json '
p=[r for r in rows if r["status"] == "pending" and r["channel"] == "sms"]
print(p[0]["unit"], p[0]["amount"], p[1]["unit"], p[1]["amount"])')
D pay "$full_unit" "$full_amount" --method 微信 >/dev/null || nok "pay $full_unit in full"
D pay "$part_unit" 10.00 --method 现金 >/dev/null || nok "pay part of $part_unit"
left=$(/usr/bin/python3 -c "print(f'{float(\"${part_amount//,/}\") - 10:.2f}')")

# --- approve ----------------------------------------------------------------------------
out=$(SUDO_USER=李会计 D approve "$KEY" --ignore-quiet-hours 2>&1); rc=$?
check_eq "approve: exit 0" 0 "$rc"
check_contains "approve: says who approved" "$KEY: approved by 李会计 at" "$out"
check_eq "approve: who and when are recorded" "approved|李会计|1|done" \
        "$(q "SELECT approval, approval_by, approval_at IS NOT NULL, state FROM occurrences WHERE key = '$KEY'")"
check_eq "approve: every message but the paid one went out" "$((n - 1))" "$(( $(sms) + $(lines outbox-email.jsonl) ))"
check_eq "approve: the household that paid in full was not sent" 0 "$(sms "\"unit\":\"$full_unit\"")"
check_eq "... its row says why" "cancelled|paid before the send" \
        "$(q "SELECT d.status, d.error FROM dispatches d JOIN households h ON h.id = d.household_id WHERE h.unit = '$full_unit'")"
check_contains "approve: the one that paid part got what it owes now" "物业费${left}元" \
        "$(grep "\"unit\":\"$part_unit\"" outbox-sms.jsonl)"
check_eq "approve: nobody got the message twice" "" "$(cat outbox-*.jsonl | /usr/bin/python3 -c '
import json,sys,collections
c=collections.Counter(json.loads(l)["unit"] for l in sys.stdin)
print(" ".join(u for u,k in c.items() if k > 1))')"
before=$(( $(sms) + $(lines outbox-email.jsonl) ))
out=$(D approve "$KEY" --ignore-quiet-hours 2>&1); rc=$?
check_eq "a second approve is refused (exit 2), naming who and when" "2|dunnctl: cannot approve '$KEY': it was already approved by 李会计 at" "$rc|${out%% at *} at"
out=$(D reject "$KEY" 2>&1); rc=$?
check_eq "a reject after the approval is refused (exit 2)" 2 "$rc"
check_eq "... and neither sent anything" "$before" "$(( $(sms) + $(lines outbox-email.jsonl) ))"
check_contains "log shows why the row was cancelled" "paid before the send" \
        "$(D log --occurrence "$KEY" --status cancelled)"
check_contains "show: approved by whom" "approval     approved by 李会计 at" "$(D show "$KEY")"

# --- reject -----------------------------------------------------------------------------
KEY2="spring-festival@${DAY2}T10:00"
D run spring-festival --at "$DAY2 10:00" --ignore-quiet-hours >/dev/null
n2=$(q "SELECT COUNT(*) FROM dispatches d JOIN occurrences o ON o.id = d.occurrence_id WHERE o.key = '$KEY2' AND status = 'pending'")
out=$(D reject "$KEY2" --note 文案有误 --by 王经理 2>&1); rc=$?
check_eq "reject: exit 0, saying how many were cancelled" "0|$KEY2: rejected by 王经理: 文案有误; $n2 message(s) cancelled, nothing sent" "$rc|$out"
check_eq "reject: every message cancelled with the reason, the occurrence done" "$n2|rejected|王经理|done" \
        "$(q "SELECT (SELECT COUNT(*) FROM dispatches WHERE occurrence_id = o.id AND status = 'cancelled' AND error = 'rejected by 王经理: 文案有误'), approval, approval_by, state FROM occurrences o WHERE key = '$KEY2'")"
check_eq "reject: nothing sent" "$before" "$(( $(sms) + $(lines outbox-email.jsonl) ))"
out=$(D approve "$KEY2" --ignore-quiet-hours 2>&1); rc=$?
check_eq "approve after a rejection: exit 2" 2 "$rc"
check_contains "... saying it was rejected" "it was already rejected by 王经理 at" "$out"
out=$(D run spring-festival --at "$DAY2 10:00" --ignore-quiet-hours 2>&1); rc=$?
check_contains "a run of the rejected occurrence says so and sends nothing" "$KEY2: rejected by 王经理 at" "$out"
check_eq "... still nothing sent" "$before" "$(( $(sms) + $(lines outbox-email.jsonl) ))"

# --- expiry -----------------------------------------------------------------------------
sed -e 's/approval_expires = "2d";/approval_expires = "1s";/' c.conf > e.conf
grep -q 'approval_expires = "1s"' e.conf || nok "e.conf has a one-second expiry"
E() { "$DUNNCTL" -c "$T/e.conf" "$@"; }
KEY3="spring-festival@${DAY3}T10:00"
E run spring-festival --at "$DAY3 10:00" --ignore-quiet-hours >/dev/null
n3=$(q "SELECT COUNT(*) FROM dispatches d JOIN occurrences o ON o.id = d.occurrence_id WHERE o.key = '$KEY3' AND status = 'pending'")
sleep 2
check_eq "before anyone looks, it still says waiting in the database" waiting "$(q "SELECT approval FROM occurrences WHERE key = '$KEY3'")"
out=$(E approve "$KEY3" --ignore-quiet-hours 2>&1); rc=$?
check_eq "approve after the expiry: exit 2" 2 "$rc"
check_contains "... the expiry is noticed and said" "$KEY3 was not approved by" "$out"
check_contains "... and the refusal names it" "it was already expired at" "$out"
check_eq "expired: every message cancelled, not approved in time; the occurrence done" "$n3|expired|done" \
        "$(q "SELECT (SELECT COUNT(*) FROM dispatches WHERE occurrence_id = o.id AND status = 'cancelled' AND error = 'not approved in time'), approval, state FROM occurrences o WHERE key = '$KEY3'")"
check_eq "expired: nothing sent" "$before" "$(( $(sms) + $(lines outbox-email.jsonl) ))"
# dunnctl log expires what is due too (nobody ran show or approve on it)
KEY4="spring-festival@${DAY3}T11:00"
E run spring-festival --at "$DAY3 11:00" --ignore-quiet-hours >/dev/null
sleep 2
out=$(E log --occurrence "$KEY4" --status cancelled 2>/dev/null)
check_contains "log expires a due occurrence and shows why its rows are cancelled" "not approved in time" "$out"

# --- bad input --------------------------------------------------------------------------
sum=$(sha256sum d.db)
out=$(D approve 'spring-festival@2020-01-01T10:00' 2>&1); rc=$?
check_eq "approve of an unknown occurrence: exit 2" 2 "$rc"
check_contains "... naming it" "no occurrence 'spring-festival@2020-01-01T10:00'" "$out"
out=$(D approve "$KEY2" --by '' 2>&1); rc=$?
check_eq "approve --by '': exit 2" 2 "$rc"
out=$(D reject 2>&1); rc=$?
check_eq "reject without an occurrence: exit 2" 2 "$rc"
out=$(D show "$KEY" --format xml 2>&1); rc=$?
check_eq "show --format xml: exit 2" 2 "$rc"
check_eq "bad input changed nothing" "$sum" "$(sha256sum d.db)"
D run reminder --at "$DAY 10:00" --ignore-quiet-hours >/dev/null
out=$(D approve "reminder@${DAY}T10:00" 2>&1); rc=$?
check_eq "approve of an occurrence that needs none: exit 2" 2 "$rc"
check_contains "... saying so" "needs no approval: schedule 'reminder' has no approval = true" "$out"

# --- the daemon ---------------------------------------------------------------------------
# A small config: UTC, no quiet hours, a schedule with approval whose catch-up prepares
# today's occurrence at start.
mkdb() {
        "$DUNNCTL" --db "$1" init >/dev/null
        for k in households charges payments categories; do
                "$DUNNCTL" --db "$1" import $k data/$k.csv --at "$TODAY" >/dev/null || return 1
        done
}
dconf() {       # dconf FILE DB OUT [EXPIRES] [CARRIER-EXTRA]
        cat > "$1" <<EOF
database = "$2";
timezone = "UTC";
plugin_dir = "$PLUGIN_DIR";
signature = "【测试物业】";
quiet_hours = { start = "00:00"; end = "00:00"; };
carriers = ( { name = "local"; plugin = "file"; channel = "sms"; path = "$3"; sync = false; ${5:-} } );
templates = { t = "{{signature}}{{owner}}您好，{{unit}}物业费{{amount}}元尚未缴纳。如已缴纳，请忽略本信息。"; };
schedules = ( { name = "ask"; when = "*-*-* 00:00"; catch_up = "1d"; template = "t";
                categories = ["new", "promised", "unclear", "unreachable", "away"];
                approval = true; approval_expires = "${4:-2d}"; } );
EOF
}
wait_for() {
        local deadline=$((SECONDS + $1)); shift
        while [ $SECONDS -lt $deadline ]; do "$@" && return 0; sleep 0.2; done
        "$@"
}
start_dunnd() {    # start_dunnd CONF LOG
        "$DUNND" -c "$1" >>"$2" 2>&1 &
        DPID=$!
        on_exit "kill -9 $DPID"
}
stop_dunnd() { kill -TERM "$DPID" 2>/dev/null; wait "$DPID"; }
DKEY="ask@$(date -u +%F)T00:00"

mkdb a.db || nok "sample data imports"
dconf a.conf "$T/a.db" "$T/a.jsonl"
start_dunnd a.conf a.log
check "dunnd: the catch-up prepares the occurrence and says so" \
        wait_for 10 grep -q "$DKEY: catch-up: prepared, .* messages wait for approval" a.log
sleep 1
check_eq "dunnd: nothing sent while it waits" 0 "$(lines a.jsonl)"
na=$(sqlite3 a.db "SELECT COUNT(*) FROM dispatches WHERE status = 'pending'")
out=$("$DUNNCTL" -c a.conf approve "$DKEY" --by 李会计 2>&1); rc=$?
check_eq "approve while the daemon runs: exit 0" 0 "$rc"
sleep 1
stop_dunnd
check_eq "every message sent once, by the approve alone" "$na|$na" \
        "$(lines a.jsonl)|$(sort -u <(grep -o '"unit":"[^"]*"' a.jsonl) | wc -l)"
start_dunnd a.conf a.log
wait_for 5 grep -q "ready" a.log
sleep 1
stop_dunnd
check_eq "a restart sends the approved occurrence nothing more" "$na" "$(lines a.jsonl)"

# an approve stopped half-way: the daemon finishes it at its next start; one that waits it
# leaves alone
mkdb b.db || nok "sample data imports"
dconf b.conf "$T/b.db" "$T/b.jsonl" 2d "rate = 10; burst = 1;"
start_dunnd b.conf b.log
wait_for 10 grep -q "prepared" b.log
stop_dunnd
start_dunnd b.conf b.log
sleep 1.5
stop_dunnd
check_eq "dunnd: a restart does not resume an occurrence that waits" "0|waiting" \
        "$(lines b.jsonl)|$(sqlite3 b.db "SELECT approval FROM occurrences")"
"$DUNNCTL" -c b.conf approve "$DKEY" --by 李会计 >b.out 2>&1 &
APID=$!
wait_for 5 test -s b.jsonl
sleep 0.5
kill -TERM "$APID"; wait "$APID"; rc=$?
pending=$(sqlite3 b.db "SELECT COUNT(*) FROM dispatches WHERE status = 'pending'")
check_eq "approve stopped by SIGTERM: exit 1" 1 "$rc"
[ "$pending" -gt 0 ] && ok "approve stopped: the rest stays pending ($(lines b.jsonl) sent, $pending pending)" \
        || nok "approve stopped: the rest stays pending (pending=$pending)"
start_dunnd b.conf b.log
none_pending() { test "$(sqlite3 b.db "SELECT COUNT(*) FROM dispatches WHERE status = 'pending'")" = 0; }
check "dunnd resumes the approved occurrence and finishes it" wait_for 20 none_pending
sleep 0.5
stop_dunnd
check_eq "resume: every message sent once" \
        "$(sqlite3 b.db "SELECT COUNT(*) FROM dispatches WHERE status = 'sent'")|$(lines b.jsonl)" \
        "$(lines b.jsonl)|$(sort -u <(grep -o '"unit":"[^"]*"' b.jsonl) | wc -l)"

# expiry by the daemon: at its start, an occurrence nobody approved in time is expired
mkdb x.db || nok "sample data imports"
dconf x.conf "$T/x.db" "$T/x.jsonl" 1s
start_dunnd x.conf x.log
wait_for 10 grep -q "prepared" x.log
stop_dunnd
sleep 2
start_dunnd x.conf x.log
check "dunnd expires an occurrence not approved in time, and says so" \
        wait_for 5 grep -q "$DKEY: not approved by .*: expired, [0-9]* message(s) cancelled" x.log
stop_dunnd
check_eq "dunnd expiry: the occurrence expired, its rows cancelled, nothing sent" "expired|0|0" \
        "$(sqlite3 x.db "SELECT approval, (SELECT COUNT(*) FROM dispatches WHERE status = 'pending') FROM occurrences")|$(lines x.jsonl)"
