# log_ref.sh: the audit log against an independent implementation.
#
# tests/tools/merkle_ref.py computes roots and proofs straight from RFC
# 9162's recursive definitions; log_tool answers the same queries from a
# store. Every root of sizes 0..1024, every inclusion proof in every size
# 1..1024 and every consistency proof for every pair of sizes must be
# byte-identical (compared one by one for every index up to size 64 and
# every pair up to 128 plus samples above, and as one digest per size for
# all of them); the C verifiers must accept every proof and refuse the
# listed ones mutated. The signed checkpoint is checked by the
# reference with python3-cryptography's Ed25519, and tampering is found.
. "$(dirname "$0")/lib.sh"

TOOL="$PWD/$BUILD/tests/tools/log_tool"
REF="$PWD/tests/tools/merkle_ref.py"
PY=/usr/bin/python3
N=1024
SEED=$(printf '%064x' 9162)
ORIGIN=example.org/kapsule-log-ref

expect_ok "build a log of $N entries" "$TOOL" build "$T/s" $N
expect_ok "reference queries" sh -c "'$PY' '$REF' queries $N > '$T/q'"
check "thousands of queries" [ "$(wc -l < "$T/q")" -gt 20000 ]
# the two sides run at once (a million proofs each)
"$PY" "$REF" answer $N < "$T/q" > "$T/p" 2> "$T/p.err" &
ref=$!
expect_ok "C answers" sh -c "'$TOOL' answer '$T/s' < '$T/q' > '$T/c'"
check "reference answers" wait $ref
check "every answer is there" [ "$(wc -l < "$T/c")" -eq "$(wc -l < "$T/q")" ]
if cmp -s "$T/c" "$T/p"; then
    _ok "roots and proofs equal the reference's"
else
    _no "roots and proofs equal the reference's" "$(diff "$T/c" "$T/p" | head -c 400)"
fi
expect_ok "C verifiers accept each reference proof, refuse it mutated" sh -c "'$TOOL' check < '$T/p'"

expect_ok "sign a checkpoint" sh -c "'$TOOL' checkpoint '$T/s' $ORIGIN $SEED > '$T/note'"
expect_ok "verifier key" sh -c "'$TOOL' vkey $ORIGIN $SEED > '$T/vkey'"
VKEY=$(cat "$T/vkey")
expect_ok "reference checks the note: key id, Ed25519 signature, root" \
    "$PY" "$REF" note "$T/note" "$VKEY" $N
expect_ok "log verify passes" "$TOOL" verify "$T/s" "$VKEY"
OTHER=$("$TOOL" vkey $ORIGIN "$(printf '%064x' 1)")
expect_exit "log verify with another key fails" 1 "$TOOL" verify "$T/s" "$OTHER"
check "and names the checkpoint" grep -q 'E_NOTE_UNVERIFIED: checkpoint 0 (size 1024)' "$OUT"

# Tampering, as someone with the file would: drop the triggers, edit a row.
tamper() { # SQL...
    "$PY" - "$T/s/store.db" "$@" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
for (name,) in db.execute("SELECT name FROM sqlite_schema WHERE type = 'trigger'").fetchall():
    db.execute('DROP TRIGGER "%s"' % name)
for sql in sys.argv[2:]:
    db.execute(sql)
db.commit()
EOF
}
cp -r "$T/s" "$T/orig"
expect_ok "tamper with entry 500" tamper "UPDATE log_entries SET data = CAST('entry 500' || char(10) || 'X' AS BLOB) WHERE idx = 500"
expect_exit "log verify finds it" 1 "$TOOL" verify "$T/s" "$VKEY"
check "reports entry 500 first" grep -q 'first_bad_entry 500 first_bad_checkpoint 1024' "$OUT"
check "says what is wrong" grep -q 'E_LOG_TAMPERED: log entry 500 does not hash to its stored leaf' "$OUT"

rm -rf "$T/s" && cp -r "$T/orig" "$T/s"
expect_ok "tamper with the checkpoint note" tamper "UPDATE log_checkpoints SET note = replace(note, '1024', '1023')"
expect_exit "log verify finds it" 1 "$TOOL" verify "$T/s" "$VKEY"
check "reports the checkpoint's bad signature" grep -q 'E_NOTE_BAD_SIG: checkpoint 0' "$OUT"
finish
