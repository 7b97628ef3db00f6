#!/bin/bash
# scripts/sample-data: determinism, shape and internal consistency of the generated CSVs.
. "$TOP/tests/integration/lib.sh"

GEN="$TOP/scripts/sample-data"
N=2000

"$GEN" $N "$T/a" 2>/dev/null
check "generator succeeds" test -s "$T/a/households.csv"
"$GEN" $N "$T/b" --seed 1 --today 2026-12-10 2>/dev/null
"$GEN" $N "$T/c" --seed 2 2>/dev/null
"$GEN" $N "$T/gbk" --encoding gbk 2>/dev/null

same=yes
for f in households charges payments categories; do
        cmp -s "$T/a/$f.csv" "$T/b/$f.csv" || same=no
done
check_eq "same seed (and explicit defaults) gives identical files" yes "$same"
check "different seed gives different households" bash -c "! cmp -s '$T/a/households.csv' '$T/c/households.csv'"
check "different seed gives different payments" bash -c "! cmp -s '$T/a/payments.csv' '$T/c/payments.csv'"

check_eq "households.csv has N+1 lines" $((N + 1)) "$(wc -l <"$T/a/households.csv")"
check_eq "charges.csv has 6N+1 lines" $((6 * N + 1)) "$(wc -l <"$T/a/charges.csv")"
check_eq "households header" \
        "unit,building,floor,room,property_type,area_m2,owner,phone,email,payer_type,staff,vacant,prepaid_balance" \
        "$(head -n1 "$T/a/households.csv")"
check_eq "charges header" "unit,period,amount,due_date" "$(head -n1 "$T/a/charges.csv")"
check_eq "payments header" "unit,amount,paid_at,method,reference" "$(head -n1 "$T/a/payments.csv")"
check_eq "categories header" "unit,category,promise_date,note" "$(head -n1 "$T/a/categories.csv")"
check "LF line endings only" bash -c "! cat '$T'/a/*.csv | grep -q \$'\r'"
check "categories has quoted notes" grep -q '"' "$T/a/categories.csv"

# Per-file checks that need real CSV parsing; each failure is printed as "FAIL: what".
out=$(/usr/bin/python3 - "$T/a" <<'EOF'
import csv, re, sys, collections, os
d = sys.argv[1]
def rows(name):
    with open(os.path.join(d, name), encoding='utf-8', newline='') as f:
        return list(csv.DictReader(f))
def fen(s):
    assert re.fullmatch(r'\d+\.\d\d', s), s
    a, b = s.split('.')
    return int(a) * 100 + int(b)
hh, ch, pay, cat = rows('households.csv'), rows('charges.csv'), rows('payments.csv'), rows('categories.csv')
units = [h['unit'] for h in hh]
def ok(cond, what):
    print(('ok ' if cond else 'FAIL: ') + what)

ok(len(set(units)) == len(units), 'units unique')
ok(all(re.fullmatch(r'(\d+)-([1-3])-(\d+)(0[1-4])', h['unit']) and
       h['unit'] == '%s-%s-%s' % (h['building'], h['unit'].split('-')[1], h['room']) and
       h['room'] == '%s%s' % (h['floor'], h['room'][-2:]) for h in hh), 'unit = building-entrance-floor+room')
phones = [h['phone'] for h in hh if h['phone']]
ok(all(re.fullmatch(r'1[3-9][0-9]{9}', p) for p in phones), 'every phone matches ^1[3-9][0-9]{9}$')
ok(len(set(phones)) == len(phones), 'phones unique')
ok(0.04 < 1 - len(phones) / len(hh) < 0.12, 'about 8% without phone')
emails = [h['email'] for h in hh if h['email']]
ok(all(re.fullmatch(r'[a-z.]+[0-9]+@example\.com', e) for e in emails), 'emails are @example.com')
ok(0.25 < len(emails) / len(hh) < 0.35, 'about 30% with email')
ok(set(h['property_type'] for h in hh) == {'多层', '小高层', '联排别墅', '独立别墅', '商业'}, 'all five property types')
ok(all(h['floor'] == '1' for h in hh if h['property_type'] == '商业'), 'shops on floor 1')
ok(all(re.fullmatch(r'\d+(\.\d{1,2})?', h['area_m2']) for h in hh), 'area has up to 2 decimals')
ok(all(200 <= float(h['area_m2']) <= 400 for h in hh if '别墅' in h['property_type']), 'villas 200-400 m2')
ok(all(h['payer_type'] in ('prepaid', 'monthly') for h in hh), 'payer_type')
ok(all(h['vacant'] in ('0', '1') for h in hh), 'vacant 0/1')
ok(len(set(h['staff'] for h in hh)) == 5, 'five staff')
ok(all(fen(h['prepaid_balance']) == 0 for h in hh if h['payer_type'] == 'monthly'), 'monthly payers have 0.00 balance')

fee = {'多层': 120, '小高层': 200, '联排别墅': 350, '独立别墅': 450, '商业': 500}
byunit = {h['unit']: h for h in hh}
charged = collections.Counter()
good = True
for c in ch:
    h = byunit[c['unit']]
    a = round(float(h['area_m2']) * 100)
    x = fee[h['property_type']] * a
    want = (x * 70 + 5000) // 10000 if h['vacant'] == '1' else (x + 50) // 100
    good &= fen(c['amount']) == want and c['due_date'] == c['period'] + '-15'
    charged[c['unit']] += fen(c['amount'])
ok(good, 'charge = fee standard x area (70% vacant), due on the 15th')
ok(sorted(set(c['period'] for c in ch)) == ['2026-%02d' % m for m in range(7, 13)], 'periods 2026-07..2026-12')

paid = collections.Counter()
for p in pay:
    paid[p['unit']] += fen(p['amount'])
ok(all(paid[u] <= charged[u] for u in units), 'payments never exceed charges')
ok(all(p['paid_at'] < '2026-12-10' for p in pay), 'paid before today')
ok(all(p['method'] in ('微信', '支付宝', '银行转账', '现金') for p in pay), 'payment methods')
refs = [p['reference'] for p in pay]
ok(len(set(refs)) == len(refs) and all(re.fullmatch(r'P\d{13,}', r) for r in refs), 'references unique')
full = sum(1 for u in units if paid[u] == charged[u])
none_recent = sum(1 for u in units if charged[u] - paid[u] >= 3 * charged[u] // 6)
ok(0.6 < full / len(units) < 0.8, 'about 70% paid in full')
ok(0.15 < none_recent / len(units) < 0.3, 'about 20-25% paid nothing recently')
debtors = {u for u in units if paid[u] < charged[u]}
ok(all(c['unit'] in debtors for c in cat), 'categories only for debtors')
ok(len({c['unit'] for c in cat}) == len(cat), 'at most one category per unit')
ok(len(cat) < len(debtors), 'some debtors uncategorized (new)')
ok({c['category'] for c in cat} == {'promised', 'unclear', 'unreachable', 'away', 'disputed'}, 'category mix')
ok(all((c['category'] == 'promised') == bool(c['promise_date']) for c in cat), 'promise_date only when promised')
ok(all(c['promise_date'] > '2026-12-10' for c in cat if c['promise_date']), 'promise_date after today')
ok(any(',' in c['note'] for c in cat), 'notes with commas')
prepaid_debtors = [u for u in debtors if byunit[u]['payer_type'] == 'prepaid']
ok(all(fen(byunit[u]['prepaid_balance']) == 0 for u in prepaid_debtors), 'prepaid debtors exhausted')
EOF
)
while IFS= read -r line; do
        case "$line" in
        "ok "*) ok "${line#ok }";;
        "FAIL: "*) nok "${line#FAIL: }";;
        *) nok "unexpected output: $line";;
        esac
done <<<"$out"
[ -n "$out" ] || nok "python checks produced no output"

same=yes
for f in households charges payments categories; do
        iconv -f GBK -t UTF-8 "$T/gbk/$f.csv" >"$T/gbk-$f.csv" 2>/dev/null || same=no
        cmp -s "$T/gbk-$f.csv" "$T/a/$f.csv" || same=no
done
check_eq "GBK output decodes to the UTF-8 output" yes "$same"
check "GBK output is not UTF-8" bash -c "! cmp -s '$T/gbk/households.csv' '$T/a/households.csv'"

"$GEN" 5 "$T/d" --today 2027-02-03 2>/dev/null
check_eq "--today moves the periods" "2026-09 2026-10 2026-11 2026-12 2027-01 2027-02" \
        "$(tail -n +2 "$T/d/charges.csv" | cut -d, -f2 | sort -u | tr '\n' ' ' | sed 's/ $//')"
"$GEN" 1 "$T/e" 2>/dev/null
check_eq "one household" "2 7" "$(wc -l <"$T/e/households.csv") $(wc -l <"$T/e/charges.csv")"

for args in "" "0 $T/x" "-3 $T/x" "abc $T/x" "5" "5 $T/x --seed x" "5 $T/x --today 2026-02-30" \
            "5 $T/x --today 20261210" "5 $T/x --encoding latin1" "5 $T/x --bogus"; do
        # shellcheck disable=SC2086
        "$GEN" $args >/dev/null 2>&1
        check_eq "bad arguments '${args//$T/DIR}' exit 2" 2 "$?"
done
check "no output left for bad arguments" test ! -e "$T/x"

start=$(date +%s%N)
"$GEN" 2000 "$T/speed" 2>/dev/null
ms=$(( ($(date +%s%N) - start) / 1000000 ))
check "2,000 households in under a second (${ms} ms)" test "$ms" -lt 1000

# The files of the default invocation, as written before --owing-share existed (and before
# the generator was made faster): adding the option must not move one byte of them.
check_eq "default output unchanged (checksums of 2,000 households, seed 1)" \
        "4556193f9cf72a5990f4af24a8f28f16 716b5f78a644a4d5b218716a443b03e4 2871044074560e0ce04b21cf74cfa79a e4c72183d5f63263c041306415ada717" \
        "$(cd "$T/a" && md5sum categories.csv charges.csv households.csv payments.csv | cut -d' ' -f1 | tr '\n' ' ' | sed 's/ $//')"

# --- --owing-share: that share owes, and they are the ones dunnctl debtors lists ----------
owing() {       # owing DIR: households whose payments fall short of their charges
        /usr/bin/python3 - "$1" <<'PY'
import csv, collections, os, sys
d = sys.argv[1]
def fen(s):
    a, b = s.split('.')
    return int(a) * 100 + int(b)
due, paid = collections.Counter(), collections.Counter()
for r in csv.DictReader(open(os.path.join(d, 'charges.csv'), encoding='utf-8', newline='')):
    due[r['unit']] += fen(r['amount'])
for r in csv.DictReader(open(os.path.join(d, 'payments.csv'), encoding='utf-8', newline='')):
    paid[r['unit']] += fen(r['amount'])
print(sum(1 for u in due if paid[u] < due[u]))
PY
}
debtors_listed() {      # debtors_listed DIR: what dunnctl debtors reports after importing DIR
        local db="$1/dunnd.db" k
        "$DUNNCTL" --db "$db" init >/dev/null || return 1
        for k in households charges payments categories; do
                # the generator's default --today: its promises are after it
                "$DUNNCTL" --db "$db" import $k "$1/$k.csv" --at 2026-12-10 >/dev/null || return 1
        done
        echo $(( $("$DUNNCTL" --db "$db" debtors --format csv | wc -l) - 1 ))
}
"$GEN" 1000 "$T/o20" --owing-share 0.2 2>/dev/null
# (small sizes where size does not matter: make check stays as fast as it was)
"$GEN" 300 "$T/o20x" --owing-share 0.2 2>/dev/null
"$GEN" 300 "$T/o20y" --owing-share 0.2 2>/dev/null
"$GEN" 300 "$T/o20s" --owing-share 0.2 --seed 5 2>/dev/null
same=yes
for f in households charges payments categories; do cmp -s "$T/o20x/$f.csv" "$T/o20y/$f.csv" || same=no; done
check_eq "--owing-share: same arguments, identical files" yes "$same"
check "--owing-share: another seed, other payments" bash -c "! cmp -s '$T/o20x/payments.csv' '$T/o20s/payments.csv'"
# the register is drawn before who pays what: only prepaid_balance (column 13) may differ
check_eq "--owing-share: the same households" "$(head -n 1001 "$T/a/households.csv" | cut -d, -f1-12 | md5sum)" \
        "$(cut -d, -f1-12 "$T/o20/households.csv" | md5sum)"
n20=$(owing "$T/o20")
[ "$n20" -ge 170 ] && [ "$n20" -le 230 ] \
        && ok "--owing-share 0.2: about 20% owe ($n20 of 1000)" || nok "--owing-share 0.2: about 20% owe ($n20 of 1000)"
check_eq "--owing-share 0.2: dunnctl debtors lists exactly the households that owe" "$n20" "$(debtors_listed "$T/o20")"
"$GEN" 100 "$T/o0" --owing-share 0 2>/dev/null
check_eq "--owing-share 0: nobody owes" "0 0" "$(owing "$T/o0") $(debtors_listed "$T/o0")"
check_eq "--owing-share 0: no categories" 1 "$(wc -l <"$T/o0/categories.csv")"
"$GEN" 100 "$T/o1" --owing-share 1 2>/dev/null
check_eq "--owing-share 1: everybody owes" "100 100" "$(owing "$T/o1") $(debtors_listed "$T/o1")"
for bad in -0.1 1.5 abc nan; do
        "$GEN" 5 "$T/y" --owing-share "$bad" >/dev/null 2>&1
        check_eq "bad --owing-share '$bad' exits 2" 2 "$?"
done
check "no output left for a bad --owing-share" test ! -e "$T/y"
