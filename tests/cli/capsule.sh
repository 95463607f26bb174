# capsule.sh: kapsule pack, inspect, verify and open from the command line:
# each algorithm, encryption to names and age1 strings, every option,
# what the output says, usage errors (exit 2), invalid capsules (exit 1 with
# the code), missing files (exit 3).
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
jget() { # FILE EXPR: a value of the JSON document in FILE, e.g. '["type"]'
    $PY -c "import json,sys; v=json.load(open(sys.argv[1]))$2; print(json.dumps(v) if isinstance(v,(dict,list,bool)) or v is None else v)" "$1"
}

flip() { # FILE OFFSET: flips the low bit of the byte at OFFSET (negative: from the end)
    $PY -c 'import sys; b = bytearray(open(sys.argv[1], "rb").read()); b[int(sys.argv[2])] ^= 1; open(sys.argv[1], "wb").write(b)' "$1" "$2"
}

printf 'hello, capsule\n' >"$T/body"
ID1=$(printf '1%.0s' $(seq 64))
ID2=$(printf 'f%.0s' $(seq 64))
MOD=$(printf 'a%.0s' $(seq 64))

for alg in ed25519 p256 secp256k1; do
    expect_ok "$alg: key new" "$KAPSULE" key new --alg "$alg" "k_$alg"
    pk=$("$KAPSULE" key show "k_$alg" --json | $PY -c 'import json,sys; print(json.load(sys.stdin)["public_key"])')
    expect_ok "$alg: pack" "$KAPSULE" pack --type post --key "k_$alg" --body "$T/body" \
        --parent "$ID2" --parent "$ID1" --flag lang=en --flag topic=news --created 1700000000 \
        --logic "$MOD" --cap "$MOD:ledger.spend:100" --cap "$MOD:ledger.spend:5:0a0b" \
        -o "$T/$alg.kapsule"
    id=$(cat "$OUT")
    check "$alg: pack prints the id" [ "${#id}" -eq 64 ]
    expect_out "$alg: verify" "OK $id $T/$alg.kapsule" "$KAPSULE" verify "$T/$alg.kapsule"
    expect_ok "$alg: inspect --json" "$KAPSULE" inspect --json "$T/$alg.kapsule"
    cp "$OUT" "$T/$alg.json"
    check "$alg: json id" [ "$(jget "$T/$alg.json" '["id"]')" = "$id" ]
    check "$alg: json valid" [ "$(jget "$T/$alg.json" '["valid"]')" = true ]
    check "$alg: json type" [ "$(jget "$T/$alg.json" '["type"]')" = post ]
    check "$alg: json alg" [ "$(jget "$T/$alg.json" '["alg"]')" = "$alg" ]
    check "$alg: json author is alg:hex" [ "$(jget "$T/$alg.json" '["author"]')" = "$alg:$pk" ]
    check "$alg: json created" [ "$(jget "$T/$alg.json" '["created"]')" = 1700000000 ]
    check "$alg: json parents sorted" [ "$(jget "$T/$alg.json" '["parents"]')" = "[\"$ID1\", \"$ID2\"]" ]
    check "$alg: json logic" [ "$(jget "$T/$alg.json" '["logic"]')" = "$MOD" ]
    check "$alg: json flags" [ "$(jget "$T/$alg.json" '["flags"]')" = '{"lang": "en", "topic": "news"}' ]
    check "$alg: json caps" [ "$(jget "$T/$alg.json" '["caps"]')" = "[{\"module\": \"$MOD\", \"kind\": \"ledger.spend\", \"amount\": 100, \"resource\": null}, {\"module\": \"$MOD\", \"kind\": \"ledger.spend\", \"amount\": 5, \"resource\": \"0a0b\"}]" ]
    check "$alg: json body" [ "$(jget "$T/$alg.json" '["body"]')" = '{"bytes": 15, "encrypted": false, "recipients": 0}' ]
    expect_ok "$alg: inspect (text)" "$KAPSULE" inspect "$T/$alg.kapsule"
    check "$alg: text shows a valid signature" grep -q '^signature:   valid$' "$OUT"
    check "$alg: text shows the flags" grep -q '^  topic = news$' "$OUT"
    check "$alg: text shows the cap" grep -q "may use ledger.spend up to 5 of 0a0b" "$OUT"
    expect_ok "$alg: inspect --body" "$KAPSULE" inspect --body "$T/$alg.kapsule"
    check "$alg: the raw body" cmp -s "$OUT" "$T/body"
    expect_ok "$alg: open a plaintext body without a key" "$KAPSULE" open "$T/$alg.kapsule"
    check "$alg: open gives the body" cmp -s "$OUT" "$T/body"
done

# encryption: to key names and to age1 strings, several recipients
expect_ok "key new reader" "$KAPSULE" key new reader
expect_ok "key new other" "$KAPSULE" key new other
R=$("$KAPSULE" key export reader --age)
expect_ok "pack --to a name and an age1 string" "$KAPSULE" pack --type comment --key k_p256 \
    --body "$T/body" --to "$R" --to k_ed25519 -o "$T/enc.kapsule"
expect_ok "inspect an encrypted capsule" "$KAPSULE" inspect "$T/enc.kapsule"
check "two recipients" grep -q "age-encrypted to 2 recipients" "$OUT"
expect_ok "inspect --body gives the age file" "$KAPSULE" inspect --body "$T/enc.kapsule"
check "the body is a binary age file" [ "$(head -c 21 "$OUT")" = "age-encryption.org/v1" ]
expect_ok "open for reader" "$KAPSULE" open "$T/enc.kapsule" --key reader -o "$T/plain"
check "reader gets the body" cmp -s "$T/plain" "$T/body"
check "the plaintext file is mode 0600" [ "$(stat -c %a "$T/plain")" = 600 ]
expect_ok "open for the other recipient" "$KAPSULE" open "$T/enc.kapsule" --key k_ed25519
check "k_ed25519 gets the body" cmp -s "$OUT" "$T/body"
expect_err "open for a non-recipient" "E_NOT_RECIPIENT" 1 "$KAPSULE" open "$T/enc.kapsule" --key other -o "$T/none"
check "nothing written for a non-recipient" [ ! -e "$T/none" ]
expect_err "open an encrypted body without --key" "give --key" 2 "$KAPSULE" open "$T/enc.kapsule"

# --logic FILE hashes the module with its prefix
printf '\0asm\1\0\0\0' >"$T/m.wasm"
want=$($PY -c 'import hashlib,sys; print(hashlib.sha256(b"kapsule-module-v1\0"+open(sys.argv[1],"rb").read()).hexdigest())' "$T/m.wasm")
expect_ok "pack --logic FILE" "$KAPSULE" pack --type agent --key k_ed25519 --logic "$T/m.wasm" -o "$T/l.kapsule"
expect_ok "inspect it" "$KAPSULE" inspect --json "$T/l.kapsule"
check "logic is the module id" [ "$(jget "$OUT" '["logic"]')" = "$want" ]
expect_ok "pack --cose-alg -8" "$KAPSULE" pack --type post --key k_ed25519 --cose-alg -8 -o "$T/m8.kapsule"
expect_ok "verify -8" "$KAPSULE" verify "$T/m8.kapsule"
expect_ok "inspect -8" "$KAPSULE" inspect --json "$T/m8.kapsule"
check "cose_alg -8" [ "$(jget "$OUT" '["cose_alg"]')" = -8 ]
now=$(date +%s)
expect_ok "pack without --created" "$KAPSULE" pack --type post --key k_ed25519 -o "$T/now.kapsule"
expect_ok "inspect it" "$KAPSULE" inspect --json "$T/now.kapsule"
c=$(jget "$OUT" '["created"]')
check "created defaults to now" [ "$c" -ge "$now" ] && [ "$c" -le $((now + 60)) ]
expect_ok "pack to standard output" "$KAPSULE" pack --type post --key k_ed25519 --created 1 -o -
cp "$OUT" "$T/stdout.kapsule"
expect_ok "it verifies" "$KAPSULE" verify "$T/stdout.kapsule"
expect_ok "pack a body from standard input" sh -c "printf abc | '$KAPSULE' pack --type post --key k_ed25519 --body - -o '$T/stdin.kapsule'"
expect_out "the body came from standard input" abc "$KAPSULE" open "$T/stdin.kapsule"

# verify: many files, one line each, exit 0 only if all verify
cp "$T/ed25519.kapsule" "$T/bad.kapsule"
flip "$T/bad.kapsule" -1
head -c 100 "$T/p256.kapsule" >"$T/short.kapsule"
expect_exit "verify with one bad file exits 1" 1 "$KAPSULE" verify "$T/p256.kapsule" "$T/bad.kapsule" "$T/short.kapsule"
check "three lines" [ "$(wc -l <"$OUT")" -eq 3 ]
check "the good one is OK" grep -q "^OK .* $T/p256.kapsule$" "$OUT"
check "the damaged signature is E_SIG_INVALID" grep -q "^FAIL $T/bad.kapsule E_SIG_INVALID: .*(at byte" "$OUT"
check "the truncated one is E_TRUNCATED" grep -q "^FAIL $T/short.kapsule E_TRUNCATED: " "$OUT"
expect_exit "verify --json" 1 "$KAPSULE" verify --json "$T/p256.kapsule" "$T/bad.kapsule"
check "json lines" $PY -c '
import json, sys
a, b = [json.loads(l) for l in open(sys.argv[1])]
assert a["ok"] is True and len(a["id"]) == 64 and a["type"] == "post" and a["author"].startswith("p256:")
assert b["ok"] is False and b["error"]["code"] == "E_SIG_INVALID" and b["error"]["field"] == "signature"
assert isinstance(b["error"]["offset"], int)
' "$OUT"
expect_exit "verify a missing file exits 3" 3 "$KAPSULE" verify "$T/p256.kapsule" "$T/nothing"
check "E_NO_FILE" grep -q "^FAIL $T/nothing E_NO_FILE" "$OUT"
# issue 19: verify takes folders and streams as ingest does
mkdir -p "$T/vdir"
cp "$T/p256.kapsule" "$T/vdir/a.kapsule"
cp "$T/bad.kapsule" "$T/vdir/b.kapsule"
echo "not a capsule" >"$T/vdir/notes.txt"
expect_exit "verify DIR: every *.kapsule, sorted" 1 "$KAPSULE" verify "$T/vdir"
check "two lines, in name order, the .txt left out" sh -c "[ \$(wc -l <'$OUT') -eq 2 ] && head -1 '$OUT' | grep -q '^OK .*/vdir/a.kapsule$' && tail -1 '$OUT' | grep -q '^FAIL .*/vdir/b.kapsule E_SIG_INVALID'"
expect_ok "cat a b | verify -" sh -c "cat '$T/p256.kapsule' '$T/ed25519.kapsule' | '$KAPSULE' verify -"
check "two stream items" sh -c "grep -c '^OK .* stdin #[12]$' '$OUT' | grep -qx 2"
expect_exit "a stream with a truncated tail" 1 sh -c "{ cat '$T/p256.kapsule'; head -c 50 '$T/ed25519.kapsule'; } | '$KAPSULE' verify -"
check "the tail is one input, E_TRUNCATED" grep -q '^FAIL stdin #2 E_TRUNCATED' "$OUT"
expect_exit "verify - twice is a usage error" 2 "$KAPSULE" verify - -
expect_exit "inspect a damaged signature exits 1" 1 "$KAPSULE" inspect "$T/bad.kapsule"
check "and says INVALID" grep -q "^signature:   INVALID (E_SIG_INVALID" "$OUT"
expect_err "open a damaged capsule" "E_SIG_INVALID" 1 "$KAPSULE" open "$T/bad.kapsule"
expect_err "inspect a non-capsule" "E_CAPSULE_FORMAT|E_CBOR" 1 "$KAPSULE" inspect "$T/body"
printf '\xd2\x84\x43\xa1\x01\x26\xa0\x41\x00\x40' >"$T/tiny"
expect_err "a short signature" "E_SIG_MALFORMED: signature is 0 bytes, not 64 \(at byte 9\)" 1 "$KAPSULE" inspect "$T/tiny"
expect_exit "verify it" 1 "$KAPSULE" verify "$T/tiny"
check "verify names the code and offset" grep -q "^FAIL .*E_SIG_MALFORMED: signature is 0 bytes, not 64 (at byte 9)" "$OUT"
# a COSE alg outside int64's small range prints as its value (issue 11:
# -257 was "-1-256"), in inspect's text and JSON and in verify's lines
printf '\xd2\x84\x45\xa1\x01\x39\x01\x00\xa0\x41\x00\x40' >"$T/alg257"
expect_err "COSE alg -257 in inspect" "^kapsule: E_CAPSULE_ALG: COSE algorithm -257 is not supported" 1 "$KAPSULE" inspect "$T/alg257"
expect_exit "COSE alg -257 in inspect --json" 1 "$KAPSULE" inspect --json "$T/alg257"
check "COSE alg -257 in inspect --json: the message" grep -q "COSE algorithm -257 is not supported" "$OUT" "$ERR"
expect_exit "COSE alg -257 in verify" 1 "$KAPSULE" verify "$T/alg257"
check "COSE alg -257 in verify: the line" grep -q "E_CAPSULE_ALG: COSE algorithm -257 is not supported" "$OUT"
check "COSE alg -257 nowhere as -1-256" sh -c '! grep -q -- "-1-" "$0" "$1"' "$OUT" "$ERR"
printf '\xd2\x84\x4b\xa1\x01\x3b\xff\xff\xff\xff\xff\xff\xff\xff\xa0\x41\x00\x40' >"$T/algmin"
expect_err "COSE alg -2^64 in inspect" "^kapsule: E_CAPSULE_ALG: COSE algorithm -18446744073709551616 is not supported" 1 "$KAPSULE" inspect "$T/algmin"

# pack refuses bad fields with the field's code, and usage with exit 2
expect_err "type with upper case" "E_CAPSULE_FIELD: type" 1 "$KAPSULE" pack --type Post --key k_ed25519 -o "$T/x"
expect_err "a flag key with upper case" "E_CAPSULE_FIELD: flags" 1 "$KAPSULE" pack --type post --key k_ed25519 --flag A=1 -o "$T/x"
expect_err "33 flags" "E_CAPSULE_LIMIT" 1 "$KAPSULE" pack --type post --key k_ed25519 \
    $(for i in $(seq 33); do printf -- '--flag f%d=x ' "$i"; done) -o "$T/x"
expect_err "a parent twice" "E_CAPSULE_FIELD: parents" 1 "$KAPSULE" pack --type post --key k_ed25519 --parent "$ID1" --parent "$ID1" -o "$T/x"
expect_err "a bad age1 recipient" "E_AGE_KEY" 1 "$KAPSULE" pack --type post --key k_ed25519 --to age1xyz -o "$T/x"
expect_err "--to an unknown name" "neither an age1 recipient nor a key" 2 "$KAPSULE" pack --type post --key k_ed25519 --to nobody -o "$T/x"
expect_err "--body-age that is not age" "E_AGE_HEADER" 1 "$KAPSULE" pack --type post --key k_ed25519 --body-age "$T/body" -o "$T/x"
expect_err "an unknown key" "E_NOT_FOUND" 1 "$KAPSULE" pack --type post --key nobody -o "$T/x"
expect_exit "no --type" 2 "$KAPSULE" pack --key k_ed25519 -o "$T/x"
expect_exit "no -o" 2 "$KAPSULE" pack --type post --key k_ed25519
expect_exit "bad --parent" 2 "$KAPSULE" pack --type post --key k_ed25519 --parent 12 -o "$T/x"
expect_exit "upper-case --parent" 2 "$KAPSULE" pack --type post --key k_ed25519 --parent "$(echo "$ID2" | tr f F)" -o "$T/x"
expect_exit "--flag without =" 2 "$KAPSULE" pack --type post --key k_ed25519 --flag novalue -o "$T/x"
expect_exit "bad --cap" 2 "$KAPSULE" pack --type post --key k_ed25519 --cap "$MOD:k" -o "$T/x"
expect_exit "bad --created" 2 "$KAPSULE" pack --type post --key k_ed25519 --created -5 -o "$T/x"
expect_exit "--body and --body-age" 2 "$KAPSULE" pack --type post --key k_ed25519 --body "$T/body" --body-age "$T/body" -o "$T/x"
expect_err "--logic neither id nor file" "neither a module id nor a file" 2 "$KAPSULE" pack --type post --key k_ed25519 --logic nothing -o "$T/x"
expect_err "a missing body file" "E_NO_FILE" 3 "$KAPSULE" pack --type post --key k_ed25519 --body "$T/nothing" -o "$T/x"
expect_err "--cose-alg of another key type" "E_CAPSULE_ALG" 1 "$KAPSULE" pack --type post --key k_ed25519 --cose-alg -7 -o "$T/x"
check "no output file after the failures" [ ! -e "$T/x" ]
"$KAPSULE" key export reader --age-secret >"$T/reader.id"
expect_ok "import a receive-only identity" "$KAPSULE" key import ro "$T/reader.id"
expect_err "a receive-only key cannot pack" "E_KEY_NO_SIGN" 1 "$KAPSULE" pack --type post --key ro -o "$T/x"
expect_ok "but it opens what was sent to it" "$KAPSULE" open "$T/enc.kapsule" --key ro
check "ro gets the body" cmp -s "$OUT" "$T/body"
expect_exit "inspect without FILE" 2 "$KAPSULE" inspect
expect_exit "inspect --json --body" 2 "$KAPSULE" inspect --json --body "$T/p256.kapsule"
expect_exit "verify without FILE" 2 "$KAPSULE" verify
expect_exit "open with an unknown option" 2 "$KAPSULE" open "$T/p256.kapsule" --bogus
for v in pack inspect verify open; do
    expect_ok "$v --help" "$KAPSULE" "$v" --help
    check "$v --help shows usage" grep -q "^usage: kapsule $v" "$OUT"
done
expect_ok "the verbs are listed" "$KAPSULE" --help
check "pack is listed" grep -q '^  pack ' "$OUT"
expect_ok "the codes are listed" "$KAPSULE" errors
check "E_CAPSULE_FIELD is in the table" grep -q "E_CAPSULE_FIELD" "$OUT"
finish
