# key.sh: kapsule key new|list|show|export|import: output, files and modes,
# exit statuses and codes.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
K="$KAPSULE_HOME/keys"

expect_ok "key --help" "$KAPSULE" key --help
check "help names every subcommand" grep -q "kapsule key import NAME FILE|-" "$OUT"
for sub in new list show export import; do
    expect_ok "key $sub --help" "$KAPSULE" key "$sub" --help
done
expect_exit "key alone is a usage error" 2 "$KAPSULE" key
expect_err "unknown subcommand" "unknown subcommand" 2 "$KAPSULE" key frob
expect_err "unknown option" "unknown option" 2 "$KAPSULE" key list --frob
expect_exit "new without a name" 2 "$KAPSULE" key new
expect_exit "new with two names" 2 "$KAPSULE" key new a b
expect_err "new with a bad algorithm" "--alg must be" 2 "$KAPSULE" key new --alg rsa x

expect_ok "new ed25519 (default)" "$KAPSULE" key new alice
check "new prints the algorithm" grep -q "^algorithm: *ed25519 (COSE -19)" "$OUT"
check "new prints the recipient" grep -Eq "^age recipient: age1[a-z0-9]{58}$" "$OUT"
expect_ok "new p256" "$KAPSULE" key new --alg p256 bob
check "p256 public key is compressed SEC1" grep -Eq "^public key: *0[23][0-9a-f]{64}$" "$OUT"
expect_ok "new secp256k1 (--alg=)" "$KAPSULE" key new --alg=secp256k1 carol
check "folder is 0700" [ "$(stat -c %a "$K")" = 700 ]
check "secret file is 0600" [ "$(stat -c %a "$K/alice.key")" = 600 ]
check "p256 secret file is 0600" [ "$(stat -c %a "$K/bob.key")" = 600 ]
check "public file is 0644" [ "$(stat -c %a "$K/alice.pub")" = 644 ]
check "secret file is JSON with the secret" $PY -c "import json; d=json.load(open('$K/alice.key')); assert d['kapsule_key']==1 and len(d['sign_secret'])==64"
check "public file has no secret" sh -c "! grep -q secret '$K/alice.pub'"

expect_err "existing name" "E_EXISTS" 1 "$KAPSULE" key new alice
for bad in "../x" "a/b" ".hidden" "x y" "$(printf 'a%.0s' $(seq 1 65))"; do
    expect_err "bad name '$bad'" "E_KEY_NAME" 2 "$KAPSULE" key new "$bad"
done
check "nothing written for bad names" [ "$(ls "$K" | wc -l)" -eq 6 ]

expect_ok "list" "$KAPSULE" key list
check "list is sorted with algorithms" [ "$(awk '{print $1 ":" $2}' "$OUT" | tr '\n' ' ')" = "alice:ed25519 bob:p256 carol:secp256k1 " ]
expect_ok "list --json" "$KAPSULE" key list --json
check "list --json has three keys" $PY -c "import json; d=json.load(open('$OUT')); assert [k['name'] for k in d]==['alice','bob','carol']"
expect_ok "show --json" "$KAPSULE" key show bob --json
check "show --json fields" $PY -c "
import json; d=json.load(open('$OUT'))
assert d['alg']=='p256' and d['cose_alg']==-7 and d['can_sign'] is True
assert len(d['public_key'])==66 and d['age_recipient'].startswith('age1')"
expect_err "show a missing key" "E_NOT_FOUND" 1 "$KAPSULE" key show nobody
expect_exit "show without a name" 2 "$KAPSULE" key show

expect_ok "export --age" "$KAPSULE" key export alice --age
RA=$(cat "$OUT")
check "export --age matches show" grep -q "$RA" <("$KAPSULE" key show alice)
expect_ok "export --age-secret" "$KAPSULE" key export alice --age-secret
check "age secret is one line" grep -Eq "^AGE-SECRET-KEY-1[A-Z0-9]{58}$" "$OUT"
expect_ok "export --public" "$KAPSULE" key export carol --public
check "export --public equals the .pub file" cmp -s "$OUT" "$K/carol.pub"
expect_ok "export --secret" "$KAPSULE" key export carol --secret
check "export --secret equals the .key file" cmp -s "$OUT" "$K/carol.key"
expect_err "export needs a form" "choose one" 2 "$KAPSULE" key export alice
expect_err "export takes one form" "choose one" 2 "$KAPSULE" key export alice --age --public
expect_err "export of a missing key" "E_NOT_FOUND" 1 "$KAPSULE" key export nobody --age

# import: our JSON into another store (file and standard input), an age
# identity (receive-only), and refusals
"$KAPSULE" key export bob --secret >"$T/bob.json"
S2="$T/other"
expect_ok "import JSON into another store" "$KAPSULE" key import --store "$S2" bob2 "$T/bob.json"
check "imported key has bob's public key" [ "$(grep 'public key' "$OUT" | awk '{print $3}')" = "$("$KAPSULE" key show bob | grep 'public key' | awk '{print $3}')" ]
check "imported secret file is 0600" [ "$(stat -c %a "$S2/keys/bob2.key")" = 600 ]
expect_ok "import from standard input" sh -c "'$KAPSULE' key export alice --secret | '$KAPSULE' key import --store='$S2' alice2 -"
expect_ok "list the other store" "$KAPSULE" key list --store "$S2"
check "other store has both" [ "$(awk '{print $1}' "$OUT" | tr '\n' ' ')" = "alice2 bob2 " ]
"$KAPSULE" key export alice --age-secret >"$T/alice.age"
expect_ok "import an age identity" "$KAPSULE" key import rx "$T/alice.age"
check "receive-only" grep -q "none (receive-only)" "$OUT"
check "same recipient as alice" grep -q "$RA" "$OUT"
expect_ok "show a receive-only key as JSON" "$KAPSULE" key show rx --json
check "receive-only JSON" $PY -c "import json; d=json.load(open('$OUT')); assert d['can_sign'] is False and d['public_key'] is None and d['cose_alg'] is None"
expect_err "import over an existing name" "E_EXISTS" 1 "$KAPSULE" key import rx "$T/alice.age"
printf 'hello\n' >"$T/junk"
expect_err "import junk" "E_AGE_KEY" 1 "$KAPSULE" key import j "$T/junk"
printf '{"kapsule_key": 1}' >"$T/bad.json"
expect_err "import incomplete JSON" "E_KEY_FILE" 1 "$KAPSULE" key import j "$T/bad.json"
sed 's/"sign_public": "0/"sign_public": "1/' "$T/bob.json" >"$T/bad2.json"
expect_err "import JSON whose public does not match" "E_KEY_FILE" 1 "$KAPSULE" key import j "$T/bad2.json"
expect_err "import a missing file" "E_NO_FILE" 3 "$KAPSULE" key import j "$T/none"
check "failed imports left no file" sh -c "[ ! -e '$K/j.key' ] && [ ! -e '$K/j.pub' ]"

# a secret file others can read is refused (exit 3), and list says so
chmod 644 "$K/carol.key"
expect_err "loose permissions refused" "E_KEY_PERMISSIONS" 3 "$KAPSULE" key show carol
expect_err "list reports the loose key" "E_KEY_PERMISSIONS" 3 "$KAPSULE" key list
check "list still shows the others" grep -q "^alice " "$OUT"
chmod 600 "$K/carol.key"
expect_ok "fixed permissions" "$KAPSULE" key show carol
finish
