#!/usr/bin/env bash
# scripts/demo.sh: the main job on an embedded store (make demo).
#
# A small community on one machine: keys, the five example logic modules,
# a policy, a ledger, then a few hundred capsules (posts, comments, trust
# edges, transfers, agent goals; some encrypted, some malformed or forged)
# ingested in batches, and a report: what was accepted and rejected and
# why, the top-ranked posts, balances and the signed checkpoint.
#
# The store lives in $KAPSULE_HOME when set, else demo-store/ here. The
# demo starts from an empty store: demo-store/ is its own and is cleared;
# a $KAPSULE_HOME folder is cleared only when it is empty or holds an
# earlier demo (the marker file .kapsule-demo), else the demo stops rather
# than touch someone's real store.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
K="$PWD/$BUILD/kapsule"
mine=0
[ -n "${KAPSULE_HOME:-}" ] || mine=1
export KAPSULE_HOME=${KAPSULE_HOME:-$PWD/demo-store}
H="$KAPSULE_HOME"
# Debian's python3, which has python3-cbor2 (scripts/setup.sh installs it)
PY=/usr/bin/python3

if [ "$mine" -eq 0 ] && [ -e "$H" ] && [ -n "$(ls -A "$H" 2>/dev/null)" ] &&
    [ ! -e "$H/.kapsule-demo" ]; then
    echo "demo: $H is not empty and was not made by this demo; set KAPSULE_HOME to" >&2
    echo "      a new folder (nothing was changed)" >&2
    exit 3
fi
rm -rf "$H"
mkdir -p "$H"
touch "$H/.kapsule-demo"
start=$(date +%s%N)
step() { printf '\n== %s\n' "$*"; }

echo "kapsule demo (store: $H)"
"$K" version

step "identities: an operator, ten people, six sybils, mallory"
for n in operator alice bob carol dave erin frank grace heidi ivan judy \
    sybil1 sybil2 sybil3 sybil4 sybil5 sybil6 mallory; do
    alg=ed25519
    case $n in frank) alg=p256 ;; grace) alg=secp256k1 ;; esac
    "$K" key new --alg $alg $n > /dev/null
done
"$K" key list | sed 's/^/  /'
# Someone this node has no key for, to send sealed posts to.
stranger=$("$K" key new --store "$H/stranger" stranger > /dev/null &&
    "$K" key export stranger --age --store "$H/stranger")

step "logic modules, registered and owned by the operator"
declare -A M
for m in trust rank blocklist transfer agent; do
    M[$m]=$("$K" modules add "$BUILD/guest/$m.wasm" --owner operator)
    printf '%-10s %s\n' "$m" "${M[$m]}"
done
printf '{"trust": "%s", "rank": "%s", "blocklist": "%s", "transfer": "%s", "agent": "%s"}\n' \
    "${M[trust]}" "${M[rank]}" "${M[blocklist]}" "${M[transfer]}" "${M[agent]}" > "$H/modules.json"

step "policy: each module gets what it needs and nothing more"
cat > "$H/policy.json" <<EOF
{"kapsule_policy": 1,
 "grants": [
  {"name": "trust graph", "module": "${M[trust]}", "type": "trust",
   "capabilities": ["capsule.read", "storage", "module.read", "result.submit"],
   "limits": {"fuel": 50000000}},
  {"name": "feed ranking", "module": "${M[rank]}",
   "capabilities": ["capsule.read", "trust.read", "dag.read", "clock", "result.submit"]},
  {"name": "moderation", "module": "${M[blocklist]}",
   "capabilities": ["capsule.read", "storage", "module.read", "result.submit"]},
  {"name": "payments", "module": "${M[transfer]}", "type": "transfer",
   "capabilities": ["capsule.read", "ledger", "handle", "result.submit"]},
  {"name": "agents", "module": "${M[agent]}", "type": "agent.goal",
   "capabilities": ["capsule.read", "clock", "random", "log", "handle",
                    {"name": "emit", "count": 5}, "result.submit"]}]}
EOF
echo "policy hash $("$K" policy hash "$H/policy.json")"

step "ledger: genesis credits"
for n in alice bob carol dave erin frank grace heidi ivan judy; do
    "$K" ledger credit "$n" 100 > /dev/null 2>&1
done
echo "ten accounts credited 100 each"

step "packing capsules"
mkdir -p "$H/inbox"
n=$(DEMO_STRANGER="$stranger" "$PY" scripts/demo_capsules.py "$K" "$H/inbox" "$H/modules.json")
echo "$n capsule files in $H/inbox, some damaged or forged on purpose"

step "ingest: verify, decrypt, run the logic, store, log (batches of 50)"
set +e
"$K" ingest "$H/inbox" --batch 50 --trust-module "${M[trust]}" --json > "$H/ingest.jsonl"
rc=$?
set -e
echo "kapsule ingest exited $rc (1: some capsules were rejected, as planned)"
[ "$rc" -le 1 ] || exit "$rc"

step "report"
"$PY" - "$H" <<'EOF'
import collections, json, sys
H = sys.argv[1]
rows = [json.loads(l) for l in open(H + "/ingest.jsonl") if l.strip()]
ids = json.load(open(H + "/inbox/ids.json"))
label = {v: k for k, v in ids.items()}
# Each capsule once, by its final state: a capsule kept pending and then
# released has two lines; an input that never parsed has no id but a file.
# Several inputs can share an id (a bit flip in a signature keeps it), so
# an input is its file, and a released capsule's line updates the input
# that was pending with its id; one with no such input was emitted.
final, waiting = {}, {}
for r in rows:
    if r.get("released"):
        key = waiting.get(r["id"], "emitted " + r["id"])
    else:
        key = r["file"]
        if r["status"] == "pending":
            waiting[r["id"]] = key
    final[key] = r
inputs = len({r["file"] for r in rows if r.get("file")})
st = collections.Counter(r["status"] for r in final.values())
emitted = sum(1 for k in final if k.startswith("emitted "))
print("%d input files, %d capsules emitted by the agent: %s" % (
    inputs, emitted, ", ".join("%d %s" % (n, s) for s, n in st.most_common())))
why = collections.Counter()
for r in final.values():
    if r["status"] != "rejected":
        continue
    if r.get("verdict") == "reject":
        why["the logic said: " + r.get("message", "")] += 1
    else:
        why[r.get("reason") or "?"] += 1
print("rejected, by reason:")
for reason, n in why.most_common():
    print("  %3d  %s" % (n, reason))
sealed = sum(1 for r in final.values() if r.get("body") == "sealed")
opened = sum(1 for r in final.values() if r.get("body") == "decrypted")
print("encrypted bodies: %d decrypted for the operator, %d sealed for someone else" % (opened, sealed))
rel = sum(1 for r in final.values() if r.get("released") and r["id"] in label)
print("waited for a parent, then released when it arrived: %d" % rel)
print("still waiting (a parent never came, or was rejected): %d" % st["pending"])
print("emitted by the agent, signed by this node and ingested after their goal: %d" % emitted)
EOF

echo
echo "top-ranked posts (the rank module's result for the rank-all capsule):"
rank_id=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["rank-all"])' "$H/inbox/ids.json")
"$K" results "$rank_id" --json > "$H/rank.json"
"$PY" - "$H" <<'EOF'
import json, sys, cbor2
H = sys.argv[1]
ids = json.load(open(H + "/inbox/ids.json"))
label = {v: k for k, v in ids.items()}
res = json.load(open(H + "/rank.json"))
data = bytes.fromhex(res["result_hex"]) if "result_hex" in res else res["result"].encode()
pairs = cbor2.loads(data)
for i, (pid, score) in enumerate(pairs[:5]):
    pid = pid.hex() if isinstance(pid, bytes) else pid
    print("  %d. %s  %-14s score %.3f" % (i + 1, pid[:16], label.get(pid, "?"), score / 1e6))
EOF

echo
echo "agent goals (the agent plans each goal as tasks and emits them through its emit handle):"
for g in agent-goal0 agent-goal1; do
    gid=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$H/inbox/ids.json" $g)
    printf '  %s %s: %s\n' "$g" "${gid:0:16}" "$("$K" results "$gid" --json |
        "$PY" -c 'import json,sys,cbor2; r=json.load(sys.stdin); print(r["verdict"], cbor2.loads(bytes.fromhex(r["result_hex"])))')"
done
echo "  each task is an agent.task capsule signed by this node, child of its goal:"
"$K" dag heads --type agent.task | head -2 | sed 's/^/    /'

echo
echo "balances after the transfers:"
for n in alice bob carol dave erin; do
    printf '  %-6s %s\n' "$n" "$("$K" ledger balance "$n")"
done

echo
echo "the signed checkpoint (C2SP tlog-checkpoint):"
"$K" log head | sed 's/^/  /'
"$K" log verify

ms=$((($(date +%s%N) - start) / 1000000))
printf '\ndemo done in %d.%d s. Look around:\n' $((ms / 1000)) $((ms % 1000 / 100))
cat <<EOF
  export KAPSULE_HOME=$H
  $K log head                   # the latest signed tree head
  $K log show --from 0 --to 4   # the first decisions
  $K log prove 10               # inclusion proof of entry 10 (JSON)
  $K log verify                 # recompute the log, check capsules and results
  $K dag heads --type post      # posts nobody has answered
  $K dag show $rank_id
  $K results $rank_id
  $K modules list
EOF
