# Shared helpers for the integration tests (sourced). Each test prints TAP-style lines:
# "ok N - what" / "not ok N - what" / "ok N - what # SKIP why"; tests/run-tests counts them.
# Every test works in its own temporary directory, removed on exit.
set -u
: "${DUNNCTL:?run through tests/run-tests}" "${TOP:?}" "${PLUGIN_DIR:?}"
T=$(mktemp -d /tmp/dunnd-it.XXXXXX)
_n=0
_cleanups=()
_cleanup() {
        [ -n "${KEEP:-}" ] && { echo "# kept $T"; return; }
        local c
        for c in "${_cleanups[@]}"; do eval "$c" >/dev/null 2>&1 || true; done
        rm -rf "$T"
}
trap _cleanup EXIT
on_exit() { _cleanups+=("$1"); }

ok()   { _n=$((_n + 1)); echo "ok $_n - $*"; }
nok()  { _n=$((_n + 1)); echo "not ok $_n - $*"; }
skip() { _n=$((_n + 1)); echo "ok $_n - $1 # SKIP $2"; }
# check "description" command...: ok when the command succeeds.
check() { local d=$1; shift; if "$@"; then ok "$d"; else nok "$d"; fi; }
# check_eq "description" expected actual
check_eq() {
        if [ "$2" = "$3" ]; then ok "$1"; else nok "$1"; echo "#   expected: $2"; echo "#   actual:   $3"; fi
}
# check_contains "description" needle haystack
check_contains() {
        case "$3" in *"$2"*) ok "$1";; *) nok "$1"; echo "#   missing: $2"; echo "#   in: ${3:0:400}";; esac
}
