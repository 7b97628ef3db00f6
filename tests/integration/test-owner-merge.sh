#!/bin/bash
# One message per owner, end to end with the real dunnctl, a real database and the file
# carrier: an owner of three units (two flats and a parking space, one phone) gets one SMS
# naming the three units and the total, and the log keeps a row per household; an owner of
# two units whose first unit is paid between the plan and the send gets one text for the
# other; a run again sends nothing.
. "$TOP/tests/integration/lib.sh"

cd "$T"
TZ_OFFICE=Asia/Shanghai
# quiet hours around now, so that a run plans at once and waits: the payment comes between
# the plan and the send, as it does overnight
qs=$(TZ=$TZ_OFFICE date -d '-1 hour' +%H:%M)
qe=$(TZ=$TZ_OFFICE date -d '+1 hour' +%H:%M)
sed -e "s|^database = .*|database = \"$T/d.db\";|" \
    -e "s|/var/lib/dunnd/|$T/|" \
    -e "s|^# plugin_dir = .*|plugin_dir = \"$PLUGIN_DIR\";|" \
    -e "s|^quiet_hours = .*|quiet_hours = { start = \"$qs\"; end = \"$qe\"; };|" \
    "$TOP/etc/dunnd.conf" > c.conf
cp "$TOP/etc/holidays.conf" .
D() { "$DUNNCTL" -c "$T/c.conf" "$@"; }
TODAY=$(TZ=$TZ_OFFICE date +%F)
DUE=$(date -d "$TODAY -5 days" +%F)
AT="$(TZ=$TZ_OFFICE date -d '-2 minutes' '+%F %H:%M')"
KEY="reminder@${AT/ /T}"
sms() { if [ -f sms.jsonl ]; then cat sms.jsonl; fi; }
mv_outbox() { sed -i "s|$T/outbox-sms.jsonl|$T/sms.jsonl|" c.conf; }
mv_outbox

cat > households.csv <<EOF
unit,building,property_type,area_m2,owner,phone,payer_type
1-1-101,1,多层,90.00,李四,13900000001,monthly
2-1-1501,2,小高层,120.00,张建国,13900000002,monthly
2-1-1502,2,小高层,100.00,张建国,13900000002,monthly
3-1-801,3,多层,80.00,王芳,13900000003,monthly
3-1-802,3,多层,80.00,王芳,13900000003,monthly
P-101,P,商业,12.00,张建国,13900000002,monthly
EOF
cat > charges.csv <<EOF
unit,period,amount,due_date
1-1-101,${DUE:0:7},300.00,$DUE
2-1-1501,${DUE:0:7},1000.00,$DUE
2-1-1502,${DUE:0:7},800.00,$DUE
3-1-801,${DUE:0:7},500.00,$DUE
3-1-802,${DUE:0:7},450.00,$DUE
P-101,${DUE:0:7},150.00,$DUE
EOF
D init >/dev/null
check "import households" D import households households.csv
check "import charges" D import charges charges.csv

# --- preview: the grouping, nothing written -------------------------------------------------
out=$(D preview reminder --at "$AT" --reveal)
check_contains "preview: the merged unit names the message it goes with" \
        "2-1-1502  张建国  new  sms 13900000002  800.00 yuan  daily/text  1 part  MERGED with 2-1-1501" "$out"
check_contains "preview: how many owners get one message" \
        "one message per owner: 2 owner(s) get one message for 5 units (3 message(s) to send)" "$out"
check_contains "preview: a merged unit is not billed as a message" "SMS: 3 SMS, 3 parts" "$out"
check_eq "preview wrote nothing" 0 "$(sqlite3 d.db 'SELECT COUNT(*) FROM dispatches')"

# --- plan now, send after the quiet hours: 3-1-801 pays in between ----------------------
D run reminder --at "$AT" > run1.out 2> run1.err &
pid=$!
on_exit "kill $pid"
for i in $(seq 100); do grep -q "inside quiet hours" run1.err 2>/dev/null && break; sleep 0.1; done
check_contains "the run planned and waits for the end of the quiet hours" "; sending starts at " "$(cat run1.err)"
check_eq "planned: a row per household" 6 "$(sqlite3 d.db 'SELECT COUNT(*) FROM dispatches')"
check_eq "planned: the merged households wait in the first unit's message" \
        "2-1-1502|skipped|merged into the message to 2-1-1501,3-1-802|skipped|merged into the message to 3-1-801,P-101|skipped|merged into the message to 2-1-1501" \
        "$(sqlite3 d.db "SELECT group_concat(x, ',') FROM (SELECT h.unit || '|' || d.status || '|' || d.error AS x FROM dispatches d JOIN households h ON h.id = d.household_id WHERE d.merged_into IS NOT NULL ORDER BY h.unit)")"
check_eq "planned: the carrier row holds the group's amount (fen)" 195000 \
        "$(sqlite3 d.db "SELECT d.amount FROM dispatches d JOIN households h ON h.id = d.household_id WHERE h.unit = '2-1-1501'")"
check "pay 3-1-801 in full between the plan and the send" D pay 3-1-801 500.00 --method 微信
kill -TERM $pid; wait $pid
check_eq "stopped inside the quiet hours: nothing sent" 0 "$(sms | wc -l)"

run2=$(D run reminder --at "$AT" --ignore-quiet-hours 2>&1); rc=$?
check_eq "the run finishes (exit 0)" 0 "$rc"
check_eq "three SMS: one per owner" 3 "$(sms | wc -l)"
zhang=$(sms | grep -c '"recipient":"13900000002"')
check_eq "the owner of three units got exactly one SMS" 1 "$zhang"
text=$(sms | grep '"recipient":"13900000002"' | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["text"])')
check_contains "... naming the three units" "2-1-1501、2-1-1502、P-101" "$text"
check_contains "... and the total" "物业费1,950.00元" "$text"
check_eq "the log: three rows, all sent" "2-1-1501|sent 2-1-1502|sent P-101|sent" \
        "$(D log --occurrence "$KEY" --format json | /usr/bin/python3 -c '
import json,sys
print(" ".join(r["unit"] + "|" + r["status"] for r in json.load(sys.stdin) if r["unit"] in ("2-1-1501", "2-1-1502", "P-101")))')"
out=$(D log --occurrence "$KEY")
check_contains "the log says which message a merged household went with" "merged into the message to 2-1-1501" "$out"
merged=$(D log --occurrence "$KEY" --unit P-101 --format json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["merged_into"])')
carrier=$(sqlite3 d.db "SELECT d.id FROM dispatches d JOIN households h ON h.id = d.household_id WHERE h.unit = '2-1-1501'")
check_eq "log --format json: merged_into is the carrier row's id" "$carrier" "$merged"
check_eq "the merged rows have the carrier's message id" 1 \
        "$(sqlite3 d.db "SELECT COUNT(DISTINCT carrier_message_id) FROM dispatches d JOIN households h ON h.id = d.household_id WHERE h.unit IN ('2-1-1501', '2-1-1502', 'P-101')")"

wang=$(sms | grep '"recipient":"13900000003"')
check_eq "the owner whose first unit paid got one SMS" 1 "$(echo "$wang" | grep -c .)"
wtext=$(echo "$wang" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["text"])')
check_contains "... for the unit still owing" "3-1-802物业费450.00元" "$wtext"
case "$wtext" in *3-1-801*) nok "... and not naming the paid one";; *) ok "... and not naming the paid one";; esac
check_eq "... sent from the unpaid unit's row" "3-1-802" \
        "$(echo "$wang" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["unit"])')"
check_eq "the paid unit's row is cancelled, the other sent" "3-1-801|cancelled|paid before the send,3-1-802|sent|" \
        "$(sqlite3 d.db "SELECT group_concat(x, ',') FROM (SELECT h.unit || '|' || d.status || '|' || COALESCE(d.error, '') AS x FROM dispatches d JOIN households h ON h.id = d.household_id WHERE h.unit LIKE '3-1-%' ORDER BY h.unit)")"

# selected sent skipped failed unknown cancelled pending
check_eq "the summary counts the merged households that went out as sent" "6 5 0 0 0 1 0" \
        "$(echo "$run2" | awk '$1 == "total" { print $2, $3, $4, $5, $6, $7, $8 }')"
out=$(D run reminder --at "$AT" --ignore-quiet-hours 2>&1)
check_eq "a run again sends nothing" 3 "$(sms | wc -l)"
check_contains "the run prints how many owners got one message" \
        "one message per owner: 1 owner(s) got one message for 3 units" "$out"
check_contains "the SMS are billed once per message, the owner's as two parts" "sent by SMS: 3 SMS, 4 parts" "$out"
