#!/bin/bash
# A campaign through the `smtp` plugin into a real SMTP server on loopback (aiosmtpd):
# each message parsed with Python's MIME parser (recipient, decoded subject and body,
# Chinese intact); one kept-alive session carries several messages, and a server that drops
# sessions between messages gets each message once; 450 then 250 is retried; 550 marks the
# address invalid and the household fails over to SMS; STARTTLS with a verified certificate.
. "$TOP/tests/integration/lib.sh"
. "$TOP/tests/integration/carrier-lib.sh"
cd "$T"
[ -f "$PLUGIN_DIR/smtp.so" ] || { skip "smtp carrier" "smtp.so not built"; exit 0; }
/usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null || { skip "smtp carrier" "python3-aiosmtpd missing"; exit 0; }

start_smtp() {     # start_smtp NAME [args...]: sets PORT_<NAME>
        mkdir -p "$T/$1.mail"
        start_peer "$1" smtp-sink.py --maildir "$T/$1.mail" "${@:2}"
}
mkconf() {
        local chans=${4:-'"email"'}      # mkconf NAME PORT EXTRA [CHANNELS]
        cat > "$1.conf" <<CONF
database = "$T/$1.db";
timezone = "UTC";
plugin_dir = "$PLUGIN_DIR";
estate = "阳光花园";
signature = "【阳光花园物业】";
carriers = (
  { name = "mail"; plugin = "smtp"; channel = "email"; url = "smtp://127.0.0.1:$2";
    from = "wuye@example.com"; from_name = "阳光花园物业"; timeout = 5; retry_base = 1; ${3:-} },
  { name = "sms"; plugin = "file"; channel = "sms"; path = "$T/$1-sms.jsonl"; }
);
templates = { t = { text = "尊敬的{{owner}}业主您好，您的{{unit}}物业费{{amount}}元尚未缴纳，请于{{deadline}}前缴纳。如已缴纳，请忽略本信息。";
                    subject = "{{estate}}物业费缴费提醒（{{unit}}）"; }; };
schedules = ( { name = "s"; template = "t"; channels = [$chans]; } );
CONF
        load "$1"
}
# parse MAILDIR: one line per message: rcpt|to-header|subject|from|body-first-line, decoded
parse() {
        /usr/bin/python3 - "$1" <<'PY'
import email, email.policy, glob, json, sys
for p in sorted(glob.glob(sys.argv[1] + "/*.eml")):
    m = email.message_from_bytes(open(p, "rb").read(), policy=email.policy.default)
    env = json.load(open(p[:-4] + ".json"))
    body = m.get_content().strip()
    ok = all(m[h] for h in ("Date", "Message-ID", "MIME-Version"))
    print("|".join([",".join(env["rcpt_tos"]), str(m["To"].addresses[0].addr_spec), str(m["Subject"]),
                    str(m["From"].addresses[0].display_name), body, "headers-ok" if ok else "headers-missing",
                    "tls" if env.get("tls") else "plain"]))
PY
}

# --- a campaign of 5 e-mails ---------------------------------------------------------------
mkdata dataok 5 1; start_smtp ok
mkconf ok "$PORT_ok" 'tls = "none";'
check "run through SMTP exits 0" run ok
check_eq "all 5 sent" 5 "$(q ok "SELECT COUNT(*) FROM dispatches WHERE status = 'sent'")"
parse ok.mail > parsed.txt
check_eq "the server received 5 messages" 5 "$(wc -l < parsed.txt)"
line=$(grep '^owner1@example.com|' parsed.txt)
IFS='|' read -r rcpt to subject from body hdrs tls <<<"$line"
check_eq "envelope recipient and To agree" "owner1@example.com owner1@example.com" "$rcpt $to"
check_eq "RFC 2047 subject decodes to the Chinese subject" "阳光花园物业费缴费提醒（9-1-1）" "$subject"
check_eq "display name decodes intact" "阳光花园物业" "$from"
check_eq "body decodes to exactly the rendered text" \
        "$(q ok "SELECT text FROM dispatches d JOIN households h ON h.id = d.household_id WHERE h.unit = '9-1-1'")" "$body"
check_eq "Date, Message-ID, MIME-Version present" "headers-ok" "$hdrs"
check_contains "Message-ID recorded as the carrier id" "@" "$(q ok "SELECT carrier_message_id FROM dispatches LIMIT 1")"

# sessions MAILDIR: "M S R" — messages, sessions they came in, and recipients that
# received more than one message (none expected)
sessions() {
        /usr/bin/python3 - "$1" <<'PY'
import collections, glob, json, sys
metas = [json.load(open(p)) for p in glob.glob(sys.argv[1] + "/*.json")]
per_rcpt = collections.Counter(r for m in metas for r in m["rcpt_tos"])
print(len(metas), len({m["session"] for m in metas}), sum(1 for n in per_rcpt.values() if n > 1))
PY
}

# --- keep-alive: one SMTP session carries several messages, each once -----------------------
mkdata dataka 10 1; start_smtp ka
mkconf ka "$PORT_ka" 'tls = "none"; concurrency = 1;'
check "keep-alive: run exits 0" run ka
check_eq "keep-alive: all 10 sent" 10 "$(q ka "SELECT COUNT(*) FROM dispatches WHERE status = 'sent'")"
check_eq "keep-alive: 10 messages in one session, nobody twice" "10 1 0" "$(sessions ka.mail)"

# --- the server drops the session after every 3 messages: a fresh one, nothing twice -------
mkdata datadrop 10 1; start_smtp drop --drop-after 3
mkconf drop "$PORT_drop" 'tls = "none"; concurrency = 1;'
check "dropped sessions: run exits 0" run drop
check_eq "dropped sessions: all 10 sent" "sent 10" \
        "$(q drop "SELECT status || ' ' || COUNT(*) FROM dispatches GROUP BY status")"
read -r n_msg n_sess n_twice <<<"$(sessions drop.mail)"
check_eq "dropped sessions: 10 messages, nobody twice" "10 0" "$n_msg $n_twice"
[ "$n_sess" -ge 4 ] && ok "dropped sessions: a new session after each drop ($n_sess sessions)" ||
        nok "dropped sessions: a new session after each drop ($n_sess sessions, want >= 4)"
check_eq "dropped sessions: no session carried more than 3" "" "$(/usr/bin/python3 -c '
import collections, glob, json, sys
c = collections.Counter(json.load(open(p))["session"] for p in glob.glob(sys.argv[1] + "/*.json"))
print(" ".join(str(s) for s, n in c.items() if n > 3))' drop.mail)"

# --- 450 then 250: retried ----------------------------------------------------------------
mkdata datatmp 2 1; start_smtp tmp --fail-first-rcpt 1
mkconf tmp "$PORT_tmp" 'tls = "none"; concurrency = 1;'
check "450 then 250: run exits 0" run tmp
check_eq "450 then 250: both sent" 2 "$(q tmp "SELECT COUNT(*) FROM dispatches WHERE status = 'sent'")"
check_eq "450 then 250: the first took two attempts" 2 "$(q tmp "SELECT attempts FROM dispatches ORDER BY id LIMIT 1")"

# --- 550: the address is invalid, the household fails over to SMS --------------------------
mkdata datarej 3 1; start_smtp rej --reject owner2@example.com
mkconf rej "$PORT_rej" 'tls = "none";' '"email", "sms"'
run rej >/dev/null 2>&1
check_eq "550: the e-mail row failed as invalid_recipient" "failed|invalid_recipient" \
        "$(q rej "SELECT status || '|' || outcome FROM dispatches WHERE recipient = 'owner2@example.com'")"
check_eq "550: the address is marked invalid" "invalid" "$(q rej "SELECT state FROM contacts WHERE address = 'owner2@example.com'")"
check_eq "550: failed over to SMS and sent" "sent" \
        "$(q rej "SELECT d.status FROM dispatches d JOIN households h ON h.id = d.household_id WHERE h.unit = '9-1-2' AND d.channel = 'sms'")"
check_eq "550: the SMS went out once" 1 "$(grep -c '"unit":"9-1-2"' rej-sms.jsonl)"
check_eq "550: the others got e-mail only" 2 "$(parse rej.mail | wc -l)"

# --- STARTTLS with a verified certificate ----------------------------------------------------
mkdata datatls 2 1; start_smtp tls --starttls --require-starttls --cert-file "$T/tls.cert"
for i in $(seq 100); do [ -s "$T/tls.cert" ] && break; sleep 0.05; done
mkconf tls "$PORT_tls" "ca_file = \"$(cat "$T/tls.cert")\";"
check "STARTTLS: run exits 0" run tls
check_eq "STARTTLS: both went over TLS" "tls tls" "$(parse tls.mail | cut -d'|' -f7 | tr '\n' ' ' | sed 's/ $//')"
mkdata datanoca 1 1
mkconf noca "$PORT_tls" ""
out=$(run noca 2>&1); rc=$?
check_eq "STARTTLS without the CA: refused (certificate not trusted), exit 1" 1 "$rc"
check_eq "STARTTLS without the CA: nothing sent, row waits" "pending" "$(q noca "SELECT status FROM dispatches")"
