# sig_interop.sh: our Ed25519, ES256 and ES256K signatures checked by
# python3-cryptography (OpenSSL underneath, but its own encoding path),
# and python's signatures checked by us: accepted when low-S, refused with
# E_SIG_HIGH_S when python happened to produce a high S.
. "$(dirname "$0")/lib.sh"
ST="$PWD/${BUILD:-build}/tests/tools/sig_tool"
PY=/usr/bin/python3

if ! $PY -c "import cryptography" 2>/dev/null; then
    skip "signature interop" "python3-cryptography is not installed"
    finish
    exit 0
fi

cat >"$T/peer.py" <<'PYEOF'
import sys
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, utils

CURVES = {"p256": ec.SECP256R1(), "secp256k1": ec.SECP256K1()}
ORDERS = {
    "p256": 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551,
    "secp256k1": 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141,
}

def verify(alg, pk, msg, sig):
    """Exit 0 when python accepts our signature (and, for ECDSA, it is low-S)."""
    if alg == "ed25519":
        key = ed25519.Ed25519PublicKey.from_public_bytes(pk)
        key.verify(sig, msg)
        return
    key = ec.EllipticCurvePublicKey.from_encoded_point(CURVES[alg], pk)
    r, s = int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big")
    if s > ORDERS[alg] // 2:
        sys.exit("high S from kapsule")
    key.verify(utils.encode_dss_signature(r, s), msg, ec.ECDSA(hashes.SHA256()))

def sign(alg, msg):
    """Prints: public key hex, raw r||s hex, DER hex, and 'high' or 'low'."""
    if alg == "ed25519":
        k = ed25519.Ed25519PrivateKey.generate()
        pk = k.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        sig = k.sign(msg)
        print(pk.hex(), sig.hex(), "-", "low")
        return
    k = ec.generate_private_key(CURVES[alg])
    pk = k.public_key().public_bytes(serialization.Encoding.X962,
                                     serialization.PublicFormat.CompressedPoint)
    der = k.sign(msg, ec.ECDSA(hashes.SHA256()))
    r, s = utils.decode_dss_signature(der)
    raw = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    print(pk.hex(), raw.hex(), der.hex(), "high" if s > ORDERS[alg] // 2 else "low")

cmd = sys.argv[1]
if cmd == "verify":
    # lines "NAME ALG PK MSGFILE SIG"; prints "NAME ok" or "NAME refused"
    for line in open(sys.argv[2]):
        name, alg, pk, m, sig = line.split()
        try:
            verify(alg, bytes.fromhex(pk), open(m, "rb").read(), bytes.fromhex(sig))
            print(name, "ok")
        except (InvalidSignature, SystemExit, ValueError):
            print(name, "refused")
else:
    alg = sys.argv[2]
    msg = open(sys.argv[3], "rb").read()
    for _ in range(int(sys.argv[4])):
        sign(alg, msg)
PYEOF

printf '' >"$T/m0"
printf 'x' >"$T/m1"
head -c 1000 /dev/urandom >"$T/m2"
head -c 70000 /dev/urandom >"$T/m3"

for alg in ed25519 p256 secp256k1; do
    expect_ok "$alg: key new" "$KAPSULE" key new --alg "$alg" "s_$alg"
    pk=$("$KAPSULE" key show "s_$alg" --json | $PY -c 'import json,sys; print(json.load(sys.stdin)["public_key"])')
    for m in m0 m1 m2 m3; do
        expect_ok "$alg/$m: we sign" "$ST" sign --store "$KAPSULE_HOME" "s_$alg" "$T/$m"
        sig=$(cat "$OUT")
        check "$alg/$m: signature is 64 bytes" [ "${#sig}" -eq 128 ]
        echo "$alg/$m/ours $alg $pk $T/$m $sig" >>"$T/batch"
        expect_ok "$alg/$m: we verify ours" "$ST" verify "$alg" "$pk" "$T/$m" "$sig"
        # python's verdict can fail: another message is refused
        other=m1
        [ "$m" = m1 ] && other=m2
        echo "$alg/$m/other $alg $pk $T/$other $sig" >>"$T/batch"
        expect_err "$alg/$m: we refuse it for another message" "E_SIG_INVALID" 1 \
            "$ST" verify "$alg" "$pk" "$T/$other" "$sig"
    done
    if [ "$alg" != ed25519 ]; then
        # python accepts our key in its uncompressed form too
        upk=$("$ST" uncompress "$alg" "$pk")
        echo "$alg/uncompressed $alg $upk $T/m3 $sig" >>"$T/batch"
    fi

    # python signs, we verify: 24 signatures see both high and low S
    high=0 low=0 i=0
    $PY "$T/peer.py" sign "$alg" "$T/m2" 24 >"$T/py.$alg"
    while read -r ppk praw pder hl; do
        i=$((i + 1))
        if [ "$hl" = high ]; then
            high=$((high + 1))
            expect_err "$alg: python sig $i (high S) refused" "E_SIG_HIGH_S" 1 \
                "$ST" verify "$alg" "$ppk" "$T/m2" "$praw"
        else
            low=$((low + 1))
            expect_ok "$alg: python sig $i (low S) verifies" "$ST" verify "$alg" "$ppk" "$T/m2" "$praw"
        fi
        if [ "$pder" != - ]; then
            expect_out "$alg: python DER $i converts to raw" "$praw" "$ST" der2raw "$pder"
            # DER is not what COSE carries: refused where raw is expected
            expect_err "$alg: DER $i where raw is expected" "E_SIG_MALFORMED" 1 \
                "$ST" verify "$alg" "$ppk" "$T/m2" "$pder"
        fi
    done <"$T/py.$alg"
    check "$alg: python signatures seen ($high high, $low low)" [ $((high + low)) -eq 24 ]
done

# python's verdicts on ours, in one run: each "ours" and "uncompressed"
# line must be accepted, each "other" (wrong message) line refused, which
# shows the check can fail.
$PY "$T/peer.py" verify "$T/batch" >"$T/verdicts"
check "python gave a verdict on every signature" [ "$(wc -l <"$T/verdicts")" -eq "$(wc -l <"$T/batch")" ]
while read -r name verdict; do
    case "$name" in
    */other) check "python refuses $name" [ "$verdict" = refused ] ;;
    *) check "python verifies $name" [ "$verdict" = ok ] ;;
    esac
done <"$T/verdicts"
finish
