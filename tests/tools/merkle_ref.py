#!/usr/bin/python3
"""merkle_ref.py: an independent reference for kapsule's audit log.

Written from RFC 9162 section 2.1 alone: MTH (2.1.1), PATH (2.1.3.1) and
PROOF/SUBPROOF (2.1.4.1) as the recursive definitions read, over ranges
D[lo:hi] of the entry list, and the C2SP signed-note / tlog-checkpoint
formats checked with python3-cryptography's Ed25519. It shares no code
with the C implementation; tests/cli/log_ref.sh compares the two.

  merkle_ref.py queries N        the queries log_ref.sh asks (one per line)
  merkle_ref.py answer N         answers the queries on stdin for entries 0..N-1
  merkle_ref.py note FILE VKEY N checks a checkpoint note against a vkey and
                                 the reference root of entries 0..N-1

Lines (hashes in lowercase hex, proofs comma-separated, "-" when empty):
  root S <root>
  incl I S <leaf hash> <root> <proof>
  cons A B <old root> <new root> <proof>
  inclall S <digest>   every inclusion proof in the tree of size S
  consall B <digest>   every consistency proof from sizes 0..B to B
where a digest is SHA-256 over each proof's 8-byte big-endian index (or
old size), its two hashes (leaf and root; old and new root) and its proof
hashes, in order: every size 1..N and every pair of sizes is compared
without printing half a million proofs.
"""
import base64
import hashlib
import random
import sys


def entry(i):
    """Entry i of the test logs (the C tool makes the same bytes)."""
    return (("entry %d\n" % i) * (i % 5)).encode()


def sha256(b):
    return hashlib.sha256(b).digest()


def leaf_hash(d):
    return sha256(b"\x00" + d)


def node_hash(left, right):
    return sha256(b"\x01" + left + right)


def split(n):
    """k: the largest power of two smaller than n (n > 1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


class Tree:
    def __init__(self, n):
        self.leaves = [leaf_hash(entry(i)) for i in range(n)]
        self.memo = {}

    def mth(self, lo, hi):
        """MTH(D[lo:hi])."""
        key = (lo, hi)
        if key in self.memo:
            return self.memo[key]
        n = hi - lo
        if n == 0:
            h = sha256(b"")
        elif n == 1:
            h = self.leaves[lo]
        else:
            k = split(n)
            h = node_hash(self.mth(lo, lo + k), self.mth(lo + k, hi))
        self.memo[key] = h
        return h

    def path(self, m, lo, hi):
        """PATH(m, D[lo:hi]), m counted from lo."""
        n = hi - lo
        if n == 1:
            return []
        k = split(n)
        if m < k:
            return self.path(m, lo, lo + k) + [self.mth(lo + k, hi)]
        return self.path(m - k, lo + k, hi) + [self.mth(lo, lo + k)]

    def subproof(self, m, lo, hi, b):
        """SUBPROOF(m, D[lo:hi], b), m counted from lo."""
        n = hi - lo
        if m == n:
            return [] if b else [self.mth(lo, hi)]
        k = split(n)
        if m <= k:
            return self.subproof(m, lo, lo + k, b) + [self.mth(lo + k, hi)]
        return self.subproof(m - k, lo + k, hi, False) + [self.mth(lo, lo + k)]

    def proof(self, m, n):
        """PROOF(m, D[n]); defined for 0 < m < n, and empty (nothing to
        prove) when m is 0 or n."""
        if m == 0 or m == n:
            return []
        return self.subproof(m, 0, n, True)


def hexs(hs):
    return ",".join(h.hex() for h in hs) if hs else "-"


def queries(n):
    rnd = random.Random(9162)
    out = []
    for s in range(0, n + 1):
        out.append("root %d" % s)
    for s in range(1, n + 1):
        if s <= 64:
            idx = range(s)
        else:
            idx = sorted({0, 1, s // 2, s - 2, s - 1} | {rnd.randrange(s) for _ in range(3)})
        out += ["incl %d %d" % (i, s) for i in idx]
    for b in range(0, min(n, 128) + 1):
        out += ["cons %d %d" % (a, b) for a in range(0, b + 1)]
    for b in range(129, n + 1):
        picks = {0, 1, b // 2, b - 1, b} | {rnd.randrange(1, b) for _ in range(2)}
        out += ["cons %d %d" % (a, b) for a in sorted(picks)]
    for _ in range(1000):
        b = rnd.randrange(1, n + 1)
        out.append("cons %d %d" % (rnd.randrange(0, b + 1), b))
    out += ["inclall %d" % s for s in range(1, n + 1)]
    out += ["consall %d" % b for b in range(1, n + 1)]
    return out


def digest(t, kind, s):
    h = hashlib.sha256()
    for a in range(s) if kind == "inclall" else range(s + 1):
        if kind == "inclall":
            parts = [t.leaves[a], t.mth(0, s)] + t.path(a, 0, s)
        else:
            parts = [t.mth(0, a), t.mth(0, s)] + t.proof(a, s)
        h.update(a.to_bytes(8, "big"))
        for p in parts:
            h.update(p)
    return h.hexdigest()


def answer(n, lines):
    t = Tree(n)
    for line in lines:
        w = line.split()
        if not w:
            continue
        if w[0] == "root":
            s = int(w[1])
            print("root %d %s" % (s, t.mth(0, s).hex()))
        elif w[0] == "incl":
            i, s = int(w[1]), int(w[2])
            print("incl %d %d %s %s %s" % (i, s, t.leaves[i].hex(), t.mth(0, s).hex(),
                                           hexs(t.path(i, 0, s))))
        elif w[0] in ("inclall", "consall"):
            print("%s %d %s" % (w[0], int(w[1]), digest(t, w[0], int(w[1]))))
        elif w[0] == "cons":
            a, b = int(w[1]), int(w[2])
            print("cons %d %d %s %s %s" % (a, b, t.mth(0, a).hex(), t.mth(0, b).hex(),
                                           hexs(t.proof(a, b))))
        else:
            sys.exit("bad query: " + line)


def b64strict(s):
    raw = base64.b64decode(s, validate=True)
    if base64.b64encode(raw).decode() != s:
        raise ValueError("non-canonical base64: " + s)
    return raw


def check_note(path, vkey, n):
    """Checks a checkpoint note by the C2SP rules, independently of C."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    msg = open(path, "rb").read().decode("utf-8")
    name, keyid_hex, key_b64 = vkey.split("+", 2)
    key = b64strict(key_b64)
    assert len(key) == 33 and key[0] == 1, "vkey is not an Ed25519 note key"
    pub = key[1:]
    keyid = sha256(name.encode() + b"\n" + b"\x01" + pub)[:4]
    assert keyid.hex() == keyid_hex, "vkey key id %s, computed %s" % (keyid_hex, keyid.hex())

    cut = msg.rindex("\n\n")
    text, sigs = msg[: cut + 1], msg[cut + 2 :]
    assert sigs.endswith("\n") and sigs.count("\n") == 1, "expected one signature line"
    assert sigs.startswith("\u2014 "), "signature line must start with an em dash"
    sname, sig_b64 = sigs[2:-1].split(" ")
    assert sname == name, "signed by %s, vkey names %s" % (sname, name)
    blob = b64strict(sig_b64)
    assert blob[:4] == keyid and len(blob) == 68, "signature key id or length"
    Ed25519PublicKey.from_public_bytes(pub).verify(blob[4:], text.encode())

    lines = text.split("\n")
    assert lines[-1] == "" and len(lines) == 4, "checkpoint body is 3 lines"
    origin, size, root = lines[0], lines[1], lines[2]
    assert origin == name, "origin %s differs from key name %s" % (origin, name)
    assert size == str(int(size)) and int(size) == n, "size %s, want %d" % (size, n)
    want = Tree(n).mth(0, n)
    assert b64strict(root) == want, "root %s, reference %s" % (root, want.hex())
    print("ok note %s size %d" % (name, n))


def main(argv):
    if len(argv) == 3 and argv[1] == "queries":
        print("\n".join(queries(int(argv[2]))))
    elif len(argv) == 3 and argv[1] == "answer":
        answer(int(argv[2]), sys.stdin.read().splitlines())
    elif len(argv) == 5 and argv[1] == "note":
        check_note(argv[2], argv[3], int(argv[4]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
