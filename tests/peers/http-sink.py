#!/usr/bin/python3
"""Loopback HTTP/1.1 test peer for the carrier-plugin tests: records every request and
answers according to a fault mode that can be changed at runtime.

  http-sink.py [--host 127.0.0.1|::1] [--port 0] [--port-file F] [--log F]
               [--mode MODE] [--retry-after N] [--hang SECS]
               [--invalid-recipient NUMBER]...

Modes (see tests/peers/README.md): ok, status:<code>, <code>, 429, hang[:secs], reset,
truncated, close-after-read-on-reuse, reset-on-reuse, sequence:<m1>,<m2>,... (last repeats),
json:<body>.
Runtime control: POST /_control {"mode": "...", "retry_after": n, "hang": s,
"invalid_recipient": [..]}; GET /_control returns the state. Control requests are
not logged.
"""
import argparse
import http.server
import itertools
import json
import os
import signal
import socket
import socketserver
import struct
import sys
import threading
import time
import urllib.parse

LOOPBACK = ("127.0.0.1", "::1", "localhost")
RECIPIENT_KEYS = ("to", "phone", "phonenumbers")
DROP_ON_REUSE = ("close-after-read-on-reuse", "reset-on-reuse")


class State:
    def __init__(self, args):
        self.lock = threading.Lock()
        self.seq = 0                 # logged requests so far
        self.seq_pos = 0             # position in a "sequence:" mode
        self.mode = args.mode
        self.retry_after = args.retry_after
        self.hang = args.hang
        self.invalid = list(args.invalid_recipient or [])
        self.log = open(args.log, "a", encoding="utf-8") if args.log else None
        self.conn_ids = itertools.count(1)

    def set(self, ctl):
        with self.lock:
            if "mode" in ctl:
                parse_mode(ctl["mode"])          # validate before switching
                self.mode = ctl["mode"]
                self.seq_pos = 0
            if "retry_after" in ctl:
                self.retry_after = int(ctl["retry_after"])
            if "hang" in ctl:
                self.hang = float(ctl["hang"])
            if "invalid_recipient" in ctl:
                v = ctl["invalid_recipient"]
                self.invalid = [] if v is None else ([v] if isinstance(v, str) else list(v))

    def snapshot(self):
        with self.lock:
            return {"mode": self.mode, "retry_after": self.retry_after, "hang": self.hang,
                    "invalid_recipient": self.invalid, "requests": self.seq}

    def next_request(self):
        """Allocate a seq number and pick the simple mode for this request."""
        with self.lock:
            self.seq += 1
            steps = parse_mode(self.mode)
            step = steps[min(self.seq_pos, len(steps) - 1)]
            self.seq_pos += 1
            return self.seq, step, self.retry_after, self.hang, list(self.invalid)

    def write(self, rec):
        if self.log is None:
            return
        with self.lock:
            self.log.write(json.dumps(rec, ensure_ascii=False) + "\n")
            self.log.flush()


def parse_mode(mode):
    """Return the list of simple modes a mode expands to (one entry unless sequence)."""
    if mode.startswith("sequence:"):
        steps = [s.strip() for s in mode[len("sequence:"):].split(",") if s.strip()]
        if not steps:
            raise ValueError("empty sequence")
    else:
        steps = [mode]
    for s in steps:
        if s in ("ok", "429", "hang", "reset", "truncated", "close-after-read-on-reuse",
                 "reset-on-reuse"):
            continue
        if s.startswith("json:") and not mode.startswith("sequence:"):
            json.loads(s[5:])
            continue
        if s.startswith("json:"):
            continue
        if s.startswith("hang:"):
            float(s[5:])
            continue
        code = s[7:] if s.startswith("status:") else s
        if code.isdigit() and 100 <= int(code) <= 599:
            continue
        raise ValueError("unknown mode %r" % s)
    return steps


def find_recipients(obj, out):
    """Collect values of to/phone/PhoneNumbers keys (any depth) from a parsed JSON body."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            if str(k).lower() in RECIPIENT_KEYS:
                if isinstance(v, list):
                    out.extend(str(x) for x in v)
                elif isinstance(v, (str, int)):
                    out.append(str(v))
            find_recipients(v, out)
    elif isinstance(obj, list):
        for x in obj:
            find_recipients(x, out)


def recipients_of(query, body):
    vals = []
    for k, v in urllib.parse.parse_qsl(query, keep_blank_values=True):
        if k.lower() in RECIPIENT_KEYS:
            vals.append(v)
    text = body.strip()
    parsed = None
    if text.startswith(("{", "[")):
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None
    if parsed is not None:
        find_recipients(parsed, vals)
    else:
        for k, v in urllib.parse.parse_qsl(text, keep_blank_values=True):
            if k.lower() in RECIPIENT_KEYS:
                vals.append(v)
    out = []
    for v in vals:      # "PhoneNumbers=138...,139..." style lists
        out.extend(x.strip() for x in v.replace(";", ",").split(","))
    return out


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "dunnd-http-sink/1"

    def setup(self):
        super().setup()
        # answers go out in several writes (headers, body): without TCP_NODELAY a kept-alive
        # connection stalls ~40 ms per request on Nagle + delayed ACK, which would make any
        # keep-alive measurement against this sink meaningless
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.conn_id = next(self.server.state.conn_ids)
        self.n_on_conn = 0

    def log_message(self, fmt, *args):
        if self.server.verbose:
            sys.stderr.write("http-sink: " + (fmt % args) + "\n")

    # --- body reading -------------------------------------------------------------
    def read_body(self):
        te = (self.headers.get("Transfer-Encoding") or "").lower()
        if "chunked" in te:
            chunks = []
            while True:
                line = self.rfile.readline(65537)
                if not line:
                    raise ConnectionError("eof in chunked body")
                size = int(line.split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while True:          # trailers
                        t = self.rfile.readline(65537)
                        if t in (b"\r\n", b"\n", b""):
                            break
                    break
                data = self.rfile.read(size)
                if len(data) < size:
                    raise ConnectionError("eof in chunk")
                chunks.append(data)
                self.rfile.readline(3)
            return b"".join(chunks)
        n = int(self.headers.get("Content-Length") or 0)
        data = self.rfile.read(n) if n > 0 else b""
        if len(data) < n:
            raise ConnectionError("eof in body")
        return data

    # --- answers ------------------------------------------------------------------
    def send(self, code, body, extra=(), ctype="application/json; charset=utf-8"):
        if isinstance(body, (dict, list)):
            body = json.dumps(body, ensure_ascii=False)
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in extra:
            self.send_header(k, v)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        self.wfile.flush()

    def drop(self, rst):
        """Close the connection without answering; RST when rst is true, else FIN."""
        self.close_connection = True
        try:
            self.wfile.flush()
        except OSError:
            pass
        sock = self.connection
        try:
            if rst:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            else:
                sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        sock.close()   # later shutdown_request() on the closed socket object is a no-op

    def control(self, body):
        if self.command == "POST":
            try:
                self.server.state.set(json.loads(body.decode("utf-8") or "{}"))
            except (ValueError, TypeError) as e:
                self.send(400, {"error": str(e)})
                return
        self.send(200, self.server.state.snapshot())

    def handle_any(self):
        self.n_on_conn += 1
        try:
            raw = self.read_body()
        except (ConnectionError, ValueError):
            self.close_connection = True
            return
        url = urllib.parse.urlsplit(self.path)
        if url.path == "/_control":
            self.control(raw)
            return
        st = self.server.state
        seq, step, retry_after, hang, invalid = st.next_request()
        body = raw.decode("utf-8", errors="replace")
        hdrs = {}
        for k, v in self.headers.items():
            hdrs[k] = hdrs[k] + ", " + v if k in hdrs else v
        rec = {"t": round(time.time(), 3), "method": self.command, "path": url.path,
               "query": url.query, "headers": hdrs, "body": body,
               "conn": self.conn_id, "conn_req": self.n_on_conn, "seq": seq}
        if body.encode("utf-8") != raw:
            import base64
            rec["body_b64"] = base64.b64encode(raw).decode()
        bad = [r for r in recipients_of(url.query, body) if r in invalid] if invalid else []
        rec["mode"] = "invalid-recipient" if bad else step
        if not bad and step in DROP_ON_REUSE and self.n_on_conn > 1:
            rec["dropped"] = True        # read, then the connection dies without an answer
        st.write(rec)
        if bad:
            self.send(400, {"code": "INVALID_NUMBER", "message": "invalid number " + bad[0]})
            return
        self.answer(step, seq, retry_after, hang)

    def answer(self, step, seq, retry_after, hang):
        ok_body = {"code": 0, "message_id": "m-%d" % seq}
        if step == "ok":
            self.send(200, ok_body)
        elif step.startswith("json:"):
            self.send(200, step[5:])
        elif step == "429":
            self.send(429, {"code": 429, "message": "too many requests"},
                      [("Retry-After", str(retry_after))])
        elif step == "hang" or step.startswith("hang:"):
            time.sleep(float(step[5:]) if step.startswith("hang:") else hang)
            try:
                self.send(200, ok_body)
            except OSError:
                self.close_connection = True
        elif step == "reset":
            self.drop(rst=True)
        elif step == "truncated":
            data = json.dumps(ok_body).encode()
            self.close_connection = True
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data) + 50))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.drop(rst=False)
        elif step in DROP_ON_REUSE:
            # the first request on a connection is answered, a later one read and dropped:
            # what a client sees when a kept-alive connection dies under its request
            if self.n_on_conn == 1:
                self.send(200, ok_body)
            else:
                self.drop(rst=step == "reset-on-reuse")
        else:
            code = int(step[7:] if step.startswith("status:") else step)
            self.send(code, {"code": code, "message": "status %d" % code})

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = handle_any


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64


def main():
    ap = argparse.ArgumentParser(description="loopback HTTP test sink")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--log")
    ap.add_argument("--mode", default="ok")
    ap.add_argument("--retry-after", type=int, default=1)
    ap.add_argument("--hang", type=float, default=30.0)
    ap.add_argument("--invalid-recipient", action="append")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()
    if args.host not in LOOPBACK:
        ap.error("--host must be a loopback address (127.0.0.1 or ::1)")
    try:
        parse_mode(args.mode)
    except ValueError as e:
        ap.error("--mode: %s" % e)

    Server.address_family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    httpd = Server((args.host, args.port), Handler)
    httpd.state = State(args)
    httpd.verbose = args.verbose
    port = httpd.server_address[1]
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.rename(tmp, args.port_file)

    def stop(signum, frame):
        raise SystemExit(0)
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        httpd.serve_forever(poll_interval=0.2)
    finally:
        httpd.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
