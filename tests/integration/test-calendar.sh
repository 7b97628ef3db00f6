#!/bin/bash
# `dunnctl calendar` against the reference implementation, `systemd-analyze calendar`: for every
# expression in the table, the normalized form and the next five elapses after a fixed base time
# must be identical, line by line. Invalid expressions must exit 2 with a message, and systemd
# must reject them too.
#
# Both read the base time and print the elapses in the local zone ($TZ), whatever zone the
# expression names, so the reference runs under the same TZ as dunnctl. (dunnctl used to read
# the base time in the expression's zone, which disagreed with systemd-analyze.)
. "$TOP/tests/integration/lib.sh"

have_sd=false
command -v systemd-analyze >/dev/null 2>&1 && have_sd=true

# The reference's output reduced to ours: "Normalized form: ..." and one "YYYY-MM-DD HH:MM:SS ZONE"
# per elapse (weekday dropped; "(in UTC)", "From now" and "never" lines dropped).
sd_calendar() {         # tz base expr
        TZ=$1 systemd-analyze calendar --base-time="$2" --iterations=5 "$3" 2>/dev/null |
                sed -n -e 's/^ *\(Normalized form: .*\)$/\1/p' \
                       -e 's/^ *\(Next elapse\|Iter\. #[0-9]*\): [A-Z][a-z][a-z] \([0-9].*\)$/\2/p'
}

# Our output must be "Normalized form: ..." followed by elapse lines only.
well_formed() {
        local first=1 line
        while IFS= read -r line; do
                if [ $first = 1 ]; then
                        [[ $line == "Normalized form: "* ]] || return 1
                        first=0
                else
                        [[ $line =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}\ [0-9]{2}:[0-9]{2}:[0-9]{2}\ [A-Za-z0-9+-]+$ ]] || return 1
                fi
        done <<<"$1"
        [ $first = 0 ]
}

compare() {             # tz base expr
        local tz=$1 base=$2 expr=$3 ours theirs rc
        ours=$(TZ=$tz "$DUNNCTL" calendar --base-time="$base" --iterations=5 "$expr" 2>&1)
        rc=$?
        if [ $rc -ne 0 ] || ! well_formed "$ours"; then
                nok "TZ=$tz '$expr' from $base: exit $rc"
                echo "$ours" | sed 's/^/#   /'
                return
        fi
        if ! $have_sd; then
                skip "TZ=$tz '$expr' from $base" "systemd-analyze not installed"
                return
        fi
        theirs=$(sd_calendar "$tz" "$base" "$expr")
        if [ "$ours" = "$theirs" ]; then
                ok "TZ=$tz '$expr' from $base"
        else
                nok "TZ=$tz '$expr' from $base"
                diff <(echo "$theirs") <(echo "$ours") | sed 's/^/#   /'
        fi
}

# base time | expression
CASES=(
        "2026-02-27 10:15:00|Mon..Fri 09:30"
        "2026-02-27 10:15:00|Monday 09:30"
        "2026-02-27 10:15:00|Sat,Sun 10:00"
        "2026-02-27 10:15:00|Mon,Wed..Fri,Sun 08:00"
        "2026-02-27 10:15:00|Tue-Thu *-*-* 18:00"
        "2026-02-27 10:15:00|*-*-14,15 09:30"
        "2026-02-27 10:15:00|*-*-01..05 09:00"
        "2026-02-27 10:15:00|*-*-28..31 12:00"
        "2026-02-27 10:15:00|*-*-31"
        "2026-02-27 10:15:00|*-*-30 18:00"
        "2026-02-27 10:15:00|*-02-29"
        "2026-02-27 10:15:00|*-02-29 08:00"
        "2026-02-27 10:15:00|*-*-1/7"
        "2026-02-27 10:15:00|2027-*-1/7"
        "2026-02-27 10:15:00|*-1/3-01 09:00"
        "2026-02-27 10:15:00|*:0/15"
        "2026-02-27 10:15:00|*:*:0/20"
        "2026-02-27 10:15:00|08,14:00"
        "2026-02-27 10:15:00|08..18/2:30"
        "2026-02-27 10:15:00|*-*-* 09:00:30.5"
        "2026-02-27 10:15:00|*-*~01"
        "2026-02-27 10:15:00|*-*~01 17:00"
        "2026-02-27 10:15:00|*-02~03"
        "2026-02-27 10:15:00|*-*~07/1"
        "2026-02-27 10:15:00|*-*~01..03 09:00"
        "2026-02-27 10:15:00|Fri *-*~07/1 16:00"
        "2026-02-27 10:15:00|Mon *-*-1..7 10:00"
        "2026-02-27 10:15:00|Fri *-*-13"
        "2026-02-27 10:15:00|12-25"
        "2026-02-27 10:15:00|2026-03-01"
        "2026-02-27 10:15:00|10:00"
        "2026-02-27 10:15:00|minutely"
        "2026-02-27 10:15:00|hourly"
        "2026-02-27 10:15:00|daily"
        "2026-02-27 10:15:00|weekly"
        "2026-02-27 10:15:00|monthly"
        "2026-02-27 10:15:00|yearly"
        "2026-02-27 10:15:00|annually"
        "2026-02-27 10:15:00|quarterly"
        "2026-02-27 10:15:00|semiannually"
        "2026-02-27 10:15:00|27..29-06-01"
        "2026-02-27 10:15:00|99-01-01"
        "2026-02-27 10:15:00|2020-01-01"
        "2026-02-27 10:15:00|2026-02-30"
        "2026-02-27 10:15:00|*-02-30"
        "2026-02-27 10:15:00|2199-12-31 23:59:59"
        "2026-02-27 10:15:00|2100-02-29"
        "2026-02-27 10:15:00|2096..2104-02-29"
        "2026-02-27 10:15:00|@1800000000"
        "2026-02-27 10:15:00|*-*-* 09:30 Asia/Shanghai"
        "2026-02-27 10:15:00|Mon..Fri 09:30 UTC"
        "2026-02-27 10:15:00|daily Europe/Berlin"
        "2026-03-28 12:00:00|*-*-* 02:30 Europe/Berlin"
        "2026-03-29 00:30:00|*:0/30 Europe/Berlin"
        "2026-03-29 00:30:00|*-*-* 01..03:00,30 Europe/Berlin"
        "2026-10-24 12:00:00|*-*-* 02:30 Europe/Berlin"
        "2026-10-25 01:20:00|*:0/20 Europe/Berlin"
        "2026-10-25 00:00:00|*-*-* 01..03:00,30 Europe/Berlin"
        "2026-03-07 12:00:00|*-*-* 02:30 America/New_York"
        "2026-03-08 00:30:00|*:0/30 America/New_York"
        "2026-10-31 12:00:00|*-*-* 01:30 America/New_York"
        "2026-11-01 00:20:00|*:0/20 America/New_York"
        "2026-02-27 10:15:00|Sun *-*-* 02:30 America/New_York"
        # Repetitions that step past the end of the day, month and year.
        "2027-01-31 22:00:00|0/5:00 UTC"
        "2027-12-30 12:00:00|*-*-2/4 UTC"
        "2027-01-30 23:50:00|*:0/25 UTC"
        "2027-01-30 22:50:00|*:0/25 UTC"
)

for c in "${CASES[@]}"; do
        compare Asia/Shanghai "${c%%|*}" "${c#*|}"
done

# Expressions without a zone depend on $TZ: the DST-sensitive ones again under Europe/Berlin.
BERLIN=(
        "2026-03-28 12:00:00|*-*-* 02:30"
        "2026-03-29 00:30:00|*:0/30"
        "2026-03-29 00:30:00|*-*-* 01..03:00,30"
        "2026-10-24 12:00:00|*-*-* 02:30"
        "2026-10-25 01:20:00|*:0/20"
        "2026-10-25 00:00:00|*-*-* 01..03:00,30"
        "2026-02-27 10:15:00|Mon..Fri 09:30"
        "2026-02-27 10:15:00|*-*~01 17:00"
        "2026-02-27 10:15:00|*-02-29"
        "2026-02-27 10:15:00|*-*-* 09:30 Asia/Shanghai"
        "2026-02-27 10:15:00|weekly"
)
for c in "${BERLIN[@]}"; do
        compare Europe/Berlin "${c%%|*}" "${c#*|}"
done

# An expression naming another zone than the local one: the base time is local time. The
# base times sit where reading them in the expression's zone would give another answer (a
# Shanghai evening is the New York morning of the same day), and across DST changes that the
# two zones make on different dates.
OTHER_ZONE=(
        "Asia/Shanghai|2026-12-01 10:00:00|*-*-14 09:30 America/New_York"
        "Asia/Shanghai|2026-12-13 23:00:00|*-*-14 09:30 America/New_York"
        "Asia/Shanghai|2026-12-14 21:00:00|*-*-14 09:30 America/New_York"
        "Asia/Shanghai|2026-12-14 23:00:00|*-*-14 09:30 America/New_York"
        "Asia/Shanghai|2026-02-27 10:15:00|*-*-14,15 09:30 Europe/Berlin"
        "Asia/Shanghai|2026-03-07 20:00:00|*-*-* 02:30 America/New_York"
        "Europe/Berlin|2026-03-20 12:00:00|*-*-* 09:30 America/New_York"
        "Europe/Berlin|2026-10-30 12:00:00|Mon..Fri 09:30 America/New_York"
        "America/New_York|2026-10-24 20:00:00|*-*-* 01..03:00,30 Europe/Berlin"
        "America/New_York|2026-12-13 20:00:00|*-*-14 09:30 Asia/Shanghai"
        "UTC|2026-12-14 01:00:00|*-*-14 09:30 Asia/Shanghai"
        "UTC|2026-12-14 02:00:00|*-*-14 09:30 Asia/Shanghai"
)
for c in "${OTHER_ZONE[@]}"; do
        IFS='|' read -r tz base expr <<<"$c"
        compare "$tz" "$base" "$expr"
done

# With a configuration, an expression that names no zone elapses in its timezone (the
# estate's), and the base time and elapses stay local: the same as systemd-analyze given the
# expression with the configured zone appended.
sed -e "s|^database = .*|database = \"$T/d.db\";|" \
    -e "s|^timezone = .*|timezone = \"Asia/Shanghai\";|" \
    -e "s|^# plugin_dir = .*|plugin_dir = \"$PLUGIN_DIR\";|" "$TOP/etc/dunnd.conf" >"$T/c.conf"
cp "$TOP/etc/holidays.conf" "$T/"       # its @include, as installed
for c in "Europe/Berlin|2026-12-14 02:00:00|*-*-14,15 09:30" \
         "America/New_York|2026-12-13 20:00:00|*-*-14,15 09:30" \
         "UTC|2026-03-28 12:00:00|Mon..Fri 08:00"; do
        IFS='|' read -r tz base expr <<<"$c"
        ours=$(TZ=$tz "$DUNNCTL" -c "$T/c.conf" calendar --base-time="$base" --iterations=5 "$expr" 2>&1)
        rc=$?
        if [ $rc -ne 0 ] || ! well_formed "$ours"; then
                nok "config zone, TZ=$tz '$expr' from $base: exit $rc"
                echo "$ours" | sed 's/^/#   /'
        elif ! $have_sd; then
                skip "config zone, TZ=$tz '$expr' from $base" "systemd-analyze not installed"
        else
                theirs=$(sd_calendar "$tz" "$base" "$expr Asia/Shanghai" | tail -n +2)
                check_eq "config zone, TZ=$tz '$expr' from $base" "$theirs" "$(tail -n +2 <<<"$ours")"
        fi
done

INVALID=(
        "Mnd 10:00"
        "*-13-01"
        "*-*-32"
        "25:00"
        "*:61"
        "1.."
        "Mon.."
        "*-*-* 10:00 Nowhere/Zone"
        ""
        "Fri..Mon"
        "*-*-* *:*:60"
        "1969-01-01"
        "*:0/60"
        "*-*~29"
        "daily  "
)
for e in "${INVALID[@]}"; do
        err=$(TZ=Asia/Shanghai "$DUNNCTL" calendar --base-time="2026-02-27 10:15:00" "$e" 2>&1 >/dev/null)
        rc=$?
        if [ $rc -ne 2 ] || [[ $err != "dunnctl: invalid calendar expression '$e': "?* ]]; then
                nok "invalid '$e' rejected (exit $rc: $err)"
        elif ! $have_sd; then
                skip "invalid '$e' rejected" "systemd-analyze not installed"
        elif TZ=Asia/Shanghai systemd-analyze calendar "$e" >/dev/null 2>&1; then
                nok "invalid '$e': systemd-analyze accepts it"
        else
                ok "invalid '$e' rejected: ${err#*: *: }"
        fi
done

out=$("$DUNNCTL" calendar --help 2>&1)
check "calendar --help" test $? -eq 0 -a -n "$out"
"$DUNNCTL" calendar --iterations=0 daily >/dev/null 2>&1
check_eq "calendar --iterations=0 is a usage error" 2 $?
"$DUNNCTL" calendar --base-time=yesterday daily >/dev/null 2>&1
check_eq "calendar --base-time=yesterday is a usage error" 2 $?
"$DUNNCTL" calendar >/dev/null 2>&1
check_eq "calendar without an expression is a usage error" 2 $?
