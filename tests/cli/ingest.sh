# ingest.sh: kapsule ingest, modules, dag, results and the tamper checks of
# log verify, end to end on a store in $T: accept, each rejection reason,
# duplicates, pending then released (a chain of 100 in reverse order, and a
# module that arrives late), folders and stdin streams, the blocklist guest
# (child storage kept across ingests), ledger transfers, encrypted bodies to
# a local key and to a stranger, and a flipped byte in the database.
. "$(dirname "$0")/lib.sh"
G="$PWD/${BUILD:-build}/guest"
PY=/usr/bin/python3
K=$KAPSULE
DB="$KAPSULE_HOME/store.db"

# field NAME: the JSON field NAME of the first line of $OUT
field() { $PY -c "import json,sys; print(json.loads(open('$OUT').readline())['$1'])"; }
# nth N NAME: field NAME of line N (from 1) of $OUT
nth() { $PY -c "import json,sys; print(json.loads(open('$OUT').read().splitlines()[$1-1])['$2'])"; }

expect_ok "ingest --help" $K ingest --help
expect_ok "modules --help" $K modules --help
expect_ok "dag --help" $K dag --help
expect_ok "results --help" $K results --help
expect_exit "ingest with nothing" 2 $K ingest
expect_exit "ingest with an unknown option" 2 $K ingest --frobnicate x
expect_exit "ingest --batch 0" 2 $K ingest --batch 0 x
expect_exit "dag with a bad id" 2 $K dag show xyz
expect_exit "results with two ids" 2 $K results a b

$K key new alice >/dev/null
$K key new bob >/dev/null
KAPSULE_HOME="$T/other" $K key new stranger >/dev/null
echo "hello" >"$T/hello.txt"
A=$($K pack --type post --key alice --body "$T/hello.txt" --created 1 -o "$T/a.kapsule")
C=$($K pack --type comment --key bob --body "$T/hello.txt" --parent "$A" --created 2 -o "$T/c.kapsule")

# ---- accept, duplicate ----
expect_ok "ingest a post" $K ingest --json "$T/a.kapsule"
check "accepted" [ "$(field status)" = accepted ]
check "with its id" [ "$(field id)" = "$A" ]
check "and log index 0" [ "$(field log_index)" = 0 ]
check "the node key is private" [ "$(stat -c %a "$KAPSULE_HOME/node.key")" = 600 ]
expect_ok "ingest it again" $K ingest --json "$T/a.kapsule"
check "duplicate" [ "$(field status)" = duplicate ]
check "with no log entry" [ "$(field log_index)" = None ]
expect_ok "log show" $K log show
check "one entry in the log" [ "$(wc -l <"$OUT")" = 1 ]
expect_ok "a signed checkpoint" $K log head
check "of size 1" [ "$(sed -n 2p "$OUT")" = 1 ]

# ---- rejections: each with its code, logged, nothing stored ----
$PY - "$T/a.kapsule" "$T" <<'PYEOF'
import sys
b = open(sys.argv[1], 'rb').read()
t = sys.argv[2]
open(t + '/badsig.kapsule', 'wb').write(b[:-1] + bytes([b[-1] ^ 1]))
open(t + '/trunc.kapsule', 'wb').write(b[:-5])
open(t + '/junk.kapsule', 'wb').write(b'\xff\x00junk')
open(t + '/noncanon.kapsule', 'wb').write(b'\xd8\x12' + b[1:])  # tag 18 in a 2-byte head
PYEOF
expect_exit "a forged signature is rejected" 1 $K ingest --json "$T/badsig.kapsule"
check "E_SIG_INVALID" [ "$(field reason)" = E_SIG_INVALID ]
check "and logged" [ "$(field log_index)" = 1 ]
expect_exit "a truncated capsule is rejected" 1 $K ingest --json "$T/trunc.kapsule"
check "E_TRUNCATED" [ "$(field reason)" = E_TRUNCATED ]
expect_exit "junk is rejected" 1 $K ingest --json "$T/junk.kapsule"
check "with a CBOR code" sh -c "grep -q '\"reason\":\"E_CBOR_' '$OUT'"
expect_exit "a non-canonical head is rejected" 1 $K ingest --json "$T/noncanon.kapsule"
check "E_CBOR_NONCANONICAL" [ "$(field reason)" = E_CBOR_NONCANONICAL ]
expect_out "nothing of them is stored" 1 sqlite3 "$DB" "SELECT count(*) FROM capsules"
expect_err "text output names the code" 'rejected' 1 $K ingest "$T/badsig.kapsule"
check "on stdout" grep -q "^rejected .* E_SIG_INVALID" "$OUT"

# ---- pending, then released ----
expect_ok "a comment before its post's sibling" $K ingest --json "$T/c.kapsule"
check "is a child of a stored post: accepted" [ "$(field status)" = accepted ]
C2=$($K pack --type comment --key bob --body "$T/hello.txt" --parent "$C" --created 3 -o "$T/c2.kapsule")
C3=$($K pack --type comment --key bob --body "$T/hello.txt" --parent "$C2" --created 4 -o "$T/c3.kapsule")
expect_ok "a grandchild first" $K ingest --json "$T/c3.kapsule"
check "pending" [ "$(field status)" = pending ]
expect_ok "again: still pending, nothing new" $K ingest --json "$T/c3.kapsule"
check "no log entry" [ "$(field log_index)" = None ]
expect_ok "its parent releases it" $K ingest --json "$T/c2.kapsule"
check "two outcomes" [ "$(wc -l <"$OUT")" = 2 ]
check "the parent accepted" [ "$(nth 1 status)" = accepted ]
check "the child released and accepted" [ "$(nth 2 status)/$(nth 2 released)/$(nth 2 id)" = "accepted/True/$C3" ]
expect_out "nothing left pending" 0 sqlite3 "$DB" "SELECT count(*) FROM pending"

# a chain of 100 in reverse order, from a folder (sorted by name)
mkdir -p "$T/chain"
prev=$A
for i in $(seq 1 100); do
    n=$(printf '%03d' $((101 - i)))   # the first link gets the last name
    prev=$($K pack --type comment --key alice --body "$T/hello.txt" --parent "$prev" --created $((100 + i)) -o "$T/chain/$n.kapsule")
    [ "$i" = 1 ] && FIRST=$prev
done
LAST=$prev
mv "$T/chain/100.kapsule" "$T/first.kapsule"
expect_ok "99 links in reverse order" $K ingest --json --batch 7 "$T/chain"
check "all pending" [ "$(grep -c '"status":"pending"' "$OUT")" = 99 ]
expect_ok "the first link releases the chain" $K ingest --json "$T/first.kapsule"
check "100 accepted" [ "$(grep -c '"status":"accepted"' "$OUT")" = 100 ]
check "99 released" [ "$(grep -c '"released":true' "$OUT")" = 99 ]
expect_ok "dag ancestors of the last link" $K dag ancestors "$LAST"
check "has 100 ancestors" [ "$(wc -l <"$OUT")" = 100 ]
check "the post comes first" [ "$(head -1 "$OUT")" = "$A" ]
expect_ok "dag heads" $K dag heads
check "the last link is a head" grep -q "$LAST" "$OUT"
expect_ok "dag heads --type post" $K dag heads --type post
check "no post is a head" [ ! -s "$OUT" ]
expect_ok "dag show" $K dag show "$FIRST"
check "shows its parent and child" sh -c "grep -q '^parents   1' '$OUT' && grep -q '^children  1' '$OUT'"
expect_ok "dag show --json" $K dag show --json "$A"
check "json has the children" $PY -c "import json; d=json.load(open('$OUT')); assert len(d['children']) == 2"
expect_exit "dag show of an unknown capsule" 1 $K dag show "$(printf '%064d' 0)"

# ---- stdin: concatenated capsule files ----
D1=$($K pack --type post --key alice --body "$T/hello.txt" --created 500 -o "$T/d1.kapsule")
D2=$($K pack --type post --key bob --body "$T/hello.txt" --created 501 -o "$T/d2.kapsule")
cat "$T/d1.kapsule" "$T/a.kapsule" "$T/d2.kapsule" >"$T/stream"
expect_ok "a stream on stdin" sh -c "$K ingest --json - <'$T/stream'"
check "three outcomes" [ "$(wc -l <"$OUT")" = 3 ]
check "new, duplicate, new" [ "$(nth 1 status)/$(nth 2 status)/$(nth 3 status)" = "accepted/duplicate/accepted" ]
printf '\x82\x01' >>"$T/stream"   # an unfinished item at the end
expect_exit "a stream ending in garbage" 1 sh -c "$K ingest --json - <'$T/stream'"
check "the tail is rejected as one input" [ "$(nth 4 reason)" = E_TRUNCATED ]
# issue 11, defect 10: an item that is not a capsule in the middle of a
# stream used to swallow the rest silently; now it is logged as rejected
# and the stream stops there with a code that says so
D3=$($K pack --type post --key alice --body "$T/hello.txt" --created 502 -o "$T/d3.kapsule")
D4=$($K pack --type post --key alice --body "$T/hello.txt" --created 503 -o "$T/d4.kapsule")
{ cat "$T/d3.kapsule"; printf '\xa1\x01\x02'; cat "$T/d4.kapsule"; } >"$T/stream2"
expect_err "defect10: a bad item mid-stream stops it with a code" "E_INGEST_STREAM: stdin #2 .* [0-9]+ bytes after it were not read" 1 sh -c "$K ingest --json - <'$T/stream2'"
check "defect10: the capsule before it is accepted, the item rejected" [ "$(nth 1 status)/$(nth 2 status)/$(wc -l <"$OUT")" = "accepted/rejected/2" ]
expect_exit "defect10: the capsule after it was not taken" 1 $K dag show "$D4"

# issue 11, defect 2: "accepted" was printed as each capsule ran, before
# its batch committed, so a kill lost capsules the user was told were
# accepted. Now a line is printed only once its batch has committed: kill
# the ingest as soon as it prints, and every accepted line must be stored.
KS="$T/killstore"
mkdir -p "$T/many"
for i in $(seq 1 120); do
    $K pack --type post --key alice --body "$T/hello.txt" --created $((1000 + i)) -o "$T/many/$(printf '%03d' "$i").kapsule" >/dev/null
done
cp -r "$KAPSULE_HOME/keys" "$T/killkeys"
mkdir -p "$KS" && cp -r "$T/killkeys" "$KS/keys"
lost=0 said=0
for round in 1 2 3; do
    $K ingest --store "$KS" --batch 40 "$T/many" >"$T/kill.out" 2>/dev/null &
    pid=$!
    for _ in $(seq 1 1000); do [ -s "$T/kill.out" ] && break; sleep 0.01; done
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    for id in $(awk '$1 == "accepted" {print $2}' "$T/kill.out"); do
        said=$((said + 1))
        $K dag show --store "$KS" "$id" >/dev/null 2>&1 || lost=$((lost + 1))
    done
done
check "defect2: ingest printed accepted capsules before the kill" [ "$said" -gt 0 ]
check "defect2: every capsule printed as accepted is stored ($lost of $said lost)" [ "$lost" = 0 ]
expect_ok "defect2: the killed store verifies" $K log verify --store "$KS"

# ---- logic: the blocklist guest ----
cat >"$KAPSULE_HOME/policy.json" <<PEOF
{"kapsule_policy": 1, "grants": [
  {"name": "moderation", "module": "*", "type": "comment",
   "capabilities": ["capsule.read", "storage", "module.read", "result.submit"]},
  {"name": "moderation-updates", "module": "*", "type": "blocklist.update",
   "capabilities": ["capsule.read", "storage", "module.read", "result.submit"]}]}
PEOF
BL=$(cat "$G/blocklist.wasm" | $PY -c "
import sys, hashlib
print(hashlib.sha256(b'kapsule-module-v1\x00' + sys.stdin.buffer.read()).hexdigest())")
$PY -c "import cbor2,sys; sys.stdout.buffer.write(cbor2.dumps({'terms': ['spam']}))" >"$T/upd.cbor"
echo "buy spam now" >"$T/spam.txt"
U=$($K pack --type blocklist.update --key alice --body "$T/upd.cbor" --logic "$BL" --created 600 -o "$T/u.kapsule")
S1=$($K pack --type comment --key bob --body "$T/spam.txt" --parent "$A" --logic "$BL" --created 601 -o "$T/s1.kapsule")
OK1=$($K pack --type comment --key bob --body "$T/hello.txt" --parent "$A" --logic "$BL" --created 602 -o "$T/ok1.kapsule")
expect_ok "an update for a module not yet registered" $K ingest --json "$T/u.kapsule"
check "waits for the module" [ "$(field status)/$(field waiting)" = "pending/1" ]
expect_ok "modules add --owner alice" $K modules add "$G/blocklist.wasm" --owner alice
check "prints the module id" [ "$(cat "$OUT")" = "$BL" ]
check "the pending update is released" grep -q "released $U: accepted" "$ERR"
expect_ok "modules list" $K modules list --json
check "lists it, active, owned by alice" $PY -c "
import json; m = json.load(open('$OUT'))[0]
assert m['id'] == '$BL' and m['state'] == 'active' and m['owner'].startswith('ed25519:')"
expect_ok "modules add again" $K modules add "$G/blocklist.wasm"
check "says it was there" grep -q "registered already" "$ERR"
expect_exit "spam after the update (another ingest: child storage persisted)" 1 $K ingest --json "$T/s1.kapsule"
check "rejected by the logic" [ "$(field reason)/$(field verdict)" = "E_INGEST_REJECTED/reject" ]
check "saying why" grep -q "blocked term" "$OUT"
expect_ok "a clean comment" $K ingest --json "$T/ok1.kapsule"
check "accepted by the logic" [ "$(field status)/$(field verdict)/$(field module)" = "accepted/accept/$BL" ]
check "with fuel" [ "$(field fuel)" -gt 0 ]
expect_ok "results of the clean comment" $K results --json "$OK1"
check "verdict and fuel as logged" $PY -c "
import json; r = json.load(open('$OUT')); assert r['verdict'] == 'accept' and r['module'] == '$BL' and r['fuel'] > 0"
expect_exit "results of a capsule without logic" 1 $K results "$A"
expect_exit "results of a rejected capsule" 1 $K results "$S1"

# ---- no policy: nothing granted, the module fails to link ----
mv "$KAPSULE_HOME/policy.json" "$T/policy.json"
OK2=$($K pack --type comment --key bob --body "$T/hello.txt" --logic "$BL" --created 603 -o "$T/ok2.kapsule")
expect_exit "without a policy" 1 $K ingest --json "$T/ok2.kapsule"
check "E_CAP_NOT_GRANTED" [ "$(field reason)" = E_CAP_NOT_GRANTED ]
expect_ok "with --policy" $K ingest --json --policy "$T/policy.json" "$T/ok2.kapsule"
check "accepted" [ "$(field status)" = accepted ]

# ---- ledger: the transfer guest under a policy budget ----
ALICE=$($PY -c "import json; print(json.load(open('$KAPSULE_HOME/keys/alice.pub'))['sign_public'])")
BOB=$($PY -c "import json; print(json.load(open('$KAPSULE_HOME/keys/bob.pub'))['sign_public'])")
cat >"$T/pay.json" <<PEOF
{"kapsule_policy": 1, "grants": [
  {"name": "payments", "module": "*", "type": "transfer", "author": "$ALICE",
   "capabilities": ["capsule.read", "handle", "result.submit",
                    {"name": "ledger", "budget": 1000, "account": "$ALICE"}]}]}
PEOF
TR=$($K modules add "$G/transfer.wasm")
expect_out "genesis: alice is credited 100" 100 $K ledger credit alice 100
expect_out "the credit is an audit log decision" credit \
    $PY -c "import base64,cbor2,json,sys; e=json.load(sys.stdin)[-1]['entry']; print(cbor2.loads(base64.b64decode(e))['decision'])" \
    < <($K log show --json)
expect_exit "a credit of nothing" 2 $K ledger credit alice 0
expect_exit "a credit to an unknown name" 1 $K ledger credit nobody 5
$PY -c "import cbor2,sys; sys.stdout.buffer.write(cbor2.dumps({'to': bytes.fromhex('$BOB'), 'amount': 30}))" >"$T/t30.cbor"
$PY -c "import cbor2,sys; sys.stdout.buffer.write(cbor2.dumps({'to': bytes.fromhex('$BOB'), 'amount': 80}))" >"$T/t80.cbor"
$K pack --type transfer --key alice --body "$T/t30.cbor" --logic "$TR" --created 700 -o "$T/t1.kapsule" >/dev/null
$K pack --type transfer --key alice --body "$T/t30.cbor" --logic "$TR" --created 701 -o "$T/t2.kapsule" >/dev/null
$K pack --type transfer --key alice --body "$T/t80.cbor" --logic "$TR" --created 702 -o "$T/t3.kapsule" >/dev/null
expect_exit "three transfers, the last an overdraft" 1 $K ingest --json --policy "$T/pay.json" "$T/t1.kapsule" "$T/t2.kapsule" "$T/t3.kapsule"
check "accepted, accepted, rejected" [ "$(nth 1 status)/$(nth 2 status)/$(nth 3 status)" = "accepted/accepted/rejected" ]
expect_out "alice has 40 left" 40 sqlite3 "$DB" "SELECT balance FROM ledger_balances WHERE account = X'$ALICE'"
expect_out "bob has 60" 60 sqlite3 "$DB" "SELECT balance FROM ledger_balances WHERE account = X'$BOB'"
expect_out "two transfers recorded" 2 sqlite3 "$DB" "SELECT count(*) FROM ledger_transfers"
expect_out "ledger balance reads both" "$(printf '40\n60')" $K ledger balance alice "$BOB"

# ---- ledger: spending authority from the capsule's own signed caps ----
cat >"$T/pay2.json" <<PEOF
{"kapsule_policy": 1, "grants": [
  {"name": "payments", "module": "$TR", "type": "transfer",
   "capabilities": ["capsule.read", "ledger", "handle", "result.submit"]}]}
PEOF
$PY -c "import cbor2,sys; sys.stdout.buffer.write(cbor2.dumps({'to': bytes.fromhex('$BOB'), 'amount': 15}))" >"$T/t15.cbor"
$K pack --type transfer --key alice --body "$T/t15.cbor" --logic "$TR" --cap "$TR:ledger.spend:20" --created 710 -o "$T/c1.kapsule" >/dev/null
$K pack --type transfer --key alice --body "$T/t30.cbor" --logic "$TR" --cap "$TR:ledger.spend:20" --created 711 -o "$T/c2.kapsule" >/dev/null
$K pack --type transfer --key alice --body "$T/t15.cbor" --logic "$TR" --created 712 -o "$T/c3.kapsule" >/dev/null
expect_exit "caps: within the request, above it, without one" 1 $K ingest --json --policy "$T/pay2.json" "$T/c1.kapsule" "$T/c2.kapsule" "$T/c3.kapsule"
check "accepted, rejected, rejected" [ "$(nth 1 status)/$(nth 2 status)/$(nth 3 status)" = "accepted/rejected/rejected" ]
check "the module says why" grep -q "more than the author's request allows" "$OUT"
expect_out "alice paid 15 of her 40" "$(printf '25\n75')" $K ledger balance alice "$BOB"
expect_exit "the same capsule again is a duplicate, not a second payment" 0 $K ingest --json --policy "$T/pay2.json" "$T/c1.kapsule"
check "duplicate" [ "$(field status)" = duplicate ]
expect_out "alice still has 25" 25 $K ledger balance alice

# ---- the trust guest: scores kept in its child storage across ingests ----
TM=$($K modules add "$G/trust.wasm" --owner alice)
cat >"$T/trust.json" <<PEOF
{"kapsule_policy": 1, "grants": [{"name": "trust", "module": "$TM", "type": "trust",
   "capabilities": ["capsule.read", "storage", "module.read", "result.submit"]}]}
PEOF
$PY -c "import cbor2,sys; sys.stdout.buffer.write(cbor2.dumps({'target': bytes.fromhex('$BOB'), 'weight': 5}))" >"$T/tb.cbor"
CAROL=$($PY -c "print('11' * 32)")
$PY -c "import cbor2,sys; sys.stdout.buffer.write(cbor2.dumps({'target': bytes.fromhex('$CAROL'), 'weight': 5}))" >"$T/tc.cbor"
$K pack --type trust --key alice --body "$T/tb.cbor" --logic "$TM" --created 900 -o "$T/tr1.kapsule" >/dev/null
$K pack --type trust --key bob --body "$T/tc.cbor" --logic "$TM" --created 901 -o "$T/tr2.kapsule" >/dev/null
expect_ok "alice trusts bob" $K ingest --json --policy "$T/trust.json" --trust-module "$TM" "$T/tr1.kapsule"
check "accepted by the trust module" [ "$(field status)/$(field verdict)" = "accepted/accept" ]
score() { sqlite3 "$DB" "SELECT count(*) FROM kv WHERE module = X'$TM' AND key = X'$(printf 'score/' | od -An -tx1 | tr -d ' \n')$1'"; }
check "bob has a score" [ "$(score "$BOB")" = 1 ]
check "carol has none yet" [ "$(score "$CAROL")" = 0 ]
expect_ok "bob trusts carol (a later ingest)" $K ingest --json --policy "$T/trust.json" "$T/tr2.kapsule"
check "accepted" [ "$(field status)" = accepted ]
check "carol has a score now: the graph was kept" [ "$(score "$CAROL")" = 1 ]
expect_exit "--trust-module with a bad id" 2 $K ingest --trust-module nope "$T/tr2.kapsule"

# ---- encrypted bodies ----
$K pack --type post --key alice --body "$T/hello.txt" --to bob --created 800 -o "$T/e1.kapsule" >/dev/null
STR=$(KAPSULE_HOME="$T/other" $K key export stranger --age)
$K pack --type post --key alice --body "$T/hello.txt" --to "$STR" --created 801 -o "$T/e2.kapsule" >/dev/null
expect_ok "encrypted to a local key and to a stranger" $K ingest --json "$T/e1.kapsule" "$T/e2.kapsule"
check "decrypted for bob, sealed for the stranger" [ "$(nth 1 body)/$(nth 2 body)" = "decrypted/sealed" ]
check "both stored as received (ciphertext)" [ "$(sqlite3 "$DB" "SELECT count(*) FROM capsules WHERE encrypted = 1")" = 2 ]

# ---- emitted capsules: the agent's tasks, signed by the node ----
AG=$($K modules add "$G/agent.wasm")
cat >"$T/agent.json" <<PEOF
{"kapsule_policy": 1, "grants": [{"name": "agents", "module": "$AG", "type": "agent.goal",
   "capabilities": ["capsule.read", "clock", "random", "log", "handle",
                    {"name": "emit", "count": 3}, "result.submit"]}]}
PEOF
$PY -c "import cbor2,sys; sys.stdout.buffer.write(cbor2.dumps({'goal': 'tidy up', 'steps': 2}, canonical=True))" >"$T/g2.cbor"
$PY -c "import cbor2,sys; sys.stdout.buffer.write(cbor2.dumps({'goal': 'too much', 'steps': 9}, canonical=True))" >"$T/g9.cbor"
$K pack --type agent.goal --key alice --body "$T/g2.cbor" --logic "$AG" --created 900 -o "$T/g2.kapsule" >/dev/null
$K pack --type agent.goal --key alice --body "$T/g9.cbor" --logic "$AG" --created 901 -o "$T/g9.kapsule" >/dev/null
expect_ok "a goal of two steps" $K ingest --json --policy "$T/agent.json" "$T/g2.kapsule"
check "three results" [ "$(wc -l < "$OUT")" = 3 ]
check "the goal, then its two tasks" [ "$(nth 1 status)/$(nth 2 status)/$(nth 3 status)" = "accepted/accepted/accepted" ]
check "the tasks came out of the queue" [ "$(nth 2 released)/$(nth 3 released)" = "True/True" ]
GOAL=$(nth 1 id)
TASK=$(nth 2 id)
expect_ok "dag show of a task" $K dag show "$TASK" --json
check "a task is an agent.task naming its goal as parent" $PY -c "
import json; d = json.load(open('$OUT'))
assert d['type'] == 'agent.task' and d['parents'] == ['$GOAL'], d"
VKEY=$($K log vkey)
NODEPK=$($PY -c "import base64,sys; print(base64.b64decode(sys.argv[1].split('+', 2)[2])[1:].hex())" "$VKEY")
check "signed by the node's key" $PY -c "
import json; d = json.load(open('$OUT')); assert d['author'] == 'ed25519:$NODEPK', d['author']"
expect_ok "a goal of nine steps under an emit budget of three" $K ingest --json --policy "$T/agent.json" "$T/g9.kapsule"
check "three tasks, no more" [ "$(grep -c '"released": *true' "$OUT")" = 3 ]
expect_ok "log verify covers the tasks" $K log verify

# ---- the log and what it vouches for ----
expect_ok "log verify" $K log verify
check "reports the log ok" grep -q "^log ok" "$OUT"
check "UPDATE on capsules is refused" sh -c "! sqlite3 '$DB' \"UPDATE capsules SET type = 'x'\" 2>/dev/null"
# someone with the file drops the trigger and flips one byte of D1's bytes
hexb=$(sqlite3 "$DB" "SELECT hex(bytes) FROM capsules WHERE id = X'$D1'")
pos=80
c=${hexb:$pos:1}
case $c in 0) r=1 ;; *) r=0 ;; esac
newhex="${hexb:0:$pos}$r${hexb:$((pos + 1))}"
sqlite3 "$DB" "DROP TRIGGER capsules_no_update; UPDATE capsules SET bytes = X'$newhex' WHERE id = X'$D1'"
expect_exit "log verify after a flipped byte" 1 $K log verify
check "names the capsule" grep -q "E_INGEST_TAMPERED capsule $D1" "$OUT"
expect_exit "log verify --json" 1 $K log verify --json
check "reports it as a capsule problem" $PY -c "
import json; d = json.load(open('$OUT')); p = d['problems']
assert not d['ok'] and len(p) == 1 and p[0]['place'] == 'capsule' and '$D1' in p[0]['message']"
finish
