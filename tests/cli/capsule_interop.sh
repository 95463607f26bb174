# capsule_interop.sh: our capsules checked by independent tools.
#   age                   decrypts the body that `kapsule pack --to` encrypted
#                         (taken out with `inspect --body`), and `kapsule open`
#                         decrypts a body that `age -r` encrypted (--body-age);
#   python3-cbor2         decodes the envelope and payload to the values that
#                         `inspect --json` shows, and re-encodes them canonically
#                         to the same bytes; the id is recomputed from them;
#   python3-cryptography  verifies the signature over the COSE Sig_structure
#                         that python rebuilds, for Ed25519 (-19 and -8), ES256
#                         and ES256K, and refuses it over a changed payload;
#   ruby-cose             (a third-party COSE library, RFC 8152) verifies our
#                         COSE_Sign1 envelopes: ES256 and ES256K. It has no
#                         EdDSA, so it cannot check Ed25519 capsules: the test
#                         shows that it says so, and skips them.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3

expect_ok "key new reader" "$KAPSULE" key new reader
"$KAPSULE" key export reader --age-secret >"$T/reader.id"
R=$("$KAPSULE" key export reader --age)
for alg in ed25519 p256 secp256k1; do
    expect_ok "key new $alg" "$KAPSULE" key new --alg "$alg" "a_$alg"
done
MOD=$(printf 'ab%.0s' $(seq 32))

# ---- age, both ways ----
if command -v age >/dev/null; then
    for size in 0 1 65536 1048576; do
        head -c "$size" /dev/urandom >"$T/p.$size"
        expect_ok "$size: pack --to" "$KAPSULE" pack --type post --key a_p256 --body "$T/p.$size" \
            --to "$R" --to a_ed25519 -o "$T/c.$size"
        expect_ok "$size: inspect --body" "$KAPSULE" inspect --body "$T/c.$size"
        cp "$OUT" "$T/c.$size.age"
        expect_ok "$size: age -d decrypts our body" age -d -i "$T/reader.id" "$T/c.$size.age"
        check "$size: age gets the plaintext" cmp -s "$OUT" "$T/p.$size"

        age -r "$R" -o "$T/a.$size.age" "$T/p.$size"
        expect_ok "$size: pack --body-age (age -r)" "$KAPSULE" pack --type post --key a_ed25519 \
            --body-age "$T/a.$size.age" -o "$T/b.$size"
        expect_ok "$size: verify" "$KAPSULE" verify "$T/b.$size"
        expect_ok "$size: kapsule open decrypts age's body" "$KAPSULE" open "$T/b.$size" --key reader
        check "$size: we get the plaintext" cmp -s "$OUT" "$T/p.$size"
        expect_err "$size: not for a_p256" E_NOT_RECIPIENT 1 "$KAPSULE" open "$T/b.$size" --key a_p256
    done
    age -a -r "$R" -o "$T/armored.age" "$T/p.1"
    expect_err "an armored age body is refused (capsules hold the binary form)" \
        "E_CAPSULE_FIELD: body: an armored age file" 1 \
        "$KAPSULE" pack --type post --key a_ed25519 --body-age "$T/armored.age" -o "$T/x"
else
    skip "age interop" "the age CLI is not installed (scripts/setup.sh installs it)"
fi

# ---- python: cbor2 decodes, cryptography verifies ----
cat >"$T/peer.py" <<'PYEOF'
import hashlib, json, sys
import cbor2
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, utils

CURVES = {-7: ec.SECP256R1(), -47: ec.SECP256K1()}

def verify(alg, pk, msg, sig):
    if alg in (-8, -19):
        ed25519.Ed25519PublicKey.from_public_bytes(pk).verify(sig, msg)
    else:
        key = ec.EllipticCurvePublicKey.from_encoded_point(CURVES[alg], pk)
        r, s = int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big")
        key.verify(utils.encode_dss_signature(r, s), msg, ec.ECDSA(hashes.SHA256()))

def check(path, info_path):
    data = open(path, "rb").read()
    info = json.load(open(info_path))
    env = cbor2.loads(data)
    assert isinstance(env, cbor2.CBORTag) and env.tag == 18, "not tag 18"
    prot, unprot, payload, sig = env.value
    assert unprot == {}, "unprotected not empty"
    hdr = cbor2.loads(prot)
    assert list(hdr) == [1], "protected holds more than alg"
    alg = hdr[1]
    p = cbor2.loads(payload)
    # one encoding: cbor2's canonical form of the values is our bytes
    assert cbor2.dumps(p, canonical=True) == payload, "payload not canonical for cbor2"
    assert cbor2.dumps(hdr, canonical=True) == prot, "protected not canonical for cbor2"
    assert p["v"] == 1
    assert p["type"] == info["type"]
    assert p["author"][0] == alg == info["cose_alg"]
    assert info["author"] == info["alg"] + ":" + p["author"][1].hex()
    assert p["created"] == info["created"]
    assert [x.hex() for x in p["parents"]] == info["parents"]
    assert (p["logic"].hex() if "logic" in p else None) == info["logic"]
    assert p["flags"] == info["flags"]
    # --json writes integers past 2^63-1 as decimal strings
    big = lambda v: v if v < 2**63 else str(v)
    caps = [{"module": c["module"].hex(), "kind": c["kind"], "amount": big(c["amount"]),
             "resource": c["resource"].hex() if "resource" in c else None} for c in p.get("caps", [])]
    assert caps == info["caps"], (caps, info["caps"])
    assert len(p["body"]) == info["body"]["bytes"]
    assert (p.get("enc") == "age") == info["body"]["encrypted"]
    assert set(p) <= {"v", "type", "author", "parents", "logic", "flags", "created", "body", "enc", "caps"}
    assert hashlib.sha256(b"kapsule-capsule-v1\0" + payload).hexdigest() == info["id"], "id"
    # the signature over the Sig_structure python builds itself
    tbs = cbor2.dumps(["Signature1", prot, b"", payload])
    verify(alg, p["author"][1], tbs, sig)
    # and not over another payload
    p["created"] += 1
    other = cbor2.dumps(["Signature1", prot, b"", cbor2.dumps(p, canonical=True)])
    try:
        verify(alg, p["author"][1], other, sig)
        raise AssertionError("signature verified over a changed payload")
    except InvalidSignature:
        pass
    print("ok", alg)

check(sys.argv[1], sys.argv[2])
PYEOF

if $PY -c "import cbor2, cryptography" 2>/dev/null; then
    i=0
    for alg in ed25519 p256 secp256k1; do
        for variant in plain enc everything eddsa; do
            [ "$variant" = eddsa ] && [ "$alg" != ed25519 ] && continue
            i=$((i + 1))
            f="$T/py.$alg.$variant"
            case $variant in
            plain) args=(--body "$T/reader.id") ;;
            enc) args=(--body "$T/reader.id" --to reader) ;;
            everything) args=(--body "$T/reader.id" --to reader --parent "$MOD"
                --parent "$(printf '0%.0s' $(seq 64))" --logic "$MOD" --flag lang=fr
                --flag "note=été ☃" --cap "$MOD:ledger.spend:18446744073709551615:ff00"
                --cap "$MOD:a:1" --created 4102444800) ;;
            eddsa) args=(--body "$T/reader.id" --cose-alg -8) ;;
            esac
            expect_ok "$alg/$variant: pack" "$KAPSULE" pack --type "t.$variant" --key "a_$alg" "${args[@]}" -o "$f"
            expect_ok "$alg/$variant: inspect --json" "$KAPSULE" inspect --json "$f"
            cp "$OUT" "$f.json"
            expect_ok "$alg/$variant: cbor2 decodes, cryptography verifies" $PY "$T/peer.py" "$f" "$f.json"
        done
    done
else
    skip "python interop" "python3-cbor2 or python3-cryptography is not installed"
fi

# ---- ruby-cose: a third-party COSE implementation ----
cat >"$T/cose.rb" <<'RBEOF'
# Verifies a capsule's COSE_Sign1 with ruby-cose: COSE::Sign1.deserialize,
# the library's own Sig_structure and its algorithm table. The author's key
# comes from the payload (decoded with ruby-cbor).
require "cose"
require "cbor"
require "openssl"

# ruby-cose 1.2.0 (Debian bookworm) builds EC keys with EC#public_key=,
# which OpenSSL 3 refuses ("pkeys are immutable"); this replaces only that
# key construction (from a SubjectPublicKeyInfo). The message parsing, the
# Sig_structure and the signature check stay the library's.
class COSE::Key::EC2
  def to_pkey
    spki = OpenSSL::ASN1::Sequence([
      OpenSSL::ASN1::Sequence([OpenSSL::ASN1::ObjectId("id-ecPublicKey"),
                               OpenSSL::ASN1::ObjectId(curve.pkey_name)]),
      OpenSSL::ASN1::BitString("\x04".b + x + y)])
    OpenSSL::PKey::EC.new(spki.to_der)
  end
end

msg = COSE::Sign1.deserialize(File.binread(ARGV[0]))
alg, pk = CBOR.decode(msg.payload)["author"]
begin
  msg.algorithm
rescue COSE::Error => e
  puts "unsupported: #{e.message}"
  exit 3
end
crv = {-7 => [1, "prime256v1"], -47 => [8, "secp256k1"]}.fetch(alg)
group = OpenSSL::PKey::EC::Group.new(crv[1])
point = OpenSSL::PKey::EC::Point.new(group, OpenSSL::BN.new(pk, 2)).to_octet_string(:uncompressed)
key = COSE::Key::EC2.new(crv: crv[0], x: point[1, 32], y: point[33, 32])
begin
  msg.verify(key)
  puts "verified #{msg.algorithm.name}"
rescue COSE::Error => e
  puts "refused: #{e.message}"
  exit 1
end
RBEOF

if command -v ruby >/dev/null && ruby -e 'require "cose"' 2>/dev/null; then
    for alg in p256 secp256k1; do
        for variant in plain enc everything; do
            f="$T/py.$alg.$variant"
            [ -f "$f" ] || "$KAPSULE" pack --type post --key "a_$alg" --body "$T/reader.id" -o "$f"
            expect_ok "ruby-cose verifies $alg/$variant" ruby "$T/cose.rb" "$f"
            check "$alg/$variant: by the library's $( [ $alg = p256 ] && echo ES256 || echo ES256K)" \
                grep -q "^verified ES256K\?$" "$OUT"
        done
        # and it refuses a capsule whose signature we damaged
        f="$T/py.$alg.plain"
        cp "$f" "$T/damaged"
        $PY -c 'import sys; b = bytearray(open(sys.argv[1], "rb").read()); b[-10] ^= 1; open(sys.argv[1], "wb").write(b)' "$T/damaged"
        expect_exit "ruby-cose refuses a damaged $alg signature" 1 ruby "$T/cose.rb" "$T/damaged"
        check "$alg: refused for its signature" grep -q "^refused: Signature verification failed" "$OUT"
    done
    for variant in plain eddsa; do
        expect_exit "ruby-cose cannot check ed25519/$variant" 3 ruby "$T/cose.rb" "$T/py.ed25519.$variant"
        check "ed25519/$variant: ruby-cose has no EdDSA" grep -q "^unsupported: Unsupported algorithm" "$OUT"
        skip "ruby-cose on ed25519/$variant" "ruby-cose 1.2.0 implements ES256/384/512, ES256K, PS*, HMAC; no EdDSA (-8 or -19)"
    done
else
    skip "ruby-cose interop" "ruby-cose is not installed (scripts/setup.sh installs it)"
fi
finish
