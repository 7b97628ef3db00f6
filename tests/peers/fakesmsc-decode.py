#!/usr/bin/python3
"""Decode what Kannel's fakesmsc logged (FAKESMSC_LOG from kannel-up.sh) into JSON lines.

  fakesmsc-decode.py [--no-join] [--coding auto|ucs2|8bit] [FILE...]   (stdin if none)

fakesmsc logs each MT message bearerbox hands it as
  ... DEBUG: Got message N: <SENDER RECEIVER TYPE DATA>
where TYPE/DATA is one of (Kannel 1.4.5 smsc_fake.c):
  text  <raw text>                       coding 0 (GSM 7-bit; non-GSM chars arrive as '?')
  data  <url-encoded bytes>              coding 1 (8-bit)
  ucs-2 <url-encoded UTF-16BE bytes>     coding 2
  udh <url-encoded UDH> data <url-encoded bytes>   a concatenated part; the line does not
                                         say which coding the payload has
Output, one JSON object per message:
  {"n": first fakesmsc message number, "parts": [n...], "sender", "receiver",
   "type", "coding": 0|1|2, "text": decoded text, "data_hex": payload bytes in hex,
   "udh_hex": first part's UDH or null}
Concatenated parts (UDH IEI 0x00 or 0x08) are joined into one message unless --no-join.
For udh parts the coding is guessed (--coding auto: UTF-16BE when it decodes cleanly)
unless --coding says ucs2 or 8bit.
"""
import argparse
import fileinput
import json
import re
import sys
import urllib.parse

GOT = re.compile(r"Got message (\d+): <(.*)>\s*$")
TYPES = {"text": 0, "data": 1, "ucs-2": 2, "ucs2": 2}


def unquote(s):
    # fakesmsc writes byte 0x20 as '+' (form encoding): without this, 张 (U+5F20) decodes
    # as 弫 and spaces as '+'
    return urllib.parse.unquote_to_bytes(s.replace('+', '%20'))


def parse_line(line):
    """One fakesmsc log line -> dict, or None when the line is not a received message.
    Plain 'SENDER RECEIVER TYPE DATA' lines (without the log prefix) are accepted too."""
    line = line.rstrip("\r\n")
    m = GOT.search(line)
    if not m and re.match(r"\d{4}-\d\d-\d\d ", line):
        return None                     # some other fakesmsc log line
    n, body = (int(m.group(1)), m.group(2)) if m else (None, line)
    f = body.split(" ", 3)
    if len(f) < 4 and not (len(f) == 3 and f[2] == "text"):
        return None
    sender, receiver, typ = f[0], f[1], f[2]
    data = f[3] if len(f) > 3 else ""
    rec = {"n": n, "sender": sender, "receiver": receiver, "type": typ, "udh": None}
    if typ == "text":
        rec["data"] = data.encode("utf-8", "surrogateescape")
    elif typ in ("data", "ucs-2", "ucs2"):
        rec["data"] = unquote(data)
    elif typ == "udh":
        g = data.split(" ", 2)          # UDH data MSG
        if len(g) != 3:
            return None
        rec["udh"], rec["data"] = unquote(g[0]), unquote(g[2])
    else:
        return None
    return rec


def concat_info(udh):
    """(ref, total, seq) from a concatenation IE in a UDH (with its length byte), or None."""
    if not udh:
        return None
    i, end = 1, min(len(udh), 1 + udh[0])
    while i + 1 < end:
        iei, ln = udh[i], udh[i + 1]
        v = udh[i + 2:i + 2 + ln]
        if iei == 0x00 and ln == 3 and len(v) == 3:
            return (v[0], v[1], v[2])
        if iei == 0x08 and ln == 4 and len(v) == 4:
            return ((v[0] << 8) | v[1], v[2], v[3])
        i += 2 + ln
    return None


def looks_ucs2(b):
    if len(b) % 2:
        return False
    try:
        s = b.decode("utf-16-be")
    except UnicodeDecodeError:
        return False
    return all(c in "\r\n\t" or (ord(c) >= 0x20 and not 0x7f <= ord(c) < 0xa0) for c in s)


def decode(data, typ, coding_opt):
    if typ in ("ucs-2", "ucs2"):
        return 2, data.decode("utf-16-be", "replace")
    if typ == "text":
        return 0, data.decode("utf-8", "replace")
    if coding_opt == "ucs2" or (coding_opt == "auto" and typ == "udh" and looks_ucs2(data)):
        return 2, data.decode("utf-16-be", "replace")
    try:
        return 1, data.decode("utf-8")
    except UnicodeDecodeError:
        return 1, data.decode("latin-1")


def messages(lines, join=True, coding_opt="auto"):
    out, pending = [], {}
    for line in lines:
        r = parse_line(line)
        if r is None:
            continue
        ci = concat_info(r["udh"]) if join else None
        if ci is None:
            out.append({"parts": [r["n"]], "first": r, "data": r["data"]})
            continue
        ref, total, seq = ci
        key = (r["sender"], r["receiver"], ref, total)
        msg = pending.get(key)
        if msg is None:
            msg = pending[key] = {"parts": [], "first": r, "chunks": {}}
            out.append(msg)
        msg["parts"].append(r["n"])
        msg["chunks"][seq] = r["data"]
        if len(msg["chunks"]) == total:
            del pending[key]
    result = []
    for m in out:
        if "chunks" in m:
            m["data"] = b"".join(m["chunks"][k] for k in sorted(m["chunks"]))
            complete = len(m["chunks"]) == concat_info(m["first"]["udh"])[1]
        else:
            complete = True
        f = m["first"]
        coding, text = decode(m["data"], f["type"], coding_opt)
        rec = {"n": m["parts"][0], "parts": m["parts"], "sender": f["sender"],
               "receiver": f["receiver"], "type": f["type"], "coding": coding, "text": text,
               "data_hex": m["data"].hex(), "udh_hex": f["udh"].hex() if f["udh"] else None}
        if not complete:
            rec["incomplete"] = True
        result.append(rec)
    return result


def main():
    ap = argparse.ArgumentParser(description="decode fakesmsc output into JSON lines")
    ap.add_argument("files", nargs="*")
    ap.add_argument("--no-join", action="store_true", help="do not join concatenated parts")
    ap.add_argument("--coding", choices=("auto", "ucs2", "8bit"), default="auto",
                    help="payload coding of 'udh' lines (others say it themselves)")
    args = ap.parse_args()
    lines = fileinput.input(args.files or ["-"], encoding="utf-8", errors="surrogateescape")
    for rec in messages(lines, join=not args.no_join, coding_opt=args.coding):
        sys.stdout.write(json.dumps(rec, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
