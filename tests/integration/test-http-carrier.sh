#!/bin/bash
# The libcurl dispatcher and the `http` plugin against a real HTTP server on loopback that
# the test controls (tests/peers/http-sink.py): success, 429 with Retry-After, 503, 500,
# hangs past the timeout, resets, truncated JSON, the circuit breaker, a carrier-wide
# refusal, an invalid number failing over to e-mail, kept-alive connections dying under a
# request (never a silent re-send), and the rate limit. Every household must end in exactly
# one final state.
. "$TOP/tests/integration/lib.sh"
. "$TOP/tests/integration/carrier-lib.sh"
cd "$T"
[ -f "$PLUGIN_DIR/http.so" ] || { skip "http carrier" "http.so not built"; exit 0; }

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
dups() { sink_stat "$1" dups; }
statuses() {    # statuses NAME: "status count" per status, one line, e.g. "sent 15 unknown 15"
        q "$1" "SELECT status || ' ' || COUNT(*) FROM dispatches GROUP BY status ORDER BY status" |
                tr '\n' ' ' | sed 's/ $//'
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

# --- keep-alive without libcurl's silent re-send --------------------------------------------
# libcurl re-sends a request on a fresh connection by itself when a reused keep-alive
# connection dies after the request was written. The http plugin's POST bodies go through a
# reader that refuses the rewind that re-send needs: the transfer fails instead, and the row
# is `unknown`. The sink answers the first request on each connection and reads, then drops
# (FIN or RST) any later one: exactly the requests that died on a reused connection.
keep_alive_run() {      # keep_alive_run NAME MODE CONCURRENCY [CARRIER-EXTRA]: 30 messages
        local name=$1 mode=$2 url
        mkdata "data$name" 30; start_sink "$name" --mode "$mode"
        url=URL_$name
        mkconf "$name" "${!url}" "concurrency = $3; ${4:-}"
        run "$name" >/dev/null 2>&1
}
keep_alive_trap() {     # keep_alive_trap NAME MODE CONCURRENCY
        local name=$1 what="keep-alive, $2, concurrency $3" n_unknown
        keep_alive_run "$@"
        check_eq "$what: no recipient reached the carrier twice" "" "$(dups "$name.log")"
        check "$what: every row ends sent or unknown" final_states_ok "$name"
        check_eq "$what: 30 rows, each sent or unknown" 30 \
                "$(q "$name" "SELECT COUNT(*) FROM dispatches WHERE status IN ('sent', 'unknown')")"
        check_eq "$what: the sink got 30 requests, none again" 30 "$(wc -l < "$name.log")"
        [ "$(sink_stat "$name.log" reused)" -gt 0 ] && ok "$what: connections were reused" ||
                nok "$what: connections were reused"
        n_unknown=$(q "$name" "SELECT COUNT(*) FROM dispatches WHERE status = 'unknown'")
        [ "$n_unknown" -gt 0 ] && ok "$what: the trap sprang ($n_unknown died on a reused connection)" ||
                nok "$what: the trap sprang"
        check_eq "$what: the unknown rows are exactly the requests dropped on a reused connection" \
                "$(sink_stat "$name.log" dropped)" \
                "$(q "$name" "SELECT id FROM dispatches WHERE status = 'unknown' ORDER BY id" | tr '\n' ' ' | sed 's/ $//')"
        check_eq "$what: each unknown row names the refused rewind" "$n_unknown" \
                "$(q "$name" "SELECT COUNT(*) FROM dispatches WHERE status = 'unknown' AND error LIKE '%re-send was refused (no rewind)%'")"
}
# With an idempotency key the carrier drops a repeated request, so the rewind is allowed:
# the sink sees the dropped request again, with its key, and the row ends sent. At
# concurrency > 1 libcurl's re-send may land on another kept-alive connection, which this
# sink drops too; after 5 re-sends libcurl gives up, and that row is unknown.
keep_alive_idempotent() {       # keep_alive_idempotent NAME MODE CONCURRENCY
        local name=$1 what="keep-alive with an idempotency key, $2, concurrency $3" keyed
        keep_alive_run "$@" 'idempotency_header = "Idempotency-Key";'
        check "$what: every row ends sent or unknown" final_states_ok "$name"
        keyed=$(sink_stat "$name.log" keyed "$name.db")
        check_contains "$what: each row as its requests went (sent when re-sent and answered)" \
                "mismatches: none" "$keyed"
        [ "${keyed%% *}" -gt 0 ] && ok "$what: libcurl re-sent with the key ($keyed)" ||
                nok "$what: libcurl re-sent with the key ($keyed)"
        if [ "$3" -eq 1 ]; then
                check_eq "$what: every re-send went over a fresh connection: all sent" \
                        "sent 30" "$(statuses "$name")"
        fi
}
for mode in close-after-read-on-reuse reset-on-reuse; do
        for conc in 1 4; do
                tag=${mode%%-*}$conc
                keep_alive_trap "ka_$tag" "$mode" "$conc"
                keep_alive_idempotent "kk_$tag" "$mode" "$conc"
        done
done

# a gateway that keeps killing reused connections: after 3 such deaths (3 unknown rows) the
# host gives the carrier a fresh connection per message, and everything after goes out
mkdata datafb 30; start_sink fb --mode close-after-read-on-reuse
mkconf fb "$URL_fb" "concurrency = 1;"
out=$(run fb 2>&1)
check_contains "keep-alive deaths: the carrier falls back to fresh connections" \
        "fresh connection per message from now on" "$out"
check_eq "keep-alive deaths: 3 unknown (one per death), the other 27 sent" "sent 27 unknown 3" "$(statuses fb)"
check_eq "keep-alive deaths: nobody reached the carrier twice" "" "$(dups fb.log)"

# --- keep-alive pays: N messages do not need N connections ------------------------------------
mkdata dataconn 100; start_sink conn
mkconf conn "$URL_conn" "concurrency = 4;"
run conn >/dev/null 2>&1
check_eq "keep-alive: 100 messages sent" "sent 100" "$(statuses conn)"
n_conn=$(sink_stat conn.log conns)
[ "$n_conn" -le 8 ] && ok "keep-alive: 100 messages at concurrency 4 took $n_conn connections" ||
        nok "keep-alive: 100 messages at concurrency 4 took $n_conn connections (more than 8)"

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
# arrival times at the sink carry the loopback's scheduling jitter (a request sent late
# lands next to the one after it): one over is jitter; the send times' exact bound is
# test-ratelimit's and test-dispatch's
[ "$maxwin" -le 56 ] && ok "rate: no one-second window above rate + burst at the sink ($maxwin <= 55 + 1)" \
        || nok "rate: no one-second window above rate + burst at the sink ($maxwin > 56)"

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
check "kill -9: the restart finishes the run" wait_for 15 k9_done
kill -TERM $pid; wait $pid
check_eq "kill -9: the interrupted ones are 'unknown', the rest sent" "6 sent, 4 unknown" \
        "$(q k9 "SELECT SUM(status = 'sent') || ' sent, ' || SUM(status = 'unknown') || ' unknown' FROM dispatches")"
check_contains "kill -9: the restart reports them" "interrupted mid-send" "$(cat k9-2.log)"
check_eq "kill -9: the carrier received every household exactly once" "10 " "$(wc -l < k9.log) $(dups k9.log)"

# --- dunnctl carriers and test-carrier -----------------------------------------------------
out=$("$DUNNCTL" -c ok.conf carriers)
check_contains "carriers lists the http plugin file" "$PLUGIN_DIR/http.so" "$out"
keep_alive_shown() {    # keep_alive_shown CONF: the keep_alive column of carrier gw
        "$DUNNCTL" -c "$1" carriers --format json |
                /usr/bin/python3 -c 'import json,sys; print([c["keep_alive"] for c in json.load(sys.stdin) if c["carrier"] == "gw"][0])'
}
check_eq "carriers: keep-alive with an idempotency key" "yes" "$(keep_alive_shown kk_close1.conf)"
check_eq "carriers: keep-alive for a POST carrier (its bodies cannot be silently re-sent)" "yes" \
        "$(keep_alive_shown ok.conf)"
sed -e 's|body_type = "form"; body = "[^"]*";|method = "GET";|' ok.conf > get.conf
check_eq "carriers: no keep-alive for a GET carrier without one" "no" "$(keep_alive_shown get.conf)"
n0=$(wc -l < ok.log)
out=$("$DUNNCTL" -c ok.conf test-carrier gw --to 13912345678 --text "测试短信"); rc=$?
check_eq "test-carrier: exit 0 when sent" 0 "$rc"
check_contains "test-carrier: prints the outcome with the id, masked number" "139****5678 via 'gw': sent id=m-" "$out"
check_eq "test-carrier: one request reached the carrier" $((n0 + 1)) "$(wc -l < ok.log)"
out=$("$DUNNCTL" -c c401.conf test-carrier gw --to 13912345678); rc=$?
check_eq "test-carrier: exit 1 when refused" 1 "$rc"
check_contains "test-carrier: prints carrier_failure" "carrier_failure" "$out"
