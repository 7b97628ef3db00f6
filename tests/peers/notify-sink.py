#!/usr/bin/python3
"""A stand-in for systemd's notify socket: binds a datagram socket at PATH and appends
every message it receives to LOG as one line '<seconds since start> <message with
newlines as |>'. Stops on SIGTERM or after --timeout seconds."""
import argparse, os, signal, socket, sys, time

ap = argparse.ArgumentParser()
ap.add_argument("path")
ap.add_argument("log")
ap.add_argument("--timeout", type=float, default=300)
a = ap.parse_args()
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(a.path)
t0 = time.monotonic()
s.settimeout(1.0)
with open(a.log, "a", buffering=1) as out:
    while time.monotonic() - t0 < a.timeout:
        try:
            d = s.recv(65536).decode(errors="replace")
        except socket.timeout:
            continue
        out.write(f"{time.monotonic() - t0:.3f} {d.replace(chr(10), '|')}\n")
