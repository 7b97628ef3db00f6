-- wrk script for `make bench`: POST the same JSON body the bare libcurl client sends
-- (tests/bench/run passes it in BENCH_BODY), as dunnd's http carrier would.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json; charset=utf-8"
wrk.body = os.getenv("BENCH_BODY") or '{"to": "+8613900000001", "text": "test"}'
