#!/bin/bash
# systemd/: the units pass "systemd-analyze verify" without a single message, their sandbox
# scores at most MAX_EXPOSURE in "systemd-analyze security --offline=yes", the template
# stays in step with dunnd.service, and the sysusers/tmpfiles snippets do what they say.
# Works without systemd as PID 1 (verify and security --offline only read unit files).
. "$TOP/tests/integration/lib.sh"

MAX_EXPOSURE=2.0
UNITS="dunnd.service dunnd@.service"
INSTANCE=dunnd@estate1.service      # the template, also checked under an instance name
SA=$(command -v systemd-analyze || true)

for u in $UNITS; do
        check "systemd/$u exists" test -f "$TOP/systemd/$u"
done
[ -f "$TOP/systemd/dunnd.service" ] && [ -f "$TOP/systemd/dunnd@.service" ] || exit 0

# Install the units as "make install" would (same seds), into $T/units. verify insists that
# ExecStart='s binary exists and is executable: use the built daemon when there is one,
# else a stand-in script.
if [ -x "$BUILD/dunnd" ]; then
        sbindir=$BUILD
else
        sbindir=$T/sbin
        mkdir -p "$sbindir"
        printf '#!/bin/sh\nexit 0\n' >"$sbindir/dunnd"
        chmod +x "$sbindir/dunnd"
fi
mkdir -p "$T/units"
for u in $UNITS; do
        sed -e "s|@sbindir@|$sbindir|g" -e 's|@sysconfdir@|/etc|g' "$TOP/systemd/$u" >"$T/units/$u"
done
cp "$T/units/dunnd@.service" "$T/units/$INSTANCE"

check "no @placeholders@ left after the install seds" \
        bash -c "! grep -n '@[a-z]*dir@' '$T/units/dunnd.service' '$T/units/dunnd@.service'"

# ---- Static content (no systemd needed) ----
# Directive lines, without comments and blank lines.
directives() { grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$' "$1"; }
exec_start() { directives "$1" | sed -n 's/^ExecStart=//p'; }
check_eq "dunnd.service ExecStart" \
        "$sbindir/dunnd --foreground -c /etc/dunnd/dunnd.conf" "$(exec_start "$T/units/dunnd.service")"
check_eq "dunnd@.service ExecStart: per-instance config and database" \
        "$sbindir/dunnd --foreground -c /etc/dunnd/%i.conf --db /var/lib/dunnd/%i/dunnd.db" \
        "$(exec_start "$T/units/dunnd@.service")"
check_eq "dunnd@.service StateDirectory" "StateDirectory=dunnd/%i" \
        "$(directives "$T/units/dunnd@.service" | grep '^StateDirectory=')"
# no SyslogIdentifier=: dunnd tags its structured journal entries itself, an identifier in
# the unit would only apply to stray stdout lines and mislead 'journalctl -t'
check_eq "dunnd@.service sets no SyslogIdentifier" "" \
        "$(directives "$T/units/dunnd@.service" | grep '^SyslogIdentifier=')"
# A LoadCredential= whose source file is missing makes the service fail to start (and verify
# does not notice), so the shipped units only carry commented examples.
check "no active LoadCredential= (examples only)" \
        bash -c "! grep -q '^LoadCredential=' '$T/units/dunnd.service' '$T/units/dunnd@.service'"
# The template must carry the same sandbox and settings; only these lines may differ.
differs='^(Description|ExecStart|StateDirectory|SyslogIdentifier)='
d=$(diff <(directives "$T/units/dunnd.service" | grep -Ev "$differs") \
         <(directives "$T/units/dunnd@.service" | grep -Ev "$differs"))
check_eq "dunnd@.service has the same settings as dunnd.service (but paths/identifier)" "" "$d"

# ---- systemd-analyze verify ----
# --man=no: verify would run "man" on each Documentation= page, which are only present once
# installed. Any other message fails the test: verify exits 0 when it merely ignores an unknown
# or misspelt key, so the gate is the output. Messages about units other than ours (verify
# loads dependencies such as multi-user.target from the host, whose own units may be noisy)
# are not our business: they are dropped, but shown as comments.
ours() {        # reads verify output, prints the lines not about another unit
        local line name
        while IFS= read -r line; do
                name=${line%%:*}; name=${name##*/}
                case "$name" in
                *.service|*.socket|*.target|*.timer|*.mount|*.path|*.slice|*.scope|*.device|*.swap|*.automount)
                        case "$name" in
                        dunnd.service|dunnd@*.service) echo "$line";;
                        *) echo "# (other unit, ignored) $line" >&2;;
                        esac;;
                *) echo "$line";;
                esac
        done
}
verify() { (cd "$T/units" && "$SA" verify --man=no "$@" 2>&1) | ours; }
for u in $UNITS $INSTANCE; do
        if [ -z "$SA" ]; then skip "systemd-analyze verify $u" "no systemd-analyze"; continue; fi
        check_eq "systemd-analyze verify $u prints nothing" "" "$(verify "$T/units/$u")"
done
# The gate is not vacuous: the same check does see an unknown key.
if [ -n "$SA" ]; then
        mkdir -p "$T/bad"
        sed 's/^\[Service\]$/[Service]\nNoSuchKey=yes/' "$T/units/dunnd.service" >"$T/bad/dunnd.service"
        check_contains "verify reports an unknown key (self-test)" "NoSuchKey" "$(verify "$T/bad/dunnd.service")"
else
        skip "verify reports an unknown key (self-test)" "no systemd-analyze"
fi

# ---- systemd-analyze security --offline=yes ----
for u in dunnd.service $INSTANCE; do
        if [ -z "$SA" ]; then skip "$u exposure <= $MAX_EXPOSURE" "no systemd-analyze"; continue; fi
        out=$(cd "$T/units" && "$SA" security --offline=yes "$T/units/$u" 2>&1 | sed 's/\x1b\[[0-9;]*m//g')
        score=$(printf '%s\n' "$out" | sed -n 's/.*Overall exposure level for [^:]*: \([0-9][0-9.]*\).*/\1/p')
        if [ -z "$score" ]; then
                nok "$u exposure <= $MAX_EXPOSURE"
                printf '%s\n' "$out" | tail -n 5 | sed 's/^/#   /'
                continue
        fi
        echo "# $u exposure $score"
        if awk -v s="$score" -v m="$MAX_EXPOSURE" 'BEGIN { exit !(s <= m) }'; then
                ok "$u exposure <= $MAX_EXPOSURE ($score)"
        else
                nok "$u exposure <= $MAX_EXPOSURE ($score)"
                printf '%s\n' "$out" | grep '✗' | sed 's/^/#   /'
        fi
done

# ---- sysusers.d and tmpfiles.d snippets, applied to a scratch root ----
R=$T/root
mkdir -p "$R/etc/dunnd" "$R/var/lib"
if ! command -v systemd-sysusers >/dev/null; then
        skip "sysusers creates the dunnd user" "no systemd-sysusers"
else
        systemd-sysusers --root="$R" "$TOP/systemd/dunnd.sysusers" >/dev/null 2>&1
        check_contains "sysusers creates the dunnd user (home /var/lib/dunnd, no shell)" \
                ":dunnd payment reminders:/var/lib/dunnd:/usr/sbin/nologin" \
                "$(grep '^dunnd:' "$R/etc/passwd" 2>/dev/null)"
fi
if [ ! -f "$TOP/systemd/dunnd.tmpfiles" ]; then
        :
elif ! command -v systemd-tmpfiles >/dev/null || ! grep -q '^dunnd:' "$R/etc/passwd" 2>/dev/null; then
        skip "tmpfiles makes the config dunnd-only and creates /var/lib/dunnd" "no systemd-tmpfiles or sysusers"
elif [ "$(id -u)" -ne 0 ]; then
        skip "tmpfiles makes the config dunnd-only and creates /var/lib/dunnd" "needs root to chown"
else
        # As "make install" leaves them: root-owned.
        install -m 0600 /dev/null "$R/etc/dunnd/dunnd.conf"
        install -m 0644 /dev/null "$R/etc/dunnd/estate1.conf"
        systemd-tmpfiles --root="$R" --create "$TOP/systemd/dunnd.tmpfiles" >/dev/null 2>&1
        uid=$(sed -n 's/^dunnd:x:\([0-9]*\):.*/\1/p' "$R/etc/passwd")
        check_eq "tmpfiles makes the config dunnd-only and creates /var/lib/dunnd" \
                "600 $uid 600 $uid 750 $uid" \
                "$(stat -c '%a %u' "$R/etc/dunnd/dunnd.conf" "$R/etc/dunnd/estate1.conf" \
                        "$R/var/lib/dunnd" 2>&1 | tr '\n' ' ' | sed 's/ $//')"
fi
