# Helpers shared by the carrier tests (sourced after lib.sh).

# mkdata DIR N [EMAIL_EVERY]: N owing households 9-1-1..N with phones 1390000NNNN, every
# EMAIL_EVERY-th one also with an e-mail address ownerN@example.com
mkdata() {
        /usr/bin/python3 - "$1" "$2" "${3:-0}" <<'PY'
import csv, os, sys
d, n, every = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
os.makedirs(d, exist_ok=True)
with open(f"{d}/households.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow("unit,building,property_type,area_m2,owner,phone,email,payer_type".split(","))
    for i in range(1, n + 1):
        email = f"owner{i}@example.com" if every and i % every == 0 else ""
        w.writerow([f"9-1-{i}", "9", "多层", "88.50", f"王{i}", f"1390000{i:04d}", email, "monthly"])
with open(f"{d}/charges.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["unit", "period", "amount", "due_date"])
    for i in range(1, n + 1):
        w.writerow([f"9-1-{i}", "2026-11", "106.20", "2026-11-15"])
PY
}
# load NAME: init NAME.db from NAME.conf and import dataNAME/
load() {
        "$DUNNCTL" -c "$1.conf" init >/dev/null &&
        "$DUNNCTL" -c "$1.conf" import households "data$1/households.csv" >/dev/null &&
        "$DUNNCTL" -c "$1.conf" import charges "data$1/charges.csv" >/dev/null
}
run() { "$DUNNCTL" -c "$1.conf" run s --at "2026-12-14 09:30" --quiet; }
q() { sqlite3 "$1.db" "$2"; }
final_states_ok() {     # every row in exactly one final state, nothing pending or sending
        test "$(q "$1" "SELECT COUNT(*) FROM dispatches WHERE status IN ('pending','sending','retry')")" = 0
}
# start_peer NAME PEER [ARGS...]: runs tests/peers/PEER with --port-file and --log in $T
# (NAME.port, NAME.log), killed when the test ends; waits until it listens and ends the
# test with a failure if it dies or does not listen within 10 s. Sets PORT_NAME.
start_peer() {
        local name=$1 peer=$2 pid i
        shift 2
        /usr/bin/python3 "$TOP/tests/peers/$peer" --port-file "$T/$name.port" --log "$T/$name.log" "$@" &
        pid=$!
        on_exit "kill $pid"
        for i in $(seq 200); do
                [ -s "$T/$name.port" ] && break
                kill -0 "$pid" 2>/dev/null || { nok "$peer ($name) starts"; exit 1; }
                sleep 0.05
        done
        [ -s "$T/$name.port" ] || { nok "$peer ($name) listens within 10 s"; exit 1; }
        printf -v "PORT_$name" '%s' "$(cat "$T/$name.port")"
}
# wait_for SECONDS COMMAND...: until COMMAND succeeds, at most SECONDS; its last status
wait_for() {
        local d=$((SECONDS + $1))
        shift
        while [ $SECONDS -lt $d ]; do "$@" && return 0; sleep 0.2; done
        "$@"
}
