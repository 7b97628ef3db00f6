#!/bin/bash
# A campaign through the `kannel` plugin into a real Kannel (bearerbox + smsbox, Debian's
# kannel package) whose fake SMSC (kannel-extras' fakesmsc) records what it receives: every
# recipient once, the exact Chinese text; a wrong password pauses the carrier; Kannel down
# is a transient fault (it never reached Kannel), retried up to max_attempts.
. "$TOP/tests/integration/lib.sh"
. "$TOP/tests/integration/carrier-lib.sh"
cd "$T"
[ -f "$PLUGIN_DIR/kannel.so" ] || { skip "kannel carrier" "kannel.so not built"; exit 0; }
env_out=$("$TOP/tests/peers/kannel-up.sh" start "$T/kannel"); rc=$?
if [ "$rc" -eq 77 ]; then skip "kannel carrier" "kannel is not installed"; exit 0; fi
[ "$rc" -eq 0 ] || { nok "Kannel starts on loopback"; exit 1; }
eval "$env_out"
on_exit "$TOP/tests/peers/kannel-up.sh stop $T/kannel"
ok "Kannel (bearerbox, smsbox, fakesmsc) started on 127.0.0.1"

mkconf() {      # mkconf NAME PASSWORD
        cat > "$1.conf" <<CONF
database = "$T/$1.db";
timezone = "UTC";
plugin_dir = "$PLUGIN_DIR";
signature = "【测试物业】";
carriers = ( { name = "kannel"; plugin = "kannel"; channel = "sms"; url = "$KANNEL_SENDSMS_URL";
               username = "$KANNEL_USER"; password = "$2"; from = "10690000";
               timeout = 3; retry_base = 1; failure_threshold = 100; } );
templates = { t = "{{signature}}尊敬的{{owner}}业主您好，您的{{unit}}物业费{{amount}}元尚未缴纳，请于{{deadline}}前缴纳。如已缴纳，请忽略本信息。"; };
schedules = ( { name = "s"; template = "t"; channels = ["sms"]; } );
CONF
        load "$1"
}
wait_received() {       # wait_received N: fakesmsc saw at least N messages (parts joined)
        local i
        for i in $(seq 100); do
                [ "$(/usr/bin/python3 "$TOP/tests/peers/fakesmsc-decode.py" "$FAKESMSC_LOG" | wc -l)" -ge "$1" ] && return 0
                sleep 0.1
        done
        return 1
}

# --- a campaign of 12 Chinese reminders ---------------------------------------------------
mkdata dataok 12; mkconf ok "$KANNEL_PASS"
check "run through Kannel exits 0" run ok
check_eq "all 12 accepted by Kannel" 12 "$(q ok "SELECT COUNT(*) FROM dispatches WHERE status = 'sent'")"
check "the fake SMSC received 12 messages" wait_received 12
/usr/bin/python3 "$TOP/tests/peers/fakesmsc-decode.py" "$FAKESMSC_LOG" > got.jsonl
q ok "SELECT recipient || char(9) || text FROM dispatches ORDER BY recipient" > want.tsv
/usr/bin/python3 -c '
import json, sys
got = sorted((m["receiver"], m["text"]) for m in map(json.loads, open("got.jsonl")))
want = sorted(tuple(l.rstrip("\n").split("\t", 1)) for l in open("want.tsv"))
print("same" if got == want else "differ")
for (gr, gt), (wr, wt) in zip(got, want):
    if (gr, gt) != (wr, wt): print("# got ", gr, gt, "\n# want", wr, wt); break' > cmp.out
check_eq "every recipient once, with exactly the rendered Chinese text" "same" "$(head -1 cmp.out)"
sed -n '2,$p' cmp.out
check_eq "sent as UCS-2 (coding=2)" 2 "$(/usr/bin/python3 -c 'import json; print(json.loads(open("got.jsonl").readline())["coding"])')"

# --- wrong password: a carrier-wide refusal, not 12 failed households ---------------------
mkdata databad 4; mkconf bad "wrong-password"
out=$(run bad 2>&1); rc=$?
check_eq "wrong password: run exits 1" 1 "$rc"
check_contains "wrong password: an alert names the carrier" "ALERT carrier 'kannel' refuses to send" "$out"
check_eq "wrong password: all stay pending" 4 "$(q bad "SELECT COUNT(*) FROM dispatches WHERE status = 'pending'")"

# --- Kannel down: connection refused never reached it: transient, retried, then failed ------
mkdata datadown 3; mkconf down "$KANNEL_PASS"
sed -i 's/failure_threshold = 100;/failure_threshold = 100; max_attempts = 2;/' down.conf
"$TOP/tests/peers/kannel-up.sh" stop "$T/kannel"
run down >/dev/null 2>&1
check_eq "Kannel down: connection refused is 'transient'" "transient" "$(q down "SELECT DISTINCT outcome FROM dispatches")"
check_eq "Kannel down: retried up to max_attempts, then failed" "2|failed" \
        "$(q down "SELECT DISTINCT attempts || '|' || status FROM dispatches")"

# --- the password from a systemd credential; never in the log, even with -v ---------------
"$TOP/tests/peers/kannel-up.sh" start "$T/kannel3" > kannel3.env || nok "Kannel restarts"
on_exit "$TOP/tests/peers/kannel-up.sh stop $T/kannel3"
eval "$(cat kannel3.env)"
mkdir -p creds && printf '%s\n' "$KANNEL_PASS" > creds/kannel && chmod 600 creds/kannel
mkdata datacred 3; mkconf cred "unused"
sed -i "s|url = \"[^\"]*\"|url = \"$KANNEL_SENDSMS_URL\"|; s|password = \"unused\";|password_credential = \"kannel\";|" cred.conf
sed -i 's|^schedules = .*|schedules = ( { name = "s"; when = "*-*-* 00:00"; catch_up = "1d"; template = "t"; channels = ["sms"]; } );\nquiet_hours = { start = "00:00"; end = "00:00"; };|' cred.conf
CREDENTIALS_DIRECTORY="$T/creds" "$DUNND" -c cred.conf -v > cred.log 2>&1 &
dpid=$!
on_exit "kill -9 $dpid"
cred_done() { test "$(q cred "SELECT COUNT(*) FROM dispatches WHERE status = 'sent'")" = 3; }
for i in $(seq 100); do cred_done && break; sleep 0.1; done
kill -TERM $dpid; wait $dpid
check "credential: the password from \$CREDENTIALS_DIRECTORY works" cred_done
check_contains "credential: -v logs each message" "via 'kannel': sent" "$(cat cred.log)"
if grep -q "$KANNEL_PASS" cred.log cred.conf; then nok "credential: the secret is in neither the log nor the config"
else ok "credential: the secret is in neither the log nor the config"; fi
if grep -Eq '1390000[0-9]{4}' cred.log; then nok "credential: no full phone number in the -v log"
else ok "credential: no full phone number in the -v log"; fi
out=$("$DUNNCTL" -c cred.conf check-config 2>&1)
check_contains "credential: without \$CREDENTIALS_DIRECTORY check-config says what is missing" "CREDENTIALS_DIRECTORY" "$out"

# --- test-carrier says what Kannel's max-messages must allow -----------------------------
long="【测试物业】尊敬的业主您好，您名下2-1-1501、2-1-1502、P-101的物业费合计1,950.00元尚未缴纳，请于12月15日前缴纳，逾期将产生滞纳金。如已缴纳，请忽略本信息。"
mkdata datatc 1; mkconf tc "$KANNEL_PASS"      # the Kannel running now
out=$("$DUNNCTL" -c tc.conf test-carrier kannel --to 13900009999 --text "$long"); rc=$?
check_eq "test-carrier through Kannel: sent" 0 "$rc"
check_contains "test-carrier: says the text's parts and what max-messages must allow" \
        "note: this text is 2 SMS part(s); the sendsms-user of kannel.conf must allow max-messages >= the parts of the longest reminder" "$out"

# --- delivery receipts: Kannel calls dunnd back; an unknown row is settled by one ----------
rport=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdata datadlr 4; mkconf dlr "$KANNEL_PASS"
sed -i "s|url = \"[^\"]*\"|url = \"$KANNEL_SENDSMS_URL\"|" dlr.conf
sed -i "s|from = \"10690000\";|from = \"10690000\"; dlr_mask = \"9\"; dlr_url = \"http://127.0.0.1:$rport/dlr?id={{dispatch_id}}\&status=%d\&token=s3cret\";|" dlr.conf
sed -i 's|^schedules = .*|schedules = ( { name = "s"; when = "*-*-* 00:00"; catch_up = "1d"; template = "t"; channels = ["sms"]; } );\nquiet_hours = { start = "00:00"; end = "00:00"; };|' dlr.conf
echo "receipts = { listen = \"127.0.0.1:$rport\"; token = \"s3cret\"; };" >> dlr.conf
"$DUNND" -c dlr.conf -v > dlr.log 2>&1 &
dpid=$!
on_exit "kill -9 $dpid"
all_delivered() { test "$(q dlr "SELECT COUNT(*) FROM dispatches WHERE receipt = 'delivered'")" = 4; }
for i in $(seq 100); do all_delivered && break; sleep 0.1; done
check "receipts: Kannel's delivery reports reach dunnd for all 4" all_delivered
check_contains "receipts: dunnctl log shows them" "delivered" "$("$DUNNCTL" -c dlr.conf log --format csv)"
# an unknown row (say a timeout after sending) is settled by its receipt, not re-sent
id=$(q dlr "SELECT MIN(id) FROM dispatches")
sqlite3 dlr.db "UPDATE dispatches SET status = 'unknown', receipt = NULL WHERE id = $id"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$rport/dlr?id=$id&status=1&token=wrong")
check_eq "receipts: a wrong token is refused (403)" 403 "$code"
check_eq "receipts: ... and changes nothing" unknown "$(q dlr "SELECT status FROM dispatches WHERE id = $id")"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$rport/dlr?id=$id&status=1&token=s3cret")
check_eq "receipts: accepted (200)" 200 "$code"
check_eq "receipts: the unknown row is settled as sent" "sent|delivered" "$(q dlr "SELECT status || '|' || receipt FROM dispatches WHERE id = $id")"
# a well-formed answer: the status line names the code, the explanation is the body
resp=$(curl -s -i "http://127.0.0.1:$rport/dlr?id=$id&status=1&token=wrong" | tr -d '\r')
check_eq "receipts: the refusal's status line is 'HTTP/1.0 403 Forbidden'" "HTTP/1.0 403 Forbidden" "$(head -n1 <<<"$resp")"
check_eq "receipts: ... with its headers, then the body" "Content-Type: text/plain|bad token" \
        "$(sed -n 2p <<<"$resp")|$(tail -n1 <<<"$resp")"
# a token as a browser or Kannel may encode it is the same token
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$rport/dlr?id=$id&status=1&token=s%33cre%74")
check_eq "receipts: a percent-encoded token is decoded (200)" 200 "$code"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$rport/dlr?id=$id&status=1&token=s3cret%")
check_eq "receipts: a broken escape is no token (403)" 403 "$code"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$rport/dlr?id=abc&status=1&token=s3cret")
check_eq "receipts: a malformed id is refused (400)" 400 "$code"
kill -TERM $dpid; wait $dpid
check_eq "receipts: the daemon stops cleanly" 0 $?
