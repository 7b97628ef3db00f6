#!/bin/bash
# The batched outbox against a real HTTP peer on loopback: what kill -9 leaves behind is
# bounded by the carriers' concurrency and is exactly what was in flight; retries come no
# earlier than the carrier or retry_base said, to the sub-second; an outage or a refusal
# while requests are in flight is said once and fails no household.
. "$TOP/tests/integration/lib.sh"
. "$TOP/tests/integration/carrier-lib.sh"
cd "$T"
[ -f "$PLUGIN_DIR/http.so" ] || { skip "outbox" "http.so not built"; exit 0; }

conf() {        # conf NAME URL CARRIER-EXTRA
        cat > "$1.conf" <<CONF
database = "$T/$1.db";
timezone = "UTC";
plugin_dir = "$PLUGIN_DIR";
carriers = ( { name = "gw"; plugin = "http"; channel = "sms"; url = "$2/send";
               body_type = "form"; body = "to={{recipient}}&text={{text}}"; success_json = "code=0";
               message_id_json = "message_id"; $3 } );
templates = { t = "{{owner}}您好，{{unit}}物业费{{amount}}元尚未缴纳。如已缴纳，请忽略本信息。"; };
schedules = ( { name = "s"; template = "t"; channels = ["sms"]; } );
CONF
        load "$1"
}
# --- kill -9 mid-run: at most `concurrency` rows are left 'sending', and they are exactly
# the requests the carrier had; the rerun settles them unknown and sends the rest once ---
for conc in 4 8; do
        n=$((conc * 6))
        mkdata "datak$conc" "$n"; start_sink "k$conc" --mode hang --hang 30
        conf "k$conc" "$(eval echo \$URL_k$conc)" "concurrency = $conc; timeout = 60;"
        "$DUNNCTL" -c "k$conc.conf" run s --at "2026-11-20 09:30" --ignore-quiet-hours --quiet > /dev/null 2>&1 &
        pid=$!
        on_exit "kill -9 $pid"
        for i in $(seq 100); do [ "$(wc -l < "k$conc.log" 2>/dev/null || echo 0)" -ge "$conc" ] && break; sleep 0.1; done
        sleep 0.3       # nothing more goes out while all slots hang
        kill -9 $pid; wait $pid 2>/dev/null
        sending=$(q "k$conc" "SELECT COUNT(*) FROM dispatches WHERE status = 'sending'")
        seen=$(wc -l < "k$conc.log")
        check_eq "kill -9 at concurrency $conc: the carrier had $conc requests" "$conc" "$seen"
        check_eq "kill -9 at concurrency $conc: exactly those are 'sending' (the bound)" "$conc" "$sending"
        curl -s -d '{"mode":"ok"}' "$(eval echo \$URL_k$conc)/_control" > /dev/null
        "$DUNNCTL" -c "k$conc.conf" run s --at "2026-11-20 09:30" --ignore-quiet-hours --quiet > /dev/null 2>&1
        check_eq "kill -9 at concurrency $conc: the rerun settles them unknown, sends the rest" \
                "$((n - conc)) sent, $conc unknown" \
                "$(q "k$conc" "SELECT SUM(status = 'sent') || ' sent, ' || SUM(status = 'unknown') || ' unknown' FROM dispatches")"
        check_eq "kill -9 at concurrency $conc: every household reached the carrier once" "$n $n" \
                "$(sink_stat "k$conc.log" seen)"
done

# --- retries keep sub-second precision: Retry-After: 1 and retry_base = 1s come back no
# earlier than one second later (the retry time used to be cut to the whole second) -----
mkdata datara 1; start_sink ra --mode "sequence:429,ok" --retry-after 1
conf ra "$URL_ra" "concurrency = 1;"
run ra > /dev/null 2>&1
read -r t1 t2 <<< "$(sink_stat ra.log times 13900000001 | tr '\n' ' ')"
gap=$(awk -v a="$t1" -v b="$t2" 'BEGIN { printf "%.3f", b - a }')
echo "# Retry-After: 1 -> the retry came ${gap}s later"
awk -v g="$gap" 'BEGIN { exit !(g >= 1.0 && g < 2.0) }' && ok "Retry-After: 1 honoured, not early (${gap}s)" \
        || nok "Retry-After: 1 honoured, not early (${gap}s)"
mkdata datarb 1; start_sink rb --mode "sequence:503,ok"
conf rb "$URL_rb" 'concurrency = 1; retry_base = "1s";'
run rb > /dev/null 2>&1
read -r t1 t2 <<< "$(sink_stat rb.log times 13900000001 | tr '\n' ' ')"
gap=$(awk -v a="$t1" -v b="$t2" 'BEGIN { printf "%.3f", b - a }')
echo "# retry_base = 1s -> the retry came ${gap}s later"
awk -v g="$gap" 'BEGIN { exit !(g >= 1.0 && g < 2.0) }' && ok "retry_base = 1s: the retry is not early (${gap}s)" \
        || nok "retry_base = 1s: the retry is not early (${gap}s)"
check_eq "retries: both end sent" "sent sent" "$(q ra "SELECT status FROM dispatches") $(q rb "SELECT status FROM dispatches")"

# --- a refusal with 8 requests in flight: one ALERT, nobody failed, no attempt counted ---
mkdata datarf 20; start_sink rf --mode 401
conf rf "$URL_rf" "concurrency = 8; carrier_failure_status = \"401\";"
out=$(run rf 2>&1)
check_eq "refusal at concurrency 8: the ALERT is said once" 1 "$(grep -c 'ALERT carrier' <<< "$out")"
check_eq "refusal: every household stays pending, no attempt counted" "20 0" \
        "$(q rf "SELECT COUNT(*) || ' ' || SUM(attempts) FROM dispatches WHERE status = 'pending'")"

# --- an outage: the breaker opens after 2 failures; the requests that were in flight and
# fail after it opened count no attempt, nobody fails, the pause is said once -----------
mkdata dataou 20; start_sink ou --mode 503
conf ou "$URL_ou" "concurrency = 4; failure_threshold = 2; pause = 60; max_attempts = 2;"
"$DUNNCTL" -c ou.conf run s --at "2026-11-20 09:30" --ignore-quiet-hours --quiet > ou.out 2>&1 &
pid=$!
on_exit "kill -9 $pid"
for i in $(seq 100); do [ "$(wc -l < ou.log 2>/dev/null || echo 0)" -ge 4 ] && break; sleep 0.1; done
sleep 1
kill -TERM $pid; wait $pid
# the 4 that were out, and at most one more: the slot the first failure freed may be
# refilled before the second failure opens the breaker
n_ou=$(wc -l < ou.log)
[ "$n_ou" -ge 4 ] && [ "$n_ou" -le 5 ] && ok "outage: nothing went out after the breaker opened ($n_ou requests)" \
        || nok "outage: nothing went out after the breaker opened ($n_ou requests)"
check_eq "outage: the pause is said once" 1 "$(grep -c 'transient failures in a row' ou.out)"
check_eq "outage: nobody failed" 0 "$(q ou "SELECT COUNT(*) FROM dispatches WHERE status = 'failed'")"
check_eq "outage: one attempt counted (the first failure), none after the breaker opened" 1 \
        "$(q ou "SELECT SUM(attempts) FROM dispatches")"
check_eq "outage: nothing left 'sending'" 0 "$(q ou "SELECT COUNT(*) FROM dispatches WHERE status = 'sending'")"

# --- the daemon starts an occurrence while another's requests are in flight: crash
# recovery (which treats this process's own 'sending' rows as a dead predecessor's) must
# not run then, or the rows in flight would be marked unknown under the requests ---------
mkdata datatw 4; start_sink tw --mode hang --hang 3
cat > tw.conf <<CONF
database = "$T/tw.db";
timezone = "UTC";
plugin_dir = "$PLUGIN_DIR";
quiet_hours = { start = "00:00"; end = "00:00"; };
carriers = ( { name = "gw"; plugin = "http"; channel = "sms"; url = "$URL_tw/send";
               body_type = "form"; body = "to={{recipient}}&text={{text}}"; success_json = "code=0";
               concurrency = 4; timeout = 30; } );
templates = { t = "{{owner}}您好，{{unit}}物业费{{amount}}元尚未缴纳。如已缴纳，请忽略本信息。"; };
schedules = ( { name = "first"; when = "*-*-* 00:00"; catch_up = "1d"; template = "t"; },
              { name = "second"; when = "*:*:0/1"; catch_up = 0; template = "t"; } );
CONF
load tw
"$DUNND" -c tw.conf > tw.out 2>&1 &
pid=$!
on_exit "kill -9 $pid"
tw_first_done() { test "$(q tw "SELECT COUNT(*) FROM dispatches d JOIN occurrences o ON o.id = d.occurrence_id WHERE o.schedule = 'first' AND d.status NOT IN ('pending', 'sending')")" = 4; }
for i in $(seq 100); do tw_first_done && break; sleep 0.1; done
kill -TERM $pid; wait $pid
check "a second occurrence started mid-send: the first's rows are settled" tw_first_done
check_eq "a second occurrence started mid-send: the first's 4 requests end sent, none unknown" "4 sent" \
        "$(q tw "SELECT COUNT(*) || ' ' || d.status FROM dispatches d JOIN occurrences o ON o.id = d.occurrence_id WHERE o.schedule = 'first' GROUP BY d.status")"
