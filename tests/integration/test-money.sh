#!/bin/bash
# Money end to end on the shipped playbook: `dunnctl bill` for every property type and a
# vacant home against hand-computed amounts, a dry run that writes nothing, a second bill
# that changes nothing, prepaid advances drawn down (and the prepaid text once used up),
# late fees to the fen in `debtors` and in the deadline text (rounding, the cap), SMS parts
# and cost in `preview` and `run`.
. "$TOP/tests/integration/lib.sh"

cd "$T"
mkconf() {      # mkconf FILE: the shipped config on this directory's database and outbox
        sed -e "s|^database = .*|database = \"$T/d.db\";|" \
            -e "s|/var/lib/dunnd/|$T/|" \
            -e "s|^# plugin_dir = .*|plugin_dir = \"$PLUGIN_DIR\";|" \
            "$TOP/etc/dunnd.conf" > "$1"
        cp "$TOP/etc/holidays.conf" "$(dirname "$1")/"   # its @include, as installed
}
mkconf c.conf
D() { "$DUNNCTL" -c "$T/c.conf" "$@"; }
Q() { sqlite3 d.db "$@"; }
dump() { sqlite3 d.db .dump | sha256sum | cut -d' ' -f1; }

check "the shipped config is valid" D check-config
cat > households.csv <<'CSV'
unit,building,floor,room,property_type,area_m2,owner,phone,email,payer_type,staff,vacant,prepaid_balance
1-1-101,1,1,101,多层,89.35,张建国,13900000001,,monthly,周晓梅,0,0.00
1-1-102,1,1,102,多层,89.33,赵敏,13900000006,,monthly,周晓梅,1,0.00
1-1-201,1,2,201,多层,89.35,孙丽,13900000007,,prepaid,周晓梅,0,50.00
1-1-202,1,2,202,多层,89.35,周杰,13900000008,,prepaid,周晓梅,0,500.00
2-1-1201,2,12,1201,小高层,120.55,李娜,13900000002,,monthly,周晓梅,0,0.00
3-0-1,3,1,1,联排别墅,210.40,王伟,13900000003,,monthly,周晓梅,0,0.00
4-0-1,4,1,1,独立别墅,310.00,刘洋,13900000004,,monthly,周晓梅,0,0.00
S-1,S,1,1,商业,45.67,陈静,13900000005,,monthly,周晓梅,0,0.00
CSV
D init >/dev/null
D import households households.csv >/dev/null

# --- bad input: exit 2, nothing written -------------------------------------------------
before=$(dump)
for args in "--period 2027-13" "--period 2027-1" "--period 202701" "--months 3" \
            "--period 2027-01 --months 0" "--period 2027-01 --months 25" "--period 2027-01 x"; do
        out=$(D bill $args 2>&1); rc=$?
        check_eq "bill $args: exit 2" 2 "$rc"
done
check_contains "a bad period is named" "invalid --period '2027-13' (YYYY-MM" "$(D bill --period 2027-13 2>&1)"
check_eq "... and nothing was written" "$before" "$(dump)"

# --- dry run: totals per property type, nothing written ---------------------------------
# Hand-computed (yuan/m²/month × m², vacant × 70 %, rounded half up once):
#   多层 1.20 × 89.35 = 107.22 (three of them); vacant 1.20 × 89.33 × 0.7 = 75.0372 -> 75.04
#   小高层 2.00 × 120.55 = 241.10; 联排别墅 3.50 × 210.40 = 736.40
#   独立别墅 4.50 × 310.00 = 1395.00; 商业 5.00 × 45.67 = 228.35
#   多层 total 3 × 107.22 + 75.04 = 396.70 over 357.38 m²; all 2997.55 over 1044.00 m²
out=$(D bill --period 2027-01 --dry-run --format csv)
check_eq "dry run: per property type households, area, amount, vacant" \
"property_type,households,area_m2,amount,vacant
多层,4,357.38,396.70,1
小高层,1,120.55,241.10,0
联排别墅,1,210.40,736.40,0
独立别墅,1,310.00,1395.00,0
商业,1,45.67,228.35,0
total,8,1044.00,2997.55,1" "$out"
out=$(D bill --period 2027-01 --dry-run)
check_contains "dry run says what it would do" "8 charge(s) for 2027-01 would be added, 2,997.55 yuan" "$out"
check_contains "dry run: two advances would pay 50.00 + 107.22" "2 advance(s) would be drawn down by 157.22 yuan; 1 of them used up" "$out"
check_contains "dry run says it wrote nothing" "nothing was written" "$out"
check_eq "dry run: the database is unchanged" "$before" "$(dump)"

# --- the bill ---------------------------------------------------------------------------
out=$(D bill --period 2027-01)
check_contains "bill adds 8 charges" "8 charge(s) for 2027-01 were added, 2,997.55 yuan" "$out"
check_eq "each charge to the fen, due on fees.due_day" \
"1-1-101|10722|2027-01-15
1-1-102|7504|2027-01-15
1-1-201|10722|2027-01-15
1-1-202|10722|2027-01-15
2-1-1201|24110|2027-01-15
3-0-1|73640|2027-01-15
4-0-1|139500|2027-01-15
S-1|22835|2027-01-15" \
        "$(Q "SELECT h.unit, c.amount, c.due_date FROM charges c JOIN households h ON h.id = c.household_id WHERE c.period = '2027-01' ORDER BY h.unit")"
check_eq "prepaid: 50.00 of 107.22 drawn and used up; 107.22 of 500.00 drawn, 392.78 left" \
"1-1-201|5000|0|5722
1-1-202|10722|39278|0" \
        "$(Q "SELECT h.unit, p.amount, h.prepaid_balance, h.balance FROM payments p JOIN households h ON h.id = p.household_id WHERE p.method = '预付款抵扣' ORDER BY h.unit")"
recount() { Q "SELECT COUNT(*) FROM households h WHERE balance != COALESCE((SELECT SUM(amount) FROM charges WHERE household_id = h.id), 0) - COALESCE((SELECT SUM(amount) FROM payments WHERE household_id = h.id), 0)"; }
check_eq "every balance matches its charges and payments" 0 "$(recount)"

# --- idempotent -------------------------------------------------------------------------
billed=$(dump)
out=$(D bill --period 2027-01); rc=$?
check_eq "a second bill of the period exits 0" 0 "$rc"
check_contains "... says it is already billed" "2027-01 is already billed for all 8 household(s) with a fee: nothing was changed" "$out"
check_eq "... and changes nothing" "$billed" "$(dump)"

# --- several months: rounded once on the whole amount -----------------------------------
# 1.20 × 89.35 × 3 = 321.66; vacant 1.20 × 89.33 × 3 × 0.7 = 225.1116 -> 225.11 (not 3 × 75.04)
D bill --period 2027-04 --months 3 >/dev/null
check_eq "--months 3: the amounts of 1-1-101 and the vacant 1-1-102" "1-1-101|32166
1-1-102|22511" \
        "$(Q "SELECT h.unit, c.amount FROM charges c JOIN households h ON h.id = c.household_id WHERE c.period = '2027-04' AND h.unit IN ('1-1-101', '1-1-102') ORDER BY h.unit")"
Q "DELETE FROM charges WHERE period = '2027-04'"
D init >/dev/null       # recounts the balances after the raw delete

# --- a property type without a fee standard: exit 2, nothing written ---------------------
sed -e '/type = "商业"/d' -e 's|\(yuan_per_m2 = "4.50"; }\),|\1|' c.conf > nocommerce.conf
before=$(dump)
out=$("$DUNNCTL" -c nocommerce.conf bill --period 2027-02 2>&1); rc=$?
check_eq "a type without a standard: exit 2" 2 "$rc"
check_contains "... names the type and the key" "property type '商业'" "$out"
check_contains "... and says nothing was written" "nothing was written" "$out"
check_eq "... and nothing was" "$before" "$(dump)"

# --- late fees in debtors ---------------------------------------------------------------
# 30 days after 2027-01-15 at 万分之五 a day, per charge, half up:
#   107.22: 10722 × 30 × 5 / 10000 = 160.83 -> 1.61     57.22: 85.83 -> 0.86
#   75.04: 112.56 -> 1.13     1395.00: 2092.5 -> 20.93 (exactly half: up)
late() { D debtors --at "$1" --format csv | awk -F, -v u="$2" '$1 == u { print $5 "|" $6 }'; }
check_eq "debtors has a late_fee column" "unit,building,owner,category,amount,late_fee" \
        "$(D debtors --format csv | head -1 | cut -d, -f1-6)"
check_eq "late fee 1-1-101 on 02-14" "107.22|1.61" "$(late '2027-02-14 09:00' 1-1-101)"
check_eq "late fee 1-1-201 (what the advance left)" "57.22|0.86" "$(late '2027-02-14 09:00' 1-1-201)"
check_eq "late fee 1-1-102 (vacant)" "75.04|1.13" "$(late '2027-02-14 09:00' 1-1-102)"
check_eq "late fee 4-0-1 (half a fen rounds up)" "1395.00|20.93" "$(late '2027-02-14 09:00' 4-0-1)"
check_eq "no late fee on the due date" "107.22|0.00" "$(late '2027-01-15 20:00' 1-1-101)"
check_eq "the advance that covered its charge leaves no debtor" "" "$(late '2027-02-14 09:00' 1-1-202)"
# one day late, each charge rounded on its own: 5.361 + 3.752 + 2.861 + 12.055 + 36.82 +
# 69.75 + 11.4175 fen -> 5 + 4 + 3 + 12 + 37 + 70 + 11 = 1.42 yuan
check_contains "the table's footer sums the late fees, each rounded per charge" \
        "7 households owe 2,840.33 yuan, and 1.42 yuan of late fees" \
        "$(D debtors --at '2027-01-16 09:00' | tail -1)"
# 320 days (to 2027-12-01): 10722 × 320 × 5 / 10000 = 1715.52 -> 17.16; a cap of 10 % is 10.72
check_eq "late fee 1-1-101 on 12-01, cap 100 %" "107.22|17.16" "$(late '2027-12-01 09:00' 1-1-101)"
sed -i 's/cap_percent = 100;/cap_percent = 10;/' c.conf
check_eq "... with cap_percent = 10: 10.72 (rounded down)" "107.22|10.72" "$(late '2027-12-01 09:00' 1-1-101)"
sed -i 's/cap_percent = 10;/cap_percent = 100;/; s/rounding = "half-up";/rounding = "down";/' c.conf
check_eq "rounding = down: 2092.5 fen -> 20.92" "1395.00|20.92" "$(late '2027-02-14 09:00' 4-0-1)"
sed -i 's/rounding = "down";/rounding = "half-up";/; s/grace_days = 0;/grace_days = 10;/' c.conf
# 10 grace days: 20 counted, 10722 × 20 × 5 / 10000 = 107.22 -> 1.07
check_eq "grace_days = 10: 20 days counted" "107.22|1.07" "$(late '2027-02-14 09:00' 1-1-101)"
mkconf c.conf

# --- the deadline text: late fee, one part, its cost --------------------------------------
out=$(D preview deadline --at '2027-02-14 09:30' --reveal)
check_contains "the deadline text names the late fee" \
        "【阳光花园物业】张建国业主：您1-1-101物业费107.22元，滞纳金1.61元，请于2月15日前缴纳。如已缴纳，请忽略本信息。" "$out"
check_contains "the prepaid owner whose advance is used up reads the prepaid text" \
        "1-1-201  孙丽  new  sms 13900000007  57.22 yuan  deadline/prepaid  1 part, 0.05 yuan" "$out"
check_contains "a monthly payer reads the monthly text, 1 part at 5 fen" \
        "1-1-101  张建国  new  sms 13900000001  107.22 yuan  deadline/monthly  1 part, 0.05 yuan" "$out"
check_contains "preview totals SMS, parts and cost" \
        "SMS: 7 SMS, 7 parts, 0.35 yuan (5 fen a part); every one fits one part" "$out"
out=$(D preview collection --at '2027-02-14 09:30' --reveal)
check_contains "a vacant home reads the vacant text" "1-1-102  赵敏  new  sms 13900000006  75.04 yuan  collection/vacant  1 part" "$out"
out=$(D preview deadline --at '2027-02-14 09:30' --format csv | head -1)
check_contains "preview csv has parts and cost" ",parts,cost," "$out"
cost=$(D preview deadline --at '2027-02-14 09:30' --format json | python3 -c 'import json,sys; print(sum(float(r["cost"]) for r in json.load(sys.stdin) if r["cost"]))')
check_eq "the rows' costs add up to the total" "0.35" "$cost"

# --- run: what was sent by SMS and what it cost -------------------------------------------
# a run for February is a simulation on a copy: the live database refuses a future --at
out=$(D run deadline --at '2027-02-14 09:30' --ignore-holidays --simulate sim.db 2>&1)
check_contains "run reports the SMS sent and their cost" "sent by SMS: 7 SMS, 7 parts, 0.35 yuan (5 fen a part)" "$out"
check_eq "the outbox recorded 1 part for each" "7|7" "$(sqlite3 sim.db "SELECT COUNT(*), SUM(parts) FROM dispatches WHERE channel = 'sms' AND status = 'sent'")"
