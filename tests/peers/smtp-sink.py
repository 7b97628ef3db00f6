#!/usr/bin/python3
"""Loopback SMTP test peer (aiosmtpd) that stores every accepted message in a directory.

  smtp-sink.py --maildir DIR [--host 127.0.0.1|::1] [--port 0] [--port-file F]
               [--log F] [--fail-first-rcpt N] [--reject ADDR]...
               [--require-auth USER:PASS] [--starttls [--require-starttls]]
               [--cert-file F] [--drop-after N]

Each message is saved as DIR/NNNNNN.eml (raw DATA bytes, dot-unstuffed, exactly as
received) with DIR/NNNNNN.json beside it: {"mail_from", "rcpt_tos", "peer", "t", "auth",
"tls", "size", "session"}. "session" numbers the connections (1, 2, ...): messages of one
session came over one kept-alive connection. The .json is renamed into place before the
.eml, so once NNNNNN.eml exists both are complete. --drop-after N closes a session right
after its N-th message was accepted (the 250 goes out first). See tests/peers/README.md.
"""
import argparse
import asyncio
import itertools
import json
import logging
import os
import signal
import ssl
import subprocess
import shutil
import sys
import tempfile
import time
import warnings

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

LOOPBACK = ("127.0.0.1", "::1", "localhost")


class Sink:
    def __init__(self, args):
        self.args = args
        self.fail_left = args.fail_first_rcpt
        self.reject = {a.lower() for a in (args.reject or [])}
        self.count = 0
        self.session_ids = itertools.count(1)
        self.log = open(args.log, "a", encoding="utf-8") if args.log else None

    def session_id(self, session):
        """The connection's number: the first MAIL of a session gives it one."""
        if not hasattr(session, "dunnd_id"):
            session.dunnd_id = next(self.session_ids)
            session.dunnd_messages = 0
        return session.dunnd_id

    def event(self, **kw):
        if self.log is None:
            return
        kw["t"] = round(time.time(), 3)
        self.log.write(json.dumps(kw, ensure_ascii=False) + "\n")
        self.log.flush()

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        self.event(event="mail", address=address, reply="250 OK",
                   session=self.session_id(session))
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.fail_left > 0:
            self.fail_left -= 1
            reply = "450 4.2.0 try again later"
        elif address.lower() in self.reject:
            reply = "550 5.1.1 no such user"
        else:
            envelope.rcpt_tos.append(address)
            envelope.rcpt_options.extend(rcpt_options)
            reply = "250 OK"
        self.event(event="rcpt", address=address, reply=reply, session=self.session_id(session))
        return reply

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        base = os.path.join(self.args.maildir, "%06d" % self.count)
        raw = envelope.original_content or b""
        meta = {"mail_from": envelope.mail_from, "rcpt_tos": list(envelope.rcpt_tos),
                "peer": list(session.peer[:2]) if session.peer else None,
                "t": round(time.time(), 3),
                "auth": session.auth_data.login.decode("utf-8", "replace")
                if isinstance(session.auth_data, LoginPassword) else None,
                "tls": session.ssl is not None, "size": len(raw),
                "session": self.session_id(session)}
        for ext, data in ((".json", (json.dumps(meta, ensure_ascii=False) + "\n").encode()),
                          (".eml", raw)):
            with open(base + ext + ".tmp", "wb") as f:
                f.write(data)
            os.rename(base + ext + ".tmp", base + ext)
        self.event(event="data", file=base + ".eml", rcpt_tos=meta["rcpt_tos"],
                   reply="250 Message accepted for delivery", session=meta["session"])
        session.dunnd_messages += 1
        if self.args.drop_after and session.dunnd_messages >= self.args.drop_after:
            # runs after the reply below is written: the client sees 250, then the FIN
            asyncio.get_running_loop().call_soon(server.transport.close)
        return "250 Message accepted for delivery"


def make_authenticator(userpass):
    user, _, password = userpass.partition(":")

    def authenticator(server, session, envelope, mechanism, auth_data):
        good = (isinstance(auth_data, LoginPassword)
                and auth_data.login == user.encode() and auth_data.password == password.encode())
        return AuthResult(success=good, handled=False, auth_data=auth_data)
    return authenticator


def make_tls(tmpdir, cert_file):
    crt, key = os.path.join(tmpdir, "cert.pem"), os.path.join(tmpdir, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=localhost", "-keyout", key, "-out", crt,
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1"],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(crt, key)
    if cert_file:
        tmp = cert_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(crt + "\n")
        os.rename(tmp, cert_file)
    return ctx


def main():
    ap = argparse.ArgumentParser(description="loopback SMTP test sink")
    ap.add_argument("--maildir", required=True)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--log", help="JSON lines: one per MAIL/RCPT/DATA with the reply given")
    ap.add_argument("--fail-first-rcpt", type=int, default=0, metavar="N")
    ap.add_argument("--reject", action="append", metavar="ADDRESS")
    ap.add_argument("--require-auth", metavar="USER:PASS")
    ap.add_argument("--starttls", action="store_true",
                    help="offer STARTTLS with a fresh self-signed cert (CN=localhost)")
    ap.add_argument("--require-starttls", action="store_true")
    ap.add_argument("--cert-file", help="where to write the path of the self-signed cert")
    ap.add_argument("--drop-after", type=int, default=0, metavar="N",
                    help="close a session after its N-th accepted message")
    ap.add_argument("--tls-dir", help="where to create cert.pem/key.pem (kept); default: "
                    "a private temp dir removed at exit")
    args = ap.parse_args()
    if args.host not in LOOPBACK:
        ap.error("--host must be a loopback address (127.0.0.1 or ::1)")
    if args.require_auth and ":" not in args.require_auth:
        ap.error("--require-auth wants USER:PASS")
    os.makedirs(args.maildir, exist_ok=True)
    warnings.simplefilter("ignore")   # aiosmtpd warns about AUTH without TLS
    logging.getLogger("mail.log").setLevel(logging.ERROR)

    if args.tls_dir:
        os.makedirs(args.tls_dir, exist_ok=True)
    tmpdir = args.tls_dir or tempfile.mkdtemp(prefix="smtp-sink.")
    try:
        tls = make_tls(tmpdir, args.cert_file) if args.starttls else None
        sink = Sink(args)
        kw = dict(hostname="localhost", enable_SMTPUTF8=True, decode_data=False,
                  tls_context=tls, require_starttls=bool(tls and args.require_starttls))
        if args.require_auth:
            kw.update(auth_required=True, auth_require_tls=False,
                      authenticator=make_authenticator(args.require_auth))

        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        server = loop.run_until_complete(loop.create_server(
            lambda: SMTP(sink, loop=loop, **kw), host=args.host, port=args.port,
            reuse_address=True))
        port = server.sockets[0].getsockname()[1]
        if args.port_file:
            with open(args.port_file + ".tmp", "w") as f:
                f.write("%d\n" % port)
            os.rename(args.port_file + ".tmp", args.port_file)
        loop.add_signal_handler(signal.SIGTERM, loop.stop)
        loop.add_signal_handler(signal.SIGINT, loop.stop)
        loop.run_forever()
        server.close()
    finally:
        if not args.tls_dir:
            shutil.rmtree(tmpdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
