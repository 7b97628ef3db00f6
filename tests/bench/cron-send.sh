#!/bin/bash
# SPDX-License-Identifier: MIT
#
# The cron job an ops person would write instead of dunnd — the reference that `make bench`
# measures dunnd against (per message, not per run):
#
#   cron-send.sh DB URL
#
# DB is a billing database as the office's own system might hold it (tables households,
# charges, payments, as imported from the sample CSVs by tests/bench/run). One sqlite3
# query lists who owes and has a phone; then per message one curl POST of a JSON body to
# URL and, when the gateway said {"code":0...}, one sqlite3 UPDATE that records the
# reminder (sqlite3's defaults: a rollback journal, synchronous=FULL — a durable commit per
# message, like dunnd's). A failed message is reported and counted; the script goes on,
# then exits 1. Prints the number of messages sent on stdout.
set -euo pipefail

DB=${1:?usage: cron-send.sh DB URL}
URL=${2:?usage: cron-send.sh DB URL}

# who owes: charges minus payments per unit, in fen, with a phone
list_debtors() {
        sqlite3 -batch -noheader -separator $'\t' "$DB" "
                SELECT h.unit, h.owner, h.phone, printf('%d.%02d', owed / 100, owed % 100)
                FROM households h
                JOIN (SELECT c.unit,
                             c.fen - COALESCE((SELECT SUM(CAST(round(p.amount * 100) AS INTEGER))
                                               FROM payments p WHERE p.unit = c.unit), 0) AS owed
                      FROM (SELECT unit, SUM(CAST(round(amount * 100) AS INTEGER)) AS fen
                            FROM charges GROUP BY unit) c) o ON o.unit = h.unit
                WHERE o.owed > 0 AND h.phone <> ''
                ORDER BY h.unit;"
}

# send_one UNIT OWNER PHONE AMOUNT: 0 when the gateway took it
send_one() {
        local text body answer
        text="【阳光花园物业】尊敬的${2}业主您好，您的${1}物业费${4}元尚未缴纳，12月15日起将按合同计收滞纳金。如已缴纳，请忽略本信息。"
        body=$(printf '{"to": "+86%s", "text": "%s", "reference": "%s"}' "$3" "$text" "$1")
        answer=$(curl -sS --fail --max-time 10 -H 'Content-Type: application/json; charset=utf-8' \
                --data-binary "$body" "$URL") || return 1
        [[ $answer == *'"code":0'* ]] || return 1
        # units are digits and dashes (checked below), so they can go into the SQL as they are
        sqlite3 -batch "$DB" "UPDATE households SET reminded_at = datetime('now') WHERE unit = '$1';"
}

debtors=$(list_debtors)          # a failing query stops the script (set -e)
sent=0 failed=0
while IFS=$'\t' read -r unit owner phone amount; do
        [ -n "$unit" ] || continue          # no debtors at all: one empty line
        if [[ ! $unit =~ ^[0-9-]+$ ]]; then
                echo "cron-send: odd unit '$unit', skipped" >&2
                failed=$((failed + 1))
                continue
        fi
        if send_one "$unit" "$owner" "$phone" "$amount"; then
                sent=$((sent + 1))
        else
                echo "cron-send: $unit: not sent" >&2
                failed=$((failed + 1))
        fi
done <<< "$debtors"

echo "$sent"
[ "$failed" -eq 0 ]
