#!/bin/bash
# tests/peers: self-test of the loopback test peers (http-sink, smtp-sink, kannel-up +
# fakesmsc-decode) driven with the curl command-line tool. 127.0.0.1 only.
. "$TOP/tests/integration/lib.sh"

PY=/usr/bin/python3
P=$TOP/tests/peers
ZH='尊敬的业主您好，物业费123.45元'

# start_bg VAR PORTFILE CMD...: start a peer in the background, set VAR to its pid and wait
# (max 10 s) until it has written its port file. The peer is killed at exit in any case.
start_bg() {
        local var=$1 pf=$2 pid i; shift 2
        "$@" </dev/null >>"$T/peers.err" 2>&1 &
        pid=$!
        printf -v "$var" %s "$pid"
        on_exit "jobs -p | grep -qx $pid && kill $pid"
        for i in $(seq 1 200); do
                [ -s "$pf" ] && return 0
                kill -0 "$pid" 2>/dev/null || return 1
                sleep 0.05
        done
        return 1
}
# stop_bg PID: SIGTERM, then the exit status of the peer (0 = clean exit)
stop_bg() { kill -TERM "$1" 2>/dev/null; wait "$1"; }
# jl FILE EXPR: evaluate a python expression over L, the list of JSON lines in FILE
jl() { "$PY" -c 'import json,sys; L=[json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]; print(eval(sys.argv[2]))' "$1" "$2"; }

# ---------------------------------------------------------------------------- http-sink
H=$T/http
mkdir -p "$H"
if start_bg HPID "$H/port" "$PY" "$P/http-sink.py" --port-file "$H/port" --log "$H/log" \
        --invalid-recipient 13800000000 --retry-after 7; then
        ok "http-sink starts and writes its port file"
else
        nok "http-sink starts and writes its port file"; sed 's/^/#   /' "$T/peers.err"
fi
HP=$(cat "$H/port" 2>/dev/null)
U=http://127.0.0.1:$HP
ctl() { curl -s -o /dev/null -w '%{http_code}' --max-time 5 -H 'Content-Type: application/json' -d "$1" "$U/_control"; }
# req ARGS...: POST/GET, body to $H/body, headers to $H/hdr; prints "HTTPCODE RC"
req() {
        local code rc
        code=$(curl -s -o "$H/body" -D "$H/hdr" -w '%{http_code}' "$@")
        rc=$?
        echo "$code $rc"
}

check_eq "ok: 200" "200 0" "$(req --max-time 5 -d 'to=13912345678&text=hello' "$U/sms/send?sign=abc")"
check_eq "ok: JSON body with message id" '{"code": 0, "message_id": "m-1"}' "$(cat "$H/body")"
check_eq "log: method, path, query, body, conn, seq" \
        "POST /sms/send sign=abc to=13912345678&text=hello 1 1" \
        "$(jl "$H/log" '" ".join(str(L[0][k]) for k in ("method","path","query","body","conn","seq"))')"
check_eq "log: headers and a millisecond timestamp" "application/x-www-form-urlencoded True" \
        "$(jl "$H/log" 'L[0]["headers"]["Content-Type"] + " " + str(isinstance(L[0]["t"], float) and L[0]["t"] > 1.6e9)')"
req --max-time 5 -H 'Content-Type: application/json; charset=utf-8' \
        -d "{\"phone\":\"13912345678\",\"content\":\"$ZH\"}" "$U/json" >/dev/null
check_eq "log: UTF-8 JSON body kept exactly" "$ZH" "$(jl "$H/log" 'json.loads(L[-1]["body"])["content"]')"

check_eq "control: switch to status:503" 200 "$(ctl '{"mode":"status:503"}')"
check_eq "status:503 answers 503" "503 0" "$(req --max-time 5 -d x "$U/a")"
check_eq "control: unknown mode refused" 400 "$(ctl '{"mode":"bogus"}')"
check_eq "status mode unchanged after a refused control request" "503 0" "$(req --max-time 5 -d x "$U/a")"

ctl '{"mode":"429"}' >/dev/null
check_eq "429 answers 429" "429 0" "$(req --max-time 5 -d x "$U/a")"
check_contains "429 carries Retry-After from --retry-after" "Retry-After: 7" "$(tr -d '\r' <"$H/hdr")"
ctl '{"mode":"429","retry_after":2}' >/dev/null
req --max-time 5 -d x "$U/a" >/dev/null
check_contains "Retry-After changeable at runtime" "Retry-After: 2" "$(tr -d '\r' <"$H/hdr")"

ctl '{"mode":"hang","hang":4}' >/dev/null
s=$(date +%s%N)
check_eq "hang: curl --max-time 2 times out (28)" "28" "$(req --max-time 2 -d x "$U/a" | cut -d' ' -f2)"
e=$(( ($(date +%s%N) - s) / 1000000 ))
check "hang: timed out after ~2 s (${e} ms)" test "$e" -ge 1900 -a "$e" -lt 3500
check_eq "hang: request was read and logged before hanging" "hang x" \
        "$(jl "$H/log" 'L[-1]["mode"] + " " + L[-1]["body"]')"

ctl '{"mode":"reset"}' >/dev/null
check_eq "reset: curl gets a connection reset (56)" "000 56" "$(req --max-time 5 -d x "$U/a")"
ctl '{"mode":"truncated"}' >/dev/null
check_eq "truncated: curl reports a partial body (18)" "200 18" "$(req --max-time 5 -d x "$U/a")"

ctl '{"mode":"json:{\"status\":\"queued\",\"id\":42}"}' >/dev/null
check_eq "json:<body> returns that body with 200" '200 0 {"status":"queued","id":42}' \
        "$(req --max-time 5 -d x "$U/a") $(cat "$H/body")"

ctl '{"mode":"ok"}' >/dev/null
check_eq "invalid recipient (form to=) gets 400" "400 0" "$(req --max-time 5 -d 'to=13800000000&text=x' "$U/a")"
check_contains "invalid recipient body" '"code": "INVALID_NUMBER"' "$(cat "$H/body")"
check_eq "invalid recipient in JSON PhoneNumbers list gets 400" "400 0" \
        "$(req --max-time 5 -d '{"PhoneNumbers":"13912345678,13800000000"}' "$U/a")"
check_eq "invalid recipient in the query gets 400" "400 0" "$(req --max-time 5 "$U/a?phone=13800000000")"
check_eq "other recipients still 200" "200 0" "$(req --max-time 5 -d 'to=13912345678' "$U/a")"
check_eq "control requests are not logged" 0 "$(jl "$H/log" 'sum(1 for r in L if r["path"] == "/_control")')"

# close-after-read-on-reuse with a raw keep-alive socket: two requests on one connection
ctl '{"mode":"close-after-read-on-reuse"}' >/dev/null
n0=$(wc -l <"$H/log")
reuse=$("$PY" - "$HP" <<'EOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
f = s.makefile("rb")
def send(path):
    s.sendall(("POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
               "Content-Length: 2\r\n\r\n{}" % path).encode())
send("/first")
status = f.readline().split()[1].decode()
n = 0
while True:
    h = f.readline()
    if h in (b"\r\n", b""):
        break
    if h.lower().startswith(b"content-length:"):
        n = int(h.split(b":")[1])
f.read(n)
send("/second")
rest = f.read()          # the sink must close without a byte of answer
print(status, "eof" if rest == b"" else "answered:%r" % rest[:40])
EOF
)
check_eq "reuse: first request answered, second gets EOF without an answer" "200 eof" "$reuse"
check_eq "reuse: sink logged both requests on one connection (conn_req 1, 2)" "/first 1 /second 2 True" \
        "$(jl "$H/log" '" ".join("%s %s" % (r["path"], r["conn_req"]) for r in L['"$n0"':]) + " " + str(L[-1]["conn"] == L[-2]["conn"])')"
# the same through curl: libcurl silently re-sends the unanswered request on a new
# connection -- the keep-alive resend this mode exists to expose
n0=$(wc -l <"$H/log")
out=$(curl -s --max-time 5 -d a=1 "$U/one" --next --max-time 5 -d b=2 "$U/two"; echo " rc=$?")
check_eq "reuse: curl gets both answers (rc 0) ..." '{"code": 0, "message_id": "m-'"$((n0 + 1))"'"}{"code": 0, "message_id": "m-'"$((n0 + 3))"'"} rc=0' "$out"
check_eq "... but the sink saw /two twice: libcurl silently re-sent it" "/one /two /two" \
        "$(jl "$H/log" '" ".join(r["path"] for r in L['"$n0"':])')"

stop_bg "$HPID"; check_eq "http-sink exits cleanly (status 0) on SIGTERM" 0 "$?"

# sequence given on the command line (a second sink instance)
if start_bg H2PID "$H/port2" "$PY" "$P/http-sink.py" --port-file "$H/port2" --log "$H/log2" \
        --mode sequence:503,status:500,429,ok; then
        U2=http://127.0.0.1:$(cat "$H/port2")
        codes=""
        for i in 1 2 3 4 5; do
                codes="$codes $(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -d x "$U2/s")"
        done
        check_eq "sequence:503,status:500,429,ok (last repeats)" " 503 500 429 200 200" "$codes"
        curl -s -o /dev/null --max-time 5 -d '{"mode":"sequence:503,ok"}' "$U2/_control"
        codes=""
        for i in 1 2 3; do
                codes="$codes $(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -d x "$U2/s")"
        done
        check_eq "a new sequence set at runtime starts from its first step" " 503 200 200" "$codes"
        stop_bg "$H2PID"
else
        nok "http-sink --mode sequence:... starts"
fi

# ---------------------------------------------------------------------------- smtp-sink
S=$T/smtp
mkdir -p "$S"
if start_bg SPID "$S/port" "$PY" "$P/smtp-sink.py" --maildir "$S/mail" --port-file "$S/port" \
        --log "$S/log" --fail-first-rcpt 1 --reject nobody@example.com; then
        ok "smtp-sink starts and writes its port file"
else
        nok "smtp-sink starts and writes its port file"; sed 's/^/#   /' "$T/peers.err"
fi
SU=smtp://127.0.0.1:$(cat "$S/port" 2>/dev/null)
printf '%s\r\n' "From: =?UTF-8?B?$(printf '物业管理处' | base64 -w0)?= <billing@example.com>" \
        "To: owner@example.com" "Subject: =?UTF-8?B?$(printf '物业费提醒' | base64 -w0)?=" \
        "MIME-Version: 1.0" "Content-Type: text/plain; charset=UTF-8" \
        "Content-Transfer-Encoding: 8bit" "" "$ZH" ".a line starting with a dot" >"$S/msg.eml"
smtp() { curl -sS --max-time 10 "$@" --upload-file "$S/msg.eml" 2>>"$S/curl.err"; echo $?; }

check_eq "first RCPT gets 450 (curl 55)" 55 \
        "$(smtp "$SU" --mail-from billing@example.com --mail-rcpt owner@example.com)"
check_eq "...and no message is stored" 0 "$(ls "$S/mail" | grep -c '\.eml$')"
check_eq "retry is accepted" 0 "$(smtp "$SU" --mail-from billing@example.com --mail-rcpt owner@example.com)"
check "message saved as 000001.eml" test -f "$S/mail/000001.eml"
check "stored bytes equal the sent message (CRLF, dot-unstuffed)" cmp -s "$S/msg.eml" "$S/mail/000001.eml"
check_eq "envelope in sidecar JSON" "billing@example.com ['owner@example.com']" \
        "$("$PY" -c 'import json,sys; m=json.load(open(sys.argv[1])); print(m["mail_from"], m["rcpt_tos"])' "$S/mail/000001.json")"
check_eq ".eml parses with the email module (subject, body)" "物业费提醒|$ZH" \
        "$("$PY" - "$S/mail/000001.eml" <<'EOF'
import email, email.policy, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.default)
print(m["Subject"] + "|" + m.get_content().splitlines()[0])
EOF
)"
check_eq "rejected address gets 550 (curl 55)" 55 \
        "$(smtp "$SU" --mail-from billing@example.com --mail-rcpt nobody@example.com)"
check_contains "curl saw the 550" "RCPT failed: 550" "$(cat "$S/curl.err")"
check_eq "SMTP event log: 450, 250, 550 replies" "450 250 550" \
        "$(jl "$S/log" '" ".join(r["reply"][:3] for r in L if r["event"] == "rcpt")')"
stop_bg "$SPID"; check_eq "smtp-sink exits cleanly (status 0) on SIGTERM" 0 "$?"

# AUTH + STARTTLS instance
if command -v openssl >/dev/null && start_bg S2PID "$S/port2" "$PY" "$P/smtp-sink.py" \
        --maildir "$S/mail2" --port-file "$S/port2" --require-auth dunn:s3cret \
        --starttls --cert-file "$S/cert" --tls-dir "$S/tls"; then
        SU2=smtp://127.0.0.1:$(cat "$S/port2")
        CA=$(cat "$S/cert")
        check_eq "AUTH: wrong password refused (curl 67)" 67 \
                "$(smtp "$SU2" --user dunn:wrong --mail-from a@example.com --mail-rcpt b@example.com)"
        check_eq "AUTH PLAIN without TLS accepted" 0 \
                "$(smtp "$SU2" --user dunn:s3cret --mail-from a@example.com --mail-rcpt b@example.com)"
        check_eq "AUTH LOGIN accepted" 0 "$(smtp "$SU2" --user dunn:s3cret --login-options AUTH=LOGIN \
                --mail-from a@example.com --mail-rcpt b@example.com)"
        check_eq "STARTTLS: self-signed cert not trusted by default (curl 60)" 60 \
                "$(smtp "$SU2" --ssl-reqd --user dunn:s3cret --mail-from a@example.com --mail-rcpt b@example.com)"
        check_eq "STARTTLS with --cacert from --cert-file" 0 "$(smtp "$SU2" --ssl-reqd --cacert "$CA" \
                --user dunn:s3cret --mail-from a@example.com --mail-rcpt b@example.com)"
        check_eq "sidecar records auth user and TLS" "dunn False dunn True" \
                "$("$PY" -c 'import json,sys; print(" ".join("%s %s" % (m["auth"], m["tls"]) for m in (json.load(open(f)) for f in sys.argv[1:])))' \
                "$S/mail2/000001.json" "$S/mail2/000003.json")"
        stop_bg "$S2PID"
else
        nok "smtp-sink with --require-auth --starttls starts"
fi

# ---------------------------------------------------------------------------- kannel
K=$T/kannel
if [ ! -x /usr/sbin/bearerbox ] || [ ! -x /usr/sbin/smsbox ] || [ ! -x /usr/lib/kannel/test/fakesmsc ]; then
        skip "kannel: start, Chinese SMS through sendsms, decode, stop" "kannel not installed"
else
        on_exit "bash '$P/kannel-up.sh' stop '$K'"
        if env=$(bash "$P/kannel-up.sh" start "$K" 2>"$T/kannel.err"); then
                ok "kannel-up.sh start"
                eval "$env"
        else
                nok "kannel-up.sh start"; sed 's/^/#   /' "$T/kannel.err"
                KANNEL_SENDSMS_URL=http://127.0.0.1:1/ KANNEL_USER=x KANNEL_PASS=x FAKESMSC_LOG=$K/none
        fi
        check_contains "printed URL is on 127.0.0.1" "http://127.0.0.1:" "$KANNEL_SENDSMS_URL"
        sendsms() {
                curl -s --max-time 10 -G "$KANNEL_SENDSMS_URL" --data-urlencode "username=$KANNEL_USER" \
                        --data-urlencode "to=13912345678" --data-urlencode "from=10690001" \
                        --data-urlencode charset=UTF-8 --data-urlencode coding=2 "$@"
        }
        check_contains "sendsms rejects a wrong password" "Authorization failed" \
                "$(sendsms --data-urlencode password=nope --data-urlencode text=x)"
        check_contains "sendsms accepts a UCS-2 Chinese SMS" "Accepted for delivery" \
                "$(sendsms --data-urlencode "password=$KANNEL_PASS" --data-urlencode "text=$ZH")"
        LONG=$ZH$ZH$ZH$ZH$ZH
        sendsms --data-urlencode "password=$KANNEL_PASS" --data-urlencode "text=$LONG" >/dev/null
        for i in $(seq 1 50); do
                [ "$(grep -c 'Got message' "$FAKESMSC_LOG" 2>/dev/null)" -ge 3 ] && break
                sleep 0.1
        done
        dec=$("$PY" "$P/fakesmsc-decode.py" "$FAKESMSC_LOG")
        first=$(printf '%s\n' "$dec" | sed -n 1p)
        check_eq "fakesmsc-decode: exact text, receiver, sender, coding" "$ZH|13912345678|10690001|2" \
                "$(printf '%s' "$first" | "$PY" -c 'import json,sys; m=json.load(sys.stdin); print("%s|%s|%s|%s" % (m["text"], m["receiver"], m["sender"], m["coding"]))' 2>&1)"
        check_eq "fakesmsc-decode joins a concatenated UCS-2 SMS (2 parts)" "$LONG|2" \
                "$(printf '%s\n' "$dec" | sed -n 2p | "$PY" -c 'import json,sys; m=json.load(sys.stdin); print("%s|%s" % (m["text"], len(m["parts"])))' 2>&1)"
        pids=$(cat "$K/pids" 2>/dev/null)
        bash "$P/kannel-up.sh" stop "$K"
        left=""
        for p in $pids; do
                st=$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)
                [ -n "$st" ] && [ "$st" != Z ] && left="$left $p"
        done
        check_eq "kannel-up.sh stop: bearerbox, fakesmsc and smsbox are gone" "3 " "$(echo "$pids" | wc -w) $left"
        check "sendsms port closed after stop" bash -c "! curl -s --max-time 2 -o /dev/null '$KANNEL_SENDSMS_URL'"
fi
