#!/usr/bin/python3
"""demo_capsules.py: writes the demo's capsules with `kapsule pack`.

    demo_capsules.py KAPSULE OUTDIR MODULES.json

A small community, packed as a few hundred capsule files in OUTDIR whose
names give the order they are ingested in: the operator's blocklist, trust
edges (with a ring of sybil keys vouching for each other), posts (some
encrypted to the operator, some to a stranger), comments and replies (some
with blocked terms or by a blocked author, some arriving before their
parent), ledger transfers (one overdraft, one asking more than its author
allowed), agent goals, and what an attacker sends: truncated and
bit-flipped files, a forgery that claims alice's key, garbage and a
capsule sent twice. A last "rank" capsule asks the rank module to rank
every post.

Bodies are deterministic CBOR (python3-cbor2, canonical); every capsule
is made and signed by the kapsule command. The scenario is seeded, so
only the clock-dependent fields (created times) differ between runs.
"""
import json
import os
import random
import subprocess
import sys
import time

import cbor2

K, OUT, MODULES = sys.argv[1], sys.argv[2], sys.argv[3]
mods = json.load(open(MODULES))
rnd = random.Random(2026)
NOW = int(time.time())
HOUR = 3600
seq = 0
ids = {}  # file label -> capsule id


def key_pk(name):
    j = json.loads(subprocess.check_output([K, "key", "show", name, "--json"]))
    return bytes.fromhex(j["public_key"])


def body_file(obj):
    path = os.path.join(OUT, ".body")
    with open(path, "wb") as f:
        f.write(obj if isinstance(obj, bytes) else cbor2.dumps(obj, canonical=True))
    return path


def pack(label, typ, key, body=None, logic=None, parents=(), to=(), caps=(), created=None,
         name=None):
    """Packs one capsule into OUTDIR/<seq>-<label>.kapsule; returns its id."""
    global seq
    seq += 1
    path = os.path.join(OUT, "%04d-%s.kapsule" % (name if name is not None else seq, label))
    cmd = [K, "pack", "--type", typ, "--key", key, "-o", path,
           "--created", str(created if created is not None else NOW - rnd.randrange(72) * HOUR)]
    if body is not None:
        cmd += ["--body", body_file(body)]
    if logic:
        cmd += ["--logic", mods[logic]]
    for p in parents:
        cmd += ["--parent", p]
    for r in to:
        cmd += ["--to", r]
    for c in caps:
        cmd += ["--cap", c]
    cid = subprocess.check_output(cmd, text=True).split()[0]
    ids[label] = cid
    return cid, path


users = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy"]
sybils = ["sybil%d" % i for i in range(1, 7)]
pk = {n: key_pk(n) for n in users + sybils + ["operator", "mallory"]}

# The operator's moderation rules come first.
pack("blocklist", "blocklist.update", "operator", logic="blocklist",
     body={"block": [pk["mallory"]], "terms": ["buy followers", "free crypto"]})

# Trust: the operator vouches for three people, trust flows on from them;
# the sybils vouch for each other and for mallory, and nobody for them.
edges = [("operator", "alice", 900), ("operator", "bob", 700), ("operator", "carol", 500),
         ("alice", "dave", 800), ("alice", "erin", 400), ("bob", "frank", 600),
         ("carol", "grace", 700), ("dave", "heidi", 500), ("erin", "ivan", 300),
         ("frank", "judy", 400), ("grace", "alice", 200), ("heidi", "bob", 300),
         ("judy", "carol", 250), ("ivan", "dave", 150)]
for i, s in enumerate(sybils):
    edges.append((s, sybils[(i + 1) % len(sybils)], 1000))
    edges.append((s, "mallory", 1000))
for a, b, w in edges:
    pack("trust-%s-%s" % (a, b), "trust", a, logic="trust", body={"target": pk[b], "weight": w})

# Posts, with the hour they were written; some sealed for the operator's
# eyes, some for a stranger's (the relay and this node see only metadata).
post_ids = []
authors = users + sybils
for i in range(60):
    a = authors[i % len(authors)] if i % 4 else rnd.choice(users)
    text = "post %d by %s: %s" % (i, a, rnd.choice(
        ["a walk by the river", "notes on capsules", "the market today", "a recipe for bread",
         "why logs should be append-only", "photos from the weekend", "a question on trust"]))
    to = []
    if i % 15 == 7:
        to = ["operator"]
    elif i % 20 == 11:
        to = [os.environ["DEMO_STRANGER"]]
    cid, _ = pack("post%02d-%s" % (i, a), "post", a, body=text.encode(), logic="rank", to=to,
                  created=NOW - rnd.randrange(1, 72) * HOUR)
    post_ids.append(cid)

# Comments on posts and replies to comments, moderated by the blocklist.
comment_ids = []
for i in range(150):
    a = rnd.choice(users + ["mallory"] * 1) if i % 19 else "mallory"
    text = rnd.choice(["nice one", "I disagree", "thanks for sharing", "+1", "source?",
                       "see my post", "so true", "interesting"])
    if i % 23 == 5:
        text = "Buy Followers now, cheap"
    if i % 31 == 9:
        text = "free crypto for everyone who replies"
    parent = rnd.choice(post_ids) if i < 100 or not comment_ids else rnd.choice(comment_ids)
    cid, _ = pack("comment%03d" % i, "comment", a, body=text.encode(), logic="blocklist",
                  parents=[parent])
    comment_ids.append(cid)

# A thread whose parent arrives late: its replies sort before it and wait.
late_seq = seq + 10
late, _ = pack("late-post", "post", "alice", body=b"a post that arrives late", logic="rank",
               name=late_seq)
for i in range(4):
    pack("early-reply%d" % i, "comment", rnd.choice(users), body=b"replying before the post",
         logic="blocklist", parents=[late])
seq = late_seq
# And one reply whose parent never arrives: it stays pending.
pack("orphan", "comment", "bob", body=b"my parent never came", logic="blocklist",
     parents=["%064x" % 0xdeadbeef])

# Ledger transfers: each carries its author's signed spending request.
tr = mods["transfer"]
transfers = [("alice", "bob", 30, 30), ("bob", "carol", 20, 25), ("carol", "dave", 10, 10),
             ("alice", "erin", 15, 20), ("erin", "frank", 5, 5), ("dave", "grace", 40, 40),
             ("frank", "heidi", 2, 2), ("grace", "ivan", 10, 10), ("ivan", "judy", 5, 5),
             ("judy", "alice", 3, 3), ("bob", "alice", 500, 500),  # overdraft
             ("carol", "erin", 30, 10),                         # more than allowed
             ("heidi", "alice", 1, 1), ("alice", "carol", 25, 25)]
for i, (a, b, amt, allow) in enumerate(transfers):
    pack("transfer%02d-%s-%s" % (i, a, b), "transfer", a, logic="transfer",
         body={"to": pk[b], "amount": amt}, caps=["%s:ledger.spend:%d" % (tr, allow)])

# Agent goals: the agent plans each as steps and emits a task per step.
for i, (goal, steps) in enumerate([("summarize today's posts", 3), ("welcome new members", 2)]):
    pack("agent-goal%d" % i, "agent.goal", "operator", logic="agent",
         body={"goal": goal, "steps": steps})

# What an attacker sends.
_, victim = pack("victim", "post", "alice", body=b"alice's real words", logic="rank")
raw = open(victim, "rb").read()


def write_bad(label, data):
    global seq
    seq += 1
    with open(os.path.join(OUT, "%04d-%s.kapsule" % (seq, label)), "wb") as f:
        f.write(data)


for n in (1, 10, len(raw) // 2, len(raw) - 1):
    write_bad("truncated-at-%d" % n, raw[:n])
for bit in (7, 8 * 40 + 3, 8 * (len(raw) - 20)):
    b = bytearray(raw)
    b[bit // 8] ^= 1 << (bit % 8)
    write_bad("bitflip-%d" % bit, bytes(b))
# A forgery: mallory signs words and puts alice's key in as the author.
_, mine = pack("mallory-draft", "post", "mallory", body=b"alice says: send me money",
               logic="rank")
env = cbor2.loads(open(mine, "rb").read())
payload = cbor2.loads(env.value[2])
# "author" is [alg, key bytes]: swap the key, keep mallory's signature
assert payload["author"][1] == pk["mallory"], "the forgery must replace mallory's key"
payload["author"] = [payload["author"][0], pk["alice"]]
env.value[2] = cbor2.dumps(payload, canonical=True)
os.remove(mine)
write_bad("forged-as-alice", cbor2.dumps(env, canonical=True))
write_bad("garbage", bytes(rnd.randrange(256) for _ in range(300)))
write_bad("empty", b"")
write_bad("resent-victim", raw)  # the same capsule twice: a duplicate

# Last: rank every post (a rank capsule names the posts as its parents).
pack("rank-all", "rank", "operator", logic="rank", parents=post_ids[:64])
os.remove(os.path.join(OUT, ".body"))
json.dump(ids, open(os.path.join(OUT, "ids.json"), "w"), indent=1)
print(len([f for f in os.listdir(OUT) if f.endswith(".kapsule")]))
