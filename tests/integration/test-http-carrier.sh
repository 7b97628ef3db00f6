#!/bin/bash
# The libcurl dispatcher and the `http` plugin against a real HTTP server on loopback that
# the test controls (tests/peers/http-sink.py): success, 429 with Retry-After, 503, 500,
# hangs past the timeout, resets, truncated JSON, the circuit breaker, a carrier-wide
# refusal, an invalid number failing over to e-mail, libcurl's keep-alive silent re-send,
# and the rate limit. Every household must end in exactly one final state.
. "$TOP/tests/integration/lib.sh"
. "$TOP/tests/integration/carrier-lib.sh"
cd "$T"
[ -f "$PLUGIN_DIR/http.so" ] || { skip "http carrier" "http.so not built"; exit 0; }

start_sink() {     # start_sink NAME [args...]: sets URL_<NAME>
        local name=$1; shift
        /usr/bin/python3 "$TOP/tests/peers/http-sink.py" --port-file "$T/$name.port" --log "$T/$name.log" "$@" &
        on_exit "kill $!"
        local i; for i in $(seq 100); do [ -s "$T/$name.port" ] && break; sleep 0.05; done
        eval "URL_$name=http://127.0.0.1:$(cat "$T/$name.port")"
}
# mkconf NAME URL CARRIER-EXTRA [SCHEDULE-CHANNELS]
mkconf() {
        local chans=${4:-'"sms"'}
        cat > "$1.conf" <<EOF
database = "$T/$1.db";
timezone = "UTC";
plugin_dir = "$PLUGIN_DIR";
signature = "【测试物业】";
carriers = (
  { name = "gw"; plugin = "http"; channel = "sms"; url = "$2/send";
    body_type = "form"; body = "to={{recipient}}&text={{text}}&ref={{dispatch_id}}";
    success_json = "code=0"; message_id_json = "message_id";
    invalid_json = "code=INVALID_NUMBER";
    timeout = 2; connect_timeout = 1; retry_base = 1; ${3:-} },
  { name = "mail"; plugin = "file"; channel = "email"; path = "$T/$1-mail.jsonl"; }
);
templates = { t = "{{signature}}{{owner}}您好，{{unit}}物业费{{amount}}元尚未缴纳，请于{{deadline}}前缴纳 & 核对。如已缴纳，请忽略本信息。"; };
schedules = ( { name = "s"; template = "t"; channels = [$chans]; } );
EOF
        load "$1"
}
# per_recipient LOG: "to" values that arrived more than once
dups() {
        /usr/bin/python3 - "$1" <<'PY'
import json, sys, collections, urllib.parse
c = collections.Counter()
for line in open(sys.argv[1]):
    m = json.loads(line)
    c[urllib.parse.parse_qs(m["body"]).get("to", ["?"])[0]] += 1
print(" ".join(k for k, n in c.items() if n > 1))
PY
}

# --- success: each message once, Chinese text and '&' intact ----------------------------
mkdata dataok 20; start_sink ok
mkconf ok "$URL_ok"
check "20 messages: run exits 0" run ok
check_eq "20 messages: all sent" 20 "$(q ok "SELECT COUNT(*) FROM dispatches WHERE status = 'sent'")"
check_eq "20 messages: the sink received 20 requests" 20 "$(wc -l < ok.log)"
check_eq "20 messages: nobody twice" "" "$(dups ok.log)"
check_eq "carrier message ids recorded" "m-" "$(q ok "SELECT substr(carrier_message_id, 1, 2) FROM dispatches LIMIT 1")"
text=$(/usr/bin/python3 -c '
import json,sys,urllib.parse
m=json.loads(open(sys.argv[1]).readline()); print(urllib.parse.parse_qs(m["body"])["text"][0])' ok.log)
check_contains "form body carries the Chinese text intact" "【测试物业】王" "$text"
check_contains "form escaping keeps '&' inside the text" "缴纳 & 核对" "$text"

# --- 503 then 429 (Retry-After) then ok: retried, each ends sent ------------------------
mkdata datatr 6; start_sink tr --mode "sequence:503,429,ok" --retry-after 1
mkconf tr "$URL_tr" "concurrency = 1;"
t0=$SECONDS
check "transient answers are retried: run exits 0" run tr
check_eq "transient: all 6 end sent" 6 "$(q tr "SELECT COUNT(*) FROM dispatches WHERE status = 'sent'")"
# the 503 hits the first household, the 429 the second; each is retried once
check_eq "transient: attempts per household" "2 2 1 1 1 1" "$(q tr "SELECT attempts FROM dispatches ORDER BY id" | tr '\n' ' ' | sed 's/ $//')"
check_eq "transient: 8 requests in all (2 refused, 6 accepted)" 8 "$(wc -l < tr.log)"
[ $((SECONDS - t0)) -ge 1 ] && ok "transient: backoff waited (Retry-After 1 s honoured)" || nok "transient: backoff waited"

# --- answers that may have been processed: unknown, never re-sent -----------------------
for mode in 500 hang reset truncated; do
        mkdata "data$mode" 4; start_sink "$mode" --mode "$mode" --hang 5
        mkconf "$mode" "$(eval echo \$URL_$mode)"
        run "$mode" >/dev/null 2>&1
        check_eq "$mode: every row unknown" 4 "$(q "$mode" "SELECT COUNT(*) FROM dispatches WHERE status = 'unknown'")"
        check_eq "$mode: each recipient reached the sink exactly once (no blind re-send)" "4 " \
                "$(wc -l < "$mode.log") $(dups "$mode.log")"
done

# --- circuit breaker: 3 failures in a row pause the carrier; it recovers by itself -------
mkdata databr 8; start_sink br --mode 503
mkconf br "$URL_br" "concurrency = 1; failure_threshold = 3; pause = 2; max_attempts = 10;"
( sleep 1.5; curl -s -d '{"mode":"ok"}' "$URL_br/_control" >/dev/null ) &
out=$(run br 2>&1)
check_contains "breaker: the carrier is paused after 3 transient failures" "3 transient failures in a row" "$out"
check_contains "breaker: it recovers by itself" "works again" "$out"
check_eq "breaker: every household ends sent" 8 "$(q br "SELECT COUNT(*) FROM dispatches WHERE status = 'sent'")"
check "breaker: nothing left open" final_states_ok br
n_br=$(wc -l < br.log)
[ "$n_br" -le 11 ] && ok "breaker: no hammering while paused ($n_br requests for 8 messages)" \
        || nok "breaker: no hammering while paused ($n_br requests)"

# --- carrier-wide refusal: pause and alert, households not failed one by one -------------
mkdata datac401 5; start_sink c401 --mode 401
mkconf c401 "$URL_c401" "concurrency = 1;"
out=$(run c401 2>&1); rc=$?
check_eq "401: dunnctl run exits 1" 1 "$rc"
check_contains "401: an alert names the carrier" "ALERT carrier 'gw' refuses to send" "$out"
check_eq "401: one request, not five" 1 "$(wc -l < c401.log)"
check_eq "401: all five stay pending for later" 5 "$(q c401 "SELECT COUNT(*) FROM dispatches WHERE status = 'pending'")"

# --- invalid number: the contact is marked invalid, the household fails over to e-mail ---
mkdata datainv 4 2; start_sink inv --invalid-recipient 13900000002
mkconf inv "$URL_inv" "" '"sms", "email"'
run inv >/dev/null 2>&1
check_eq "invalid number: its sms row failed" "failed|invalid_recipient" \
        "$(q inv "SELECT d.status || '|' || d.outcome FROM dispatches d JOIN households h ON h.id = d.household_id WHERE h.unit = '9-1-2' AND d.channel = 'sms'")"
check_eq "invalid number: the contact is marked invalid" "invalid" \
        "$(q inv "SELECT state FROM contacts WHERE address = '13900000002'")"
check_eq "invalid number: failed over to e-mail, once, and sent" "sent" \
        "$(q inv "SELECT d.status FROM dispatches d JOIN households h ON h.id = d.household_id WHERE h.unit = '9-1-2' AND d.channel = 'email'")"
check_eq "invalid number: the e-mail went out through the file carrier" 1 "$(grep -c '"unit":"9-1-2"' inv-mail.jsonl)"
check "invalid number: every row final" final_states_ok inv

# --- libcurl's silent re-send on a dead keep-alive connection ----------------------------
mkdata datare 30; start_sink re --mode close-after-read-on-reuse
mkconf re "$URL_re" "concurrency = 1;"
run re >/dev/null 2>&1
check_eq "keep-alive trap: each recipient reached the carrier once" "30 " "$(wc -l < re.log) $(dups re.log)"
check_eq "keep-alive trap: every request on its own connection" 0 \
        "$(/usr/bin/python3 -c 'import json,sys; print(sum(1 for l in open(sys.argv[1]) if json.loads(l)["conn_req"] > 1))' re.log)"
check_eq "keep-alive trap: all sent" 30 "$(q re "SELECT COUNT(*) FROM dispatches WHERE status = 'sent'")"
# the same carrier declaring an idempotency key keeps connections alive, and the trap then
# shows what FORBID_REUSE prevents: the carrier sees a request twice (harmless only because
# the key lets it drop the copy)
mkdata datare2 30; start_sink re2 --mode close-after-read-on-reuse
mkconf re2 "$URL_re2" 'concurrency = 1; idempotency_header = "Idempotency-Key";'
run re2 >/dev/null 2>&1
n_dup=$(/usr/bin/python3 -c '
import json,sys,collections
c=collections.Counter(json.loads(l)["headers"].get("Idempotency-Key") for l in open(sys.argv[1]))
print(sum(1 for n in c.values() if n > 1))' re2.log)
[ "$n_dup" -gt 0 ] && ok "keep-alive with an idempotency key: libcurl re-sent $n_dup request(s), each with its key" \
        || nok "keep-alive with an idempotency key: the trap should show re-sends (got $n_dup)"

# --- rate: 50/s, burst 5, 500 messages: ~10 s, no one-second window above rate + burst ---
mkdata datarate 500; start_sink rate
mkconf rate "$URL_rate" "rate = 50; burst = 5; concurrency = 8;"
t0=$(date +%s.%N)
run rate >/dev/null 2>&1
t1=$(date +%s.%N)
check_eq "rate: all 500 sent" 500 "$(q rate "SELECT COUNT(*) FROM dispatches WHERE status = 'sent'")"
read -r dur maxwin <<<"$(/usr/bin/python3 - rate.log "$t0" "$t1" <<'PY'
import json, sys, bisect
ts = sorted(json.loads(l)["t"] for l in open(sys.argv[1]))
mx = max(bisect.bisect_left(ts, t + 1.0) - i for i, t in enumerate(ts))
print(f"{float(sys.argv[3]) - float(sys.argv[2]):.1f} {mx}")
PY
)"
echo "# rate: 500 messages in ${dur}s, busiest one-second window $maxwin"
awk -v d="$dur" 'BEGIN { exit !(d >= 8.5 && d <= 13) }' && ok "rate: 500 at 50/s took about 10 s (${dur}s)" \
        || nok "rate: 500 at 50/s took about 10 s (${dur}s)"
[ "$maxwin" -le 55 ] && ok "rate: no one-second window above rate + burst ($maxwin <= 55)" \
        || nok "rate: no one-second window above rate + burst ($maxwin > 55)"

# --- kill -9 of the daemon with requests in flight: unknown, never re-sent -------------------
# The sink holds every request 30 s; dunnd (catch-up run at start) gets 4 of 10 in flight,
# is killed with SIGKILL, and restarts against a sink that answers at once.
mkdata datak9 10; start_sink k9 --mode hang --hang 30
cat > k9.conf <<CONF
database = "$T/k9.db";
timezone = "UTC";
plugin_dir = "$PLUGIN_DIR";
quiet_hours = { start = "00:00"; end = "00:00"; };
carriers = ( { name = "gw"; plugin = "http"; channel = "sms"; url = "$URL_k9/send";
               body_type = "form"; body = "to={{recipient}}&text={{text}}"; success_json = "code=0";
               concurrency = 4; timeout = 60; } );
templates = { t = "{{owner}}您好，{{unit}}物业费{{amount}}元尚未缴纳。如已缴纳，请忽略本信息。"; };
schedules = ( { name = "s"; when = "*-*-* 00:00"; catch_up = "1d"; template = "t"; } );
CONF
load k9
"$DUNND" -c k9.conf > k9-1.log 2>&1 &
pid=$!
on_exit "kill -9 $pid"
for i in $(seq 100); do [ "$(wc -l < k9.log 2>/dev/null || echo 0)" -ge 4 ] && break; sleep 0.1; done
kill -9 $pid; wait $pid 2>/dev/null
in_flight=$(q k9 "SELECT COUNT(*) FROM dispatches WHERE status = 'sending'")
check_eq "kill -9: the 4 requests in flight were left 'sending'" 4 "$in_flight"
curl -s -d '{"mode":"ok"}' "$URL_k9/_control" >/dev/null
"$DUNND" -c k9.conf > k9-2.log 2>&1 &
pid=$!
on_exit "kill -9 $pid"
k9_done() { final_states_ok k9; }
wait_for() { local d=$((SECONDS + $1)); shift; while [ $SECONDS -lt $d ]; do "$@" && return 0; sleep 0.2; done; "$@"; }
check "kill -9: the restart finishes the run" wait_for 15 k9_done
kill -TERM $pid; wait $pid
check_eq "kill -9: the interrupted ones are 'unknown', the rest sent" "6 sent, 4 unknown" \
        "$(q k9 "SELECT SUM(status = 'sent') || ' sent, ' || SUM(status = 'unknown') || ' unknown' FROM dispatches")"
check_contains "kill -9: the restart reports them" "interrupted mid-send" "$(cat k9-2.log)"
check_eq "kill -9: the carrier received every household exactly once" "10 " "$(wc -l < k9.log) $(dups k9.log)"

# --- dunnctl carriers and test-carrier -----------------------------------------------------
out=$("$DUNNCTL" -c ok.conf carriers)
check_contains "carriers lists the http plugin file" "$PLUGIN_DIR/http.so" "$out"
check_eq "carriers: no keep-alive without an idempotency key" "no" \
        "$("$DUNNCTL" -c ok.conf carriers --format json | /usr/bin/python3 -c 'import json,sys; print([c["keep_alive"] for c in json.load(sys.stdin) if c["carrier"] == "gw"][0])')"
check_eq "carriers: keep-alive with one" "yes" \
        "$("$DUNNCTL" -c re2.conf carriers --format json | /usr/bin/python3 -c 'import json,sys; print([c["keep_alive"] for c in json.load(sys.stdin) if c["carrier"] == "gw"][0])')"
n0=$(wc -l < ok.log)
out=$("$DUNNCTL" -c ok.conf test-carrier gw --to 13912345678 --text "测试短信"); rc=$?
check_eq "test-carrier: exit 0 when sent" 0 "$rc"
check_contains "test-carrier: prints the outcome with the id, masked number" "139****5678 via 'gw': sent id=m-" "$out"
check_eq "test-carrier: one request reached the carrier" $((n0 + 1)) "$(wc -l < ok.log)"
out=$("$DUNNCTL" -c c401.conf test-carrier gw --to 13912345678); rc=$?
check_eq "test-carrier: exit 1 when refused" 1 "$rc"
check_contains "test-carrier: prints carrier_failure" "carrier_failure" "$out"
