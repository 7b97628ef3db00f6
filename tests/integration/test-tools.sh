#!/bin/bash
# The tools stay clean: cppcheck over the sources, valgrind over the real programs doing
# real work (import, run, the daemon through a schedule and a SIGTERM), and dunnctl run's
# progress line on a terminal (and its silence under cron).
. "$TOP/tests/integration/lib.sh"
cd "$T"

if command -v cppcheck >/dev/null; then
        out=$(make -s -C "$TOP" cppcheck 2>&1); rc=$?
        check_eq "cppcheck finds nothing" 0 "$rc"
        [ "$rc" -eq 0 ] || echo "$out" | head -20 | sed 's/^/# /'
else
        skip "cppcheck finds nothing" "cppcheck not installed"
fi

# runs stand for times that have come: a run --at the future is refused
AT1="$(date -d '-2 days' +%F) 09:30" AT2="$(date -d '-1 day' +%F) 09:30"
"$TOP/scripts/sample-data" 200 data --seed 5 --today "$(date +%F)" 2>/dev/null
sed -e "s|^database = .*|database = \"$T/d.db\";|" -e "s|/var/lib/dunnd/|$T/|" \
    -e "s|^# plugin_dir = .*|plugin_dir = \"$PLUGIN_DIR\";|" \
    -e 's|start = "21:00"; end = "08:00"|start = "00:00"; end = "00:00"|' \
    -e 's|when = "\*-\*-\* 10:30";|when = "*:*:0/2";|' "$TOP/etc/dunnd.conf" > c.conf
cp "$TOP/etc/holidays.conf" .

if command -v valgrind >/dev/null && [[ "$DUNNCTL" != *build-asan* ]]; then
        VG="valgrind --quiet --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=99"
        $VG "$DUNNCTL" -c c.conf init >/dev/null 2>vg.log; rc=$?
        for k in households charges payments categories; do
                $VG "$DUNNCTL" -c c.conf import $k data/$k.csv --at "$(date +%F)" >/dev/null 2>>vg.log || rc=$?
        done
        check_eq "valgrind: init and imports run clean" 0 "$rc"
        $VG "$DUNNCTL" -c c.conf run deadline --ignore-quiet-hours --at "$AT1" --quiet >/dev/null 2>vg-run.log; rc=$?
        check_eq "valgrind: a campaign run is clean" 0 "$rc"
        [ "$rc" -eq 0 ] || head -30 vg-run.log | sed 's/^/# /'
        $VG "$DUNND" -c c.conf >/dev/null 2>vg-d.log &
        pid=$!
        on_exit "kill -9 $pid"
        for i in $(seq 100); do grep -q 'unclear-daily@.*: done' vg-d.log && break; sleep 0.2; done
        kill -HUP $pid; sleep 1
        kill -TERM $pid; wait $pid; rc=$?
        check_eq "valgrind: the daemon through a schedule, a reload and SIGTERM is clean" 0 "$rc"
        [ "$rc" -eq 0 ] || grep '==' vg-d.log | head -30 | sed 's/^/# /'
else
        skip "valgrind runs" "valgrind missing or an ASan build"
fi

if command -v script >/dev/null; then
        rm -f d.db; "$DUNNCTL" -c c.conf init >/dev/null
        for k in households charges payments categories; do "$DUNNCTL" -c c.conf import $k data/$k.csv >/dev/null; done
        script -qec "$DUNNCTL -c c.conf run deadline --ignore-quiet-hours --at '$AT2' --quiet" /dev/null > tty.out 2>&1
        check "on a terminal: a live progress line (sent / total, rate, ETA)" grep -Eq 'sent [0-9]+/[0-9]+ +[0-9.]+/s +ETA' tty.out
        "$DUNNCTL" -c c.conf run deadline --ignore-quiet-hours --at "$AT1" > cron.out 2>&1
        if grep -q 'ETA' cron.out; then nok "not on a terminal (cron): no progress line"; else ok "not on a terminal (cron): no progress line"; fi
else
        skip "progress line on a terminal" "script (util-linux) missing"
fi

# --- make install / uninstall into a DESTDIR ------------------------------------------------
if [[ "$DUNNCTL" != *build-asan* ]]; then
        make -s -C "$TOP" install DESTDIR="$T/inst" PREFIX=/usr/local SYSCONFDIR=/etc >inst.log 2>&1
        check_eq "make install: exit 0" 0 $?
        for f in usr/local/bin/dunnctl usr/local/sbin/dunnd usr/local/lib/dunnd/plugins/file.so \
                 usr/local/lib/dunnd/plugins/kannel.so usr/local/lib/systemd/system/dunnd.service \
                 usr/local/lib/systemd/system/dunnd@.service usr/local/lib/sysusers.d/dunnd.conf \
                 usr/local/share/man/man8/dunnd.8 usr/local/share/man/man5/dunnd.conf.5 \
                 usr/local/share/man/man1/dunnctl.1 etc/dunnd/dunnd.conf etc/dunnd/holidays.conf; do
                [ -e "$T/inst/$f" ] || { nok "make install puts /$f in place"; continue; }
        done
        ok "make install puts binaries, plugins, units, man pages and the config in place"
        # the installed config reads its @include beside it, from any working directory
        out=$(cd / && "$T/inst/usr/local/bin/dunnctl" -c "$T/inst/etc/dunnd/dunnd.conf" schedules \
                --at '2026-12-20 12:00' 2>&1)
        check_contains "make install: the installed dunnd.conf finds its holidays.conf" \
                "2027-01-04 10:00:00 CST (deferred from 2027-01-01, 元旦)" "$out"
        check_eq "make install: the config (it may hold secrets) is 0600" 600 "$(stat -c %a "$T/inst/etc/dunnd/dunnd.conf")"
        check_contains "make install: the unit runs the installed dunnd" "ExecStart=/usr/local/sbin/dunnd" \
                "$(cat "$T/inst/usr/local/lib/systemd/system/dunnd.service")"
        make -s -C "$TOP" uninstall DESTDIR="$T/inst" PREFIX=/usr/local SYSCONFDIR=/etc >>inst.log 2>&1
        left=$(cd "$T/inst" && find . -type f | sort | tr '\n' ' ')
        check_eq "make uninstall removes everything but the config" \
                "./etc/dunnd/dunnd.conf ./etc/dunnd/holidays.conf " "$left"
else
        skip "make install" "not from the ASan build"
fi
