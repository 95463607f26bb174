# snapshot.sh: kapsule export and import end to end. A store with keys, a
# policy, three modules (one named by no capsule), a DAG with replies, a
# capsule the blocklist rejects and one left pending is exported and
# imported into a fresh store under the same policy: both must then hold
# the same capsules (bytes), edges, results, module set and child storage,
# and the new log must verify. --since (a note or a tree size) exports only
# the later capsules, and two parts imported in order make the same store
# as the whole. Damaged snapshots (every truncation and every bit flip of a
# small one, wrong module code, wrong version, trailing bytes) are refused
# with their E_SNAPSHOT_ codes and leave the importing store untouched.
. "$(dirname "$0")/lib.sh"
G="$PWD/${BUILD:-build}/guest"
PY=/usr/bin/python3
K=$KAPSULE
A_HOME="$KAPSULE_HOME"

# field NAME: the JSON field NAME of the first line of $OUT
field() { $PY -c "import json,sys; print(json.loads(open('$OUT').readline())['$1'])"; }
modid() { $PY -c "
import sys, hashlib
print(hashlib.sha256(b'kapsule-module-v1\x00' + open('$1', 'rb').read()).hexdigest())"; }
# state HOME: the rows a snapshot must reproduce, one canonical text
state() {
    sqlite3 "$1/store.db" \
        "SELECT 'c', hex(id), hex(bytes) FROM capsules ORDER BY 2;" \
        "SELECT 'e', hex(child), hex(parent) FROM edges ORDER BY 2, 3;" \
        "SELECT 'r', hex(capsule), hex(module), verdict, reason, hex(result), fuel,
                hex(transcript_root), hex(policy_hash) FROM results ORDER BY 2;" \
        "SELECT 'm', hex(id), hex(code), owner_alg, hex(owner), state FROM modules ORDER BY 2;" \
        "SELECT 'k', hex(module), hex(key), hex(value) FROM kv ORDER BY 2, 3;"
}
# counts HOME: what an import that is refused must not change
counts() {
    sqlite3 "$1/store.db" "SELECT (SELECT count(*) FROM capsules), (SELECT count(*) FROM log_entries),
        (SELECT count(*) FROM modules), (SELECT count(*) FROM pending), (SELECT count(*) FROM log_checkpoints)"
}

expect_ok "export --help" $K export --help
expect_ok "import --help" $K import --help
expect_exit "export without -o" 2 $K export
expect_exit "export with an unknown option" 2 $K export --frobnicate -o x
expect_exit "import with nothing" 2 $K import
expect_exit "import of two files" 2 $K import a b
expect_exit "import --batch 0" 2 $K import --batch 0 x
expect_exit "import --trust-module with a bad id" 2 $K import --trust-module nope x

# ---- the exporting store ----
$K key new alice >/dev/null
$K key new bob >/dev/null
BL=$(modid "$G/blocklist.wasm")
TM=$(modid "$G/trust.wasm")
cat >"$T/policy.json" <<PEOF
{"kapsule_policy": 1, "grants": [
  {"name": "moderation", "module": "$BL", "type": "comment",
   "capabilities": ["capsule.read", "storage", "module.read", "result.submit"]},
  {"name": "moderation-updates", "module": "$BL", "type": "blocklist.update",
   "capabilities": ["capsule.read", "storage", "module.read", "result.submit"]},
  {"name": "trust", "module": "$TM", "type": "trust",
   "capabilities": ["capsule.read", "storage", "module.read", "result.submit"]}]}
PEOF
BOB=$($PY -c "import json; print(json.load(open('$KAPSULE_HOME/keys/bob.pub'))['sign_public'])")
echo "hello" >"$T/hello.txt"
echo "buy spam now" >"$T/spam.txt"
$PY -c "import cbor2,sys; sys.stdout.buffer.write(cbor2.dumps({'terms': ['spam']}))" >"$T/upd.cbor"
$PY -c "import cbor2,sys; sys.stdout.buffer.write(cbor2.dumps({'target': bytes.fromhex('$BOB'), 'weight': 5}))" >"$T/tb.cbor"
$PY -c "import cbor2,sys; sys.stdout.buffer.write(cbor2.dumps({'target': bytes.fromhex('11' * 32), 'weight': 3}))" >"$T/tc.cbor"
ING="$K ingest --json --policy $T/policy.json --trust-module $TM"
IMP="$K import --json --policy $T/policy.json --trust-module $TM"

expect_ok "modules add blocklist" $K modules add "$G/blocklist.wasm" --owner alice
expect_ok "modules add trust" $K modules add "$G/trust.wasm" --owner bob
expect_ok "a module no capsule names" $K modules add "$G/transfer.wasm"
P=$($K pack --type post --key alice --body "$T/hello.txt" --created 1 -o "$T/p.kapsule")
U=$($K pack --type blocklist.update --key alice --body "$T/upd.cbor" --logic "$BL" --created 2 -o "$T/u.kapsule")
C1=$($K pack --type comment --key bob --body "$T/hello.txt" --parent "$P" --logic "$BL" --created 3 -o "$T/c1.kapsule")
S1=$($K pack --type comment --key bob --body "$T/spam.txt" --parent "$P" --logic "$BL" --created 4 -o "$T/s1.kapsule")
C2=$($K pack --type comment --key alice --body "$T/hello.txt" --parent "$C1" --logic "$BL" --created 5 -o "$T/c2.kapsule")
TR1=$($K pack --type trust --key alice --body "$T/tb.cbor" --logic "$TM" --created 6 -o "$T/tr1.kapsule")
GHOST=$($K pack --type post --key bob --body "$T/hello.txt" --created 7 -o "$T/ghost.kapsule")
W=$($K pack --type comment --key alice --body "$T/hello.txt" --parent "$GHOST" --created 8 -o "$T/w.kapsule")
expect_exit "part one: one rejected" 1 $ING "$T/p.kapsule" "$T/u.kapsule" "$T/c1.kapsule" "$T/s1.kapsule" "$T/c2.kapsule" "$T/tr1.kapsule" "$T/w.kapsule"
check "the spam is rejected by the blocklist" grep -q "\"id\":\"$S1\".*\"status\":\"rejected\"" "$OUT"
check "one waits for a parent" grep -q "\"id\":\"$W\".*\"status\":\"pending\"" "$OUT"
check "five accepted" [ "$(grep -c '"status":"accepted"' "$OUT")" = 5 ]
$K log head >"$T/cp1.note"
SIZE1=$(sed -n 2p "$T/cp1.note")
expect_ok "export part one" $K export -o "$T/part1.snap"
check "says what it wrote" grep -q "^3 modules, 5 capsules (log size $SIZE1, since 0)" "$ERR"

# part two: replies to part one, and a trust edge that reads the graph
C3=$($K pack --type comment --key bob --body "$T/hello.txt" --parent "$C2" --parent "$TR1" --logic "$BL" --created 9 -o "$T/c3.kapsule")
TR2=$($K pack --type trust --key bob --body "$T/tc.cbor" --logic "$TM" --parent "$C3" --created 10 -o "$T/tr2.kapsule")
S2=$($K pack --type comment --key alice --body "$T/spam.txt" --parent "$C3" --logic "$BL" --created 11 -o "$T/s2.kapsule")
expect_exit "part two: one rejected" 1 $ING "$T/c3.kapsule" "$T/tr2.kapsule" "$T/s2.kapsule"
check "two accepted" [ "$(grep -c '"status":"accepted"' "$OUT")" = 2 ]
expect_ok "export the whole store" $K export -o "$T/full.snap"
check "3 modules, 7 capsules" grep -q "^3 modules, 7 capsules" "$ERR"
expect_ok "export --since a checkpoint note" $K export --since "$T/cp1.note" -o "$T/part2.snap"
check "only the two later capsules and the modules they name" grep -q "^2 modules, 2 capsules (log size [0-9]*, since $SIZE1)" "$ERR"
expect_ok "export --since the same tree size" $K export --since "$SIZE1" -o "$T/part2b.snap"
check "gives the same bytes" cmp -s "$T/part2.snap" "$T/part2b.snap"
expect_ok "export to standard output" sh -c "$K export -o - >'$T/full2.snap'"
check "the same bytes as the file" cmp -s "$T/full.snap" "$T/full2.snap"
expect_exit "--since past the log" 1 $K export --since 100000 -o "$T/x.snap"
check "E_LOG_RANGE" grep -q "E_LOG_RANGE" "$ERR"
sed 's/^\([0-9]*\)$/9\1/' "$T/cp1.note" >"$T/forged.note"
expect_exit "--since a note that does not verify" 1 $K export --since "$T/forged.note" -o "$T/x.snap"
check "with a note code" grep -Eq "E_NOTE_|E_CHECKPOINT" "$ERR"
KAPSULE_HOME="$T/other" $K ingest "$T/p.kapsule" >/dev/null 2>&1
KAPSULE_HOME="$T/other" $K log head >"$T/other.note"
expect_exit "--since another log's checkpoint" 1 $K export --since "$T/other.note" -o "$T/x.snap"

# ---- the whole snapshot into a fresh store ----
B="$T/b"
expect_ok "import the whole snapshot" env KAPSULE_HOME="$B" $IMP "$T/full.snap"
check "seven accepted, nothing else" [ "$(grep -c '"status":"accepted"' "$OUT")/$(wc -l <"$OUT")" = "7/7" ]
state "$A_HOME" >"$T/a.state"
state "$B" >"$T/b.state"
check "the exporting store has rows to compare" [ "$(grep -c '^r|' "$T/a.state")" = 6 ]
check "same capsules, edges, results, modules and child storage" cmp -s "$T/a.state" "$T/b.state"
expect_ok "results --json agree" sh -c "$K results --json $C3 >'$T/ra' && KAPSULE_HOME='$B' $K results --json $C3 >'$T/rb'"
check "for the reply with two parents" $PY -c "
import json; a = json.load(open('$T/ra')); b = json.load(open('$T/rb'))
a.pop('log_index', None); b.pop('log_index', None); assert a == b and a['verdict'] == 'accept', (a, b)"
expect_ok "log verify on the new store" env KAPSULE_HOME="$B" $K log verify
expect_out "the pending capsule was not exported" 0 sqlite3 "$B/store.db" "SELECT count(*) FROM pending"
expect_out "the log: 3 modules and 7 accepted capsules, no rejection" 10 sqlite3 "$B/store.db" "SELECT count(*) FROM log_entries"
expect_ok "importing it again" env KAPSULE_HOME="$B" $IMP "$T/full.snap"
check "changes nothing: all duplicates" [ "$(grep -c '"status":"duplicate"' "$OUT")" = 7 ]
state "$B" >"$T/b2.state"
check "same rows" cmp -s "$T/b.state" "$T/b2.state"
expect_ok "text output" env KAPSULE_HOME="$B" $K import --policy "$T/policy.json" --trust-module "$TM" "$T/full.snap"
check "a summary" grep -q "3 modules (0 new), 7 capsules: 0 accepted, 0 rejected, 0 pending, 7 duplicate" "$ERR"

# ---- the two parts in order make the same store ----
C="$T/c"
expect_ok "import part one" env KAPSULE_HOME="$C" $IMP "$T/part1.snap"
expect_ok "then part two" env KAPSULE_HOME="$C" $IMP "$T/part2.snap"
check "two accepted" [ "$(grep -c '"status":"accepted"' "$OUT")" = 2 ]
state "$C" >"$T/c.state"
check "the same store as the whole" cmp -s "$T/a.state" "$T/c.state"
expect_ok "log verify" env KAPSULE_HOME="$C" $K log verify
D="$T/d"
expect_ok "part two alone" env KAPSULE_HOME="$D" $IMP "$T/part2.snap"
check "waits for its ancestors" [ "$(grep -c '"status":"pending"' "$OUT")" = 2 ]
expect_ok "part one releases it" env KAPSULE_HOME="$D" $IMP "$T/part1.snap"
check "seven accepted" [ "$(grep -c '"status":"accepted"' "$OUT")" = 7 ]
state "$D" | grep -v '^m|' >"$T/d.state"
check "the same store as the whole, but for the module nobody named" sh -c "grep -v '^m|' '$T/a.state' | cmp -s - '$T/d.state'"

# ---- damaged snapshots ----
E="$T/e"
expect_ok "a small store" env KAPSULE_HOME="$E" $K ingest "$T/p.kapsule"
TINY_HOME="$T/tiny"
KAPSULE_HOME="$TINY_HOME" $K ingest "$T/p.kapsule" >/dev/null 2>&1
expect_ok "a small snapshot" env KAPSULE_HOME="$TINY_HOME" $K export -o "$T/tiny.snap"
BEFORE=$(counts "$E")
N=$(stat -c %s "$T/tiny.snap")
bad=0
# every 13th length and the last 8 here (each is a process); the unit test
# cuts at every length in-process
for i in $(seq 0 13 $((N - 1))) $(seq $((N - 8)) $((N - 1))); do
    head -c "$i" "$T/tiny.snap" >"$T/cut.snap"
    KAPSULE_HOME="$E" $K import "$T/cut.snap" >/dev/null 2>"$T/cut.err"
    rc=$?
    if [ $rc != 1 ] || ! grep -q "^kapsule: E_SNAPSHOT_TRUNCATED: " "$T/cut.err"; then
        bad=$((bad + 1)); echo "# cut at $i: exit $rc $(head -c 200 "$T/cut.err")"
    fi
done
check "truncations of a $N-byte snapshot are E_SNAPSHOT_TRUNCATED" [ $bad = 0 ]
$PY - "$T/tiny.snap" "$T/flips" <<'PYEOF'
import sys, os
b = open(sys.argv[1], 'rb').read()
os.makedirs(sys.argv[2], exist_ok=True)
for i in range(0, len(b), 11):  # the unit test flips every bit
    for bit in (0, 7):
        f = bytearray(b); f[i] ^= 1 << bit
        open('%s/%05d_%d.snap' % (sys.argv[2], i, bit), 'wb').write(f)
PYEOF
bad=0
for f in "$T"/flips/*.snap; do
    KAPSULE_HOME="$E" $K import "$f" >/dev/null 2>"$T/flip.err"
    rc=$?
    if [ $rc != 1 ] || ! grep -q "^kapsule: E_SNAPSHOT_[A-Z]*: " "$T/flip.err"; then
        bad=$((bad + 1)); echo "# $f: exit $rc $(head -c 200 "$T/flip.err")"
    fi
done
check "bit flips (bits 0 and 7 of every 11th byte) are refused with an E_SNAPSHOT_ code" [ $bad = 0 ]

# rebuilt snapshots with a correct digest: what the reader itself must catch
# redo IN OUT EDIT: decode the sequence, apply EDIT (python on h, mods, caps), re-encode
redo() {
    $PY - "$1" "$2" "$3" <<'PYEOF'
import sys, io, hashlib, cbor2
b = open(sys.argv[1], 'rb').read()
d = cbor2.CBORDecoder(io.BytesIO(b))
h = d.decode()
mods = [d.decode() for _ in range(h['modules'])]
caps = [d.decode() for _ in range(h['capsules'])]
exec(sys.argv[3])
out = cbor2.dumps(h, canonical=True) + b''.join(cbor2.dumps(x, canonical=True) for x in mods + caps)
out += cbor2.dumps({'sha256': hashlib.sha256(out).digest()}, canonical=True)
open(sys.argv[2], 'wb').write(out)
PYEOF
}
redo "$T/full.snap" "$T/same.snap" "pass"
check "the re-encoder reproduces the file (so the edits below are the only change)" cmp -s "$T/full.snap" "$T/same.snap"
redo "$T/full.snap" "$T/badmod.snap" "mods[0]['code'] = mods[0]['code'] + b'\\0'"
expect_err "a module whose code is not its id's" "^kapsule: E_SNAPSHOT_MODULE: " 1 env KAPSULE_HOME="$E" $K import "$T/badmod.snap"
redo "$T/full.snap" "$T/v2.snap" "h['kapsule_snapshot'] = 2"
expect_err "version 2" "^kapsule: E_SNAPSHOT_VERSION: " 1 env KAPSULE_HOME="$E" $K import "$T/v2.snap"
redo "$T/full.snap" "$T/extra.snap" "h['extra'] = 1"
expect_err "an unknown header field" "^kapsule: E_SNAPSHOT_FORMAT: " 1 env KAPSULE_HOME="$E" $K import "$T/extra.snap"
redo "$T/full.snap" "$T/many.snap" "h['capsules'] = 10**12"
expect_err "a count the file cannot hold" "^kapsule: E_SNAPSHOT_TRUNCATED: " 1 env KAPSULE_HOME="$E" $K import "$T/many.snap"
redo "$T/full.snap" "$T/order.snap" "mods.reverse()"
expect_err "modules out of id order" "^kapsule: E_SNAPSHOT_FORMAT: " 1 env KAPSULE_HOME="$E" $K import "$T/order.snap"
cp "$T/full.snap" "$T/trail.snap"; printf '\0' >>"$T/trail.snap"
expect_err "a byte after the trailer" "^kapsule: E_SNAPSHOT_TRAILING: " 1 env KAPSULE_HOME="$E" $K import "$T/trail.snap"
$PY -c "
b = bytearray(open('$T/full.snap', 'rb').read()); b[len(b) // 2] ^= 0x20
open('$T/flip.snap', 'wb').write(b)"
expect_err "a flipped byte inside a module's code" "^kapsule: E_SNAPSHOT_(MODULE|DIGEST): " 1 env KAPSULE_HOME="$E" $K import "$T/flip.snap"
expect_err "not a snapshot at all" "^kapsule: E_SNAPSHOT_FORMAT: " 1 env KAPSULE_HOME="$E" $K import "$T/p.kapsule"
: >"$T/empty.snap"
expect_err "an empty file" "^kapsule: E_SNAPSHOT_TRUNCATED: " 1 env KAPSULE_HOME="$E" $K import "$T/empty.snap"
check "the store kept exactly what it had" [ "$(counts "$E")" = "$BEFORE" ]

# a digest is no authority: a forged capsule in a well-formed file is
# verified like any other and rejected, with a log entry
redo "$T/full.snap" "$T/forged.snap" "caps[0] = caps[0][:-1] + bytes([caps[0][-1] ^ 1])"
F="$T/f"
expect_exit "a snapshot with a forged signature imports the rest" 1 env KAPSULE_HOME="$F" $IMP "$T/forged.snap"
check "the forged capsule is rejected E_SIG_INVALID" grep -q '"reason":"E_SIG_INVALID"' "$OUT"
check "its children wait for it" [ "$(grep -c '"status":"pending"' "$OUT")" -ge 1 ]
expect_ok "log verify" env KAPSULE_HOME="$F" $K log verify
finish
