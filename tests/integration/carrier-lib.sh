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
run() { "$DUNNCTL" -c "$1.conf" run s --at "2026-11-20 09:30" --ignore-quiet-hours --quiet; }
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
start_sink() {     # start_sink NAME [args...]: sets URL_<NAME>
        local name=$1 port
        shift
        start_peer "$name" http-sink.py "$@"
        port=PORT_$name
        printf -v "URL_$name" 'http://127.0.0.1:%s' "${!port}"
}
# sink_stat LOG WHAT: facts from an http-sink log (one JSON line per request)
#   dups      the "to" values that reached the sink more than once
#   reused    how many requests came on a connection that had carried one before
#   dropped   the dispatch ids (ref=) of the requests the sink read and dropped, in order
#   conns     how many connections carried requests
#   seen      "D N": the distinct "to" values and the requests in all
#   times TO  the arrival times of the requests for one "to", a line each
#   keyed DB  with an Idempotency-Key: "R re-sent, G given up, mismatches: none" — R keys
#             the sink dropped and saw again; G keys it dropped on all 6 tries libcurl makes
#             (the first and 5 re-sends); every key's row in DB must say the same: sent
#             when its last request was answered, unknown when libcurl gave up
sink_stat() {
        /usr/bin/python3 - "$@" <<'PY'
import collections, json, sys, urllib.parse
log, what = sys.argv[1], sys.argv[2]
recs = [json.loads(line) for line in open(log)]
form = lambda r, k: urllib.parse.parse_qs(r["body"]).get(k, ["?"])[0]
key = lambda r: r["headers"].get("Idempotency-Key")
if what == "dups":
    c = collections.Counter(form(r, "to") for r in recs)
    print(" ".join(sorted(k for k, n in c.items() if n > 1)))
elif what == "reused":
    print(sum(1 for r in recs if r["conn_req"] > 1))
elif what == "dropped":
    print(" ".join(sorted((form(r, "ref") for r in recs if r.get("dropped")), key=int)))
elif what == "conns":
    print(len({r["conn"] for r in recs}))
elif what == "seen":
    print(len({form(r, "to") for r in recs}), len(recs))
elif what == "times":
    print("\n".join(str(r["t"]) for r in recs if form(r, "to") == sys.argv[3]))
elif what == "keyed":
    import sqlite3
    rows = dict(sqlite3.connect(sys.argv[3]).execute("SELECT id, status FROM dispatches"))
    tries = collections.defaultdict(list)
    for r in recs:
        tries[form(r, "ref")].append(r)
    resent = given_up = 0
    bad = []
    for ref, rs in tries.items():
        want = "unknown" if rs[-1].get("dropped") else "sent"
        if len(rs) > 1:
            resent += 1
        if want == "unknown":
            given_up += 1
            if len(rs) != 6:
                bad.append("%s dropped %d times" % (ref, len(rs)))
        if len({key(r) for r in rs}) != 1 or key(rs[0]) != "dunnd-" + ref:
            bad.append("%s without its one key" % ref)
        if rows.get(int(ref)) != want:
            bad.append("%s is %s, not %s" % (ref, rows.get(int(ref)), want))
    print("%d re-sent, %d given up, mismatches: %s" % (resent, given_up, ", ".join(bad) or "none"))
PY
}
