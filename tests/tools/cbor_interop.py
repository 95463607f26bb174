#!/usr/bin/python3
"""cbor_interop.py: kapsule's CBOR against python3-cbor2, driven by
tests/cli/cbor_interop.sh. Usage: cbor_interop.py PATH/TO/cbor_tool

cbor2 is the independent peer. The RFC 8949 section 4.2.1 deterministic
encoding of a value is made here with cbor2 itself: map entries are
inserted in the bytewise order of their keys' cbor2 encodings, and cbor2's
default mode keeps insertion order. (cbor2 5.4's canonical=True sorts keys
length-first, the older RFC 7049 rule, so its output differs from RFC 8949
whenever a shorter key has a larger first byte; those maps must be
rejected by kapsule as E_CBOR_UNSORTED_KEYS.)

Prints "ok NAME" or "not ok NAME: why" per check.
"""
import datetime
import json
import random
import subprocess
import sys

import cbor2
from cbor2 import CBORSimpleValue, CBORTag, undefined

TOOL = sys.argv[1]
SAFE_TAGS = [6, 18, 23, 24, 32, 98, 1000, 65535, 2**32, 2**64 - 1]  # no cbor2 semantics
failures = 0


def report(name, ok, why=""):
    global failures
    if ok:
        print("ok " + name)
    else:
        failures += 1
        print("not ok %s: %s" % (name, why[:600]))


def run_tool(mode, lines):
    p = subprocess.run([TOOL, mode], input="".join(l + "\n" for l in lines),
                       capture_output=True, text=True)
    out = p.stdout.split("\n")[:-1]  # not splitlines(): text may hold U+2028 and the like
    if len(out) != len(lines):
        raise RuntimeError("cbor_tool %s: %d lines for %d (%s)" % (mode, len(out), len(lines), p.stderr[-300:]))
    return out


# ---- values <-> typed JSON (see cbor_tool.c) --------------------------------


def to_typed(v, rng):
    if v is None or isinstance(v, bool) or isinstance(v, str):
        return v
    if isinstance(v, int):
        if -2**63 <= v < 2**63:
            return v
        if 0 <= v < 2**64:
            return {"uint": str(v)}
        if -2**64 <= v < 0:
            return {"nint": str(-1 - v)}
        n = v if v >= 0 else -1 - v
        return {"tag": 2 if v >= 0 else 3,
                "value": {"bytes": n.to_bytes((n.bit_length() + 7) // 8, "big").hex()}}
    if isinstance(v, bytes):
        return {"bytes": v.hex()}
    if isinstance(v, list):
        return [to_typed(x, rng) for x in v]
    if isinstance(v, dict):
        entries = [[to_typed(k, rng), to_typed(x, rng)] for k, x in v.items()]
        rng.shuffle(entries)  # the encoder must sort whatever order it gets
        return {"map": entries}
    if isinstance(v, CBORTag):
        return {"tag": v.tag if v.tag < 2**63 else str(v.tag), "value": to_typed(v.value, rng)}
    raise TypeError(type(v))


def from_typed(j):
    if isinstance(j, list):
        return [from_typed(x) for x in j]
    if isinstance(j, dict):
        if "uint" in j:
            return int(j["uint"])
        if "nint" in j:
            return -1 - int(j["nint"])
        if "bytes" in j:
            return bytes.fromhex(j["bytes"])
        if "map" in j:
            return {from_typed(k): from_typed(v) for k, v in j["map"]}
        if "tag" in j:
            t, v = int(j["tag"]), from_typed(j["value"])
            if t in (2, 3) and isinstance(v, bytes):
                n = int.from_bytes(v, "big")
                return n if t == 2 else -1 - n
            return CBORTag(t, v)
    return j


def same(a, b):
    """Deep equality that tells bool from int and bytes from str."""
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return len(a) == len(b) and all(k in b and same(v, b[k]) for k, v in a.items())
    if isinstance(a, CBORTag):
        return a.tag == b.tag and same(a.value, b.value)
    return a == b


def det_order(v):
    if isinstance(v, dict):
        items = [(det_order(k), det_order(x)) for k, x in v.items()]
        items.sort(key=lambda kx: cbor2.dumps(kx[0]))
        return dict(items)
    if isinstance(v, list):
        return [det_order(x) for x in v]
    if isinstance(v, CBORTag):
        return CBORTag(v.tag, det_order(v.value))
    return v


def det(v):
    """RFC 8949 deterministic encoding, by cbor2."""
    return cbor2.dumps(det_order(v))


# ---- values ------------------------------------------------------------------------

EDGE_INTS = [0, 1, 10, 23, 24, 25, 100, 255, 256, 1000, 65535, 65536, 2**32 - 1, 2**32,
             2**63 - 1, 2**63, 2**64 - 1, 2**64, 2**64 + 1, 2**200,
             -1, -10, -24, -25, -100, -256, -257, -1000, -2**32, -2**32 - 1, -2**63,
             -2**63 - 1, -2**64, -2**64 - 1, -2**130]
TEXTS = ["", "a", "IETF", "\"\\", "\u00fc", "\u6c34", "\U00010151", "\x00", "\u007f\u0080",
         "\u07ff\u0800", "\ud7ff\ue000", "\uffff\U00010000", "\U0010ffff", "type", "post"]


def rand_text(rng):
    if rng.random() < 0.5:
        return rng.choice(TEXTS)
    out = []
    for _ in range(rng.randrange(12)):
        c = rng.choice([rng.randrange(0x80), rng.randrange(0x80, 0x800),
                        rng.randrange(0x800, 0x10000), rng.randrange(0x10000, 0x110000)])
        if 0xD800 <= c <= 0xDFFF:
            c = 0x41
        out.append(chr(c))
    return "".join(out)


def rand_key(rng):
    k = rng.randrange(3)
    if k == 0:
        return rng.choice(EDGE_INTS[:30]) if rng.random() < 0.5 else rng.randrange(-300, 300)
    if k == 1:
        return rand_text(rng)
    return bytes(rng.randrange(256) for _ in range(rng.randrange(6)))


def rand_value(rng, depth=0):
    k = rng.randrange(10 if depth < 4 else 6)
    if k == 0:
        return rng.choice(EDGE_INTS)
    if k == 1:
        return rng.randrange(-2**64, 2**64) >> rng.randrange(64)
    if k == 2:
        return rand_text(rng)
    if k == 3:
        return bytes(rng.randrange(256) for _ in range(rng.choice([0, 1, 5, 23, 24, 30, 300])))
    if k == 4:
        return rng.choice([True, False, None])
    if k == 5:
        return rng.randrange(-2**64, 2**64)
    if k in (6, 7):
        return [rand_value(rng, depth + 1) for _ in range(rng.choice([0, 1, 3, 24, 25]))]
    if k == 8:
        return CBORTag(rng.choice(SAFE_TAGS), rand_value(rng, depth + 1))
    d = {}
    for _ in range(rng.choice([0, 1, 2, 5, 12, 30])):
        d[rand_key(rng)] = rand_value(rng, depth + 1)
    return d


FIXED = [0, 1, 23, 24, 1000000000000, 2**64 - 1, 2**64, -2**64, -2**64 - 1, -1000,
         True, False, None, b"", b"\x01\x02\x03\x04", "", "IETF", "\u6c34", "\U00010151",
         [], [1, 2, 3], [1, [2, 3], [4, 5]], list(range(1, 26)), {}, {1: 2, 3: 4},
         {"a": 1, "b": [2, 3]}, ["a", {"b": "c"}], {"a": "A", "b": "B", "c": "C", "d": "D", "e": "E"},
         CBORTag(23, b"\x01\x02\x03\x04"), CBORTag(24, b"dIETF"), CBORTag(32, "http://www.example.com"),
         {100: "x", -1: "y"}, {"b": 1, "aa": 2}, {b"\x00": 1, "": 2, 0: 3, -1: 4},
         CBORTag(18, [b"\xa1\x01\x27", {}, b"payload", b"sig"])]


def main():
    rng = random.Random(8949)
    values = FIXED + [rand_value(rng) for _ in range(400)]

    # 1. our encoder -> cbor2 decodes the same value, and the bytes are the
    #    deterministic encoding
    out = run_tool("encode", [json.dumps(to_typed(v, rng)) for v in values])
    bad = []
    for v, h in zip(values, out):
        if h.startswith("ERR"):
            bad.append("%r: %s" % (v, h))
            continue
        got = cbor2.loads(bytes.fromhex(h))
        if not same(got, v):
            bad.append("%r decodes as %r" % (v, got))
        elif bytes.fromhex(h) != det(v):
            bad.append("%r: %s, RFC 8949 order gives %s" % (v, h, det(v).hex()))
    report("encode: %d values decode in cbor2 and match the RFC 8949 encoding" % len(values),
           not bad, "; ".join(bad[:3]))

    # 2. cbor2's deterministic encodings -> our decoder accepts, same value
    dets = [det(v) for v in values]
    out = run_tool("decode", [d.hex() for d in dets])
    bad = []
    for v, d, line in zip(values, dets, out):
        if line.startswith("ERR"):
            bad.append("%s: %s" % (d.hex(), line))
        elif not same(from_typed(json.loads(line)), v):
            bad.append("%s decodes as %s" % (d.hex(), line))
    report("decode: cbor2 encodings of %d values accepted, same values" % len(values),
           not bad, "; ".join(bad[:3]))

    # 3. cbor2 canonical=True: accepted where its key order is RFC 8949's,
    #    rejected as unsorted where it is the older length-first order
    canon = [cbor2.dumps(v, canonical=True) for v in values]
    out = run_tool("decode", [c.hex() for c in canon])
    agree = differ = 0
    bad = []
    for v, c, d, line in zip(values, canon, dets, out):
        if c == d:
            agree += 1
            if line.startswith("ERR"):
                bad.append("%s: %s" % (c.hex(), line))
        else:
            differ += 1
            if not line.startswith("ERR E_CBOR_UNSORTED_KEYS"):
                bad.append("%s (length-first order) gave %s" % (c.hex(), line))
    report("decode: cbor2 canonical=True: %d accepted, %d length-first maps rejected"
           % (agree, differ), not bad and agree > 100 and differ > 10, "; ".join(bad[:3]))
    c = cbor2.dumps({100: 1, -1: 2}, canonical=True)
    line = run_tool("decode", [c.hex()])[0]
    report("decode: cbor2 canonical {100: 1, -1: 2} (%s) is rejected at byte 3" % c.hex(),
           line == "ERR E_CBOR_UNSORTED_KEYS 3", line)

    # 4. what cbor2 writes outside the profile is rejected, with its offset
    stamp = datetime.datetime(2013, 3, 21, 20, 4, 0, 500000, tzinfo=datetime.timezone.utc)
    cases = [
        ("float", cbor2.dumps(1.5), "E_CBOR_FLOAT 0"),
        ("canonical float", cbor2.dumps(1.5, canonical=True), "E_CBOR_FLOAT 0"),
        ("float in array", cbor2.dumps([1, 1.0e300]), "E_CBOR_FLOAT 2"),
        ("NaN in map", cbor2.dumps({"x": float("nan")}), "E_CBOR_FLOAT 3"),
        ("epoch time with fraction", cbor2.dumps(stamp, datetime_as_timestamp=True), "E_CBOR_FLOAT 1"),
        ("insertion-ordered map", cbor2.dumps({"b": 1, "a": 2}), "E_CBOR_UNSORTED_KEYS 4"),
        ("nested unsorted map", cbor2.dumps([{2: 0, 1: 0}]), "E_CBOR_UNSORTED_KEYS 4"),
        ("undefined", cbor2.dumps(undefined), "E_CBOR_SIMPLE 0"),
        ("simple(99)", cbor2.dumps(CBORSimpleValue(99)), "E_CBOR_SIMPLE 0"),
        ("bignum that fits 64 bits", cbor2.dumps(CBORTag(2, b"\x05")), "E_CBOR_NONCANONICAL 1"),
        ("bignum with leading zero", cbor2.dumps(CBORTag(2, b"\x00" + b"\x01" * 9)), "E_CBOR_NONCANONICAL 1"),
        ("bignum around text", cbor2.dumps(CBORTag(3, "x")), "E_CBOR_TYPE 1"),
        ("trailing item", cbor2.dumps(1) + cbor2.dumps(2), "E_CBOR_TRAILING 1"),
        ("truncated", cbor2.dumps([1, 2, 3])[:-1], "E_TRUNCATED 0"),
        ("truncated text", cbor2.dumps("IETF")[:-1], "E_TRUNCATED 0"),
    ]
    for name, data, want in cases:
        line = run_tool("decode", [data.hex()])[0]
        report("reject cbor2 %s (%s)" % (name, data.hex()), line == "ERR " + want,
               "got %s, wanted %s" % (line, want))

    # 5. what cbor2 accepts but RFC 8949 section 4.2.1 forbids: cbor2 reads it, we do not
    lax = ["1817", "1900ff", "5f42010243030405ff", "9f01ff", "a2020001 00".replace(" ", ""),
           "a201000100", "62c080", "63eda080"]
    want = ["E_CBOR_NONCANONICAL 0", "E_CBOR_NONCANONICAL 0", "E_CBOR_INDEFINITE 0",
            "E_CBOR_INDEFINITE 0", "E_CBOR_UNSORTED_KEYS 3", "E_CBOR_DUPLICATE_KEY 3",
            "E_CBOR_UTF8 1", "E_CBOR_UTF8 1"]
    out = run_tool("decode", lax)
    bad = []
    for h, w, line in zip(lax, want, out):
        if line != "ERR " + w:
            bad.append("%s: %s, wanted %s" % (h, line, w))
        try:
            cbor2.loads(bytes.fromhex(h))
            peer = "accepts"
        except Exception:
            peer = "rejects"
        print("# cbor2 %s %s; kapsule: %s" % (peer, h, line))
    report("reject non-deterministic encodings (cbor2 reads most of them)", not bad, "; ".join(bad))

    # 6. both directions: our decoder reads back what our encoder wrote
    enc = run_tool("encode", [json.dumps(to_typed(v, rng)) for v in values])
    back = run_tool("decode", enc)
    bad = [h for v, h, line in zip(values, enc, back)
           if line.startswith("ERR") or not same(from_typed(json.loads(line)), v)]
    report("roundtrip: %d values through our encoder and decoder" % len(values), not bad,
           "; ".join(bad[:3]))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
