# age_interop.sh: our age v1 against the real age CLI, both ways, at the
# chunk boundaries (empty, 1 byte, 64 KiB - 1, 64 KiB, 64 KiB + 1, 1 MiB),
# with one and several recipients, armored and not; key strings exchanged
# with age-keygen; and every truncation and bit flip of files written by
# age refused with an age code (age_tool torture).
. "$(dirname "$0")/lib.sh"
AT="$PWD/${BUILD:-build}/tests/tools/age_tool"

if ! command -v age >/dev/null || ! command -v age-keygen >/dev/null; then
    skip "age interop" "the age CLI is not installed (scripts/setup.sh installs it)"
    finish
    exit 0
fi

# Identities: two of ours (ed25519, p256) and one from age-keygen.
expect_ok "key new a" "$KAPSULE" key new a
expect_ok "key new b" "$KAPSULE" key new --alg p256 b
RA=$("$KAPSULE" key export a --age)
RB=$("$KAPSULE" key export b --age)
"$KAPSULE" key export a --age-secret >"$T/a.id"
"$KAPSULE" key export b --age-secret >"$T/b.id"
age-keygen -o "$T/g.id" 2>/dev/null
RG=$(age-keygen -y "$T/g.id")

# Key strings: age-keygen derives our recipients from our identities, and
# our import of an age-keygen identity gives back the same strings.
check "age-keygen -y on our identity gives our recipient" [ "$(age-keygen -y "$T/a.id")" = "$RA" ]
check "age-keygen -y on our p256 identity's age key" [ "$(age-keygen -y "$T/b.id")" = "$RB" ]
expect_ok "import an age-keygen identity" "$KAPSULE" key import g "$T/g.id"
check "imported identity is receive-only" grep -q "receive-only" "$OUT"
check "its recipient matches age-keygen" [ "$("$KAPSULE" key export g --age)" = "$RG" ]
check "its secret matches the age-keygen line" \
    [ "$("$KAPSULE" key export g --age-secret)" = "$(grep '^AGE-SECRET-KEY-1' "$T/g.id")" ]

for size in 0 1 65535 65536 65537 1048576; do
    p="$T/p.$size"
    head -c "$size" /dev/urandom >"$p"

    # we encrypt, age decrypts
    expect_ok "$size: we encrypt to one" "$AT" encrypt -r "$RA" "$p"
    cp "$OUT" "$T/c1"
    expect_ok "$size: age -d reads it" age -d -i "$T/a.id" "$T/c1"
    check "$size: age gets the plaintext" cmp -s "$p" "$OUT"

    expect_ok "$size: we encrypt to three" "$AT" encrypt -r "$RA" -r "$RB" -r "$RG" "$p"
    cp "$OUT" "$T/c3"
    for id in a b g; do
        expect_ok "$size: age -d -i $id reads the three-recipient file" \
            age -d -i "$T/$id.id" "$T/c3"
        check "$size: $id gets the plaintext" cmp -s "$p" "$OUT"
    done
    expect_ok "$size: inspect counts three stanzas" "$AT" inspect "$T/c3"
    check "$size: three X25519 stanzas" grep -q "^stanzas 3 x25519 3 " "$OUT"

    # age encrypts, we decrypt (through the key store and an identity file)
    age -r "$RA" -o "$T/c4" "$p"
    expect_ok "$size: we read age -r" "$AT" decrypt --store "$KAPSULE_HOME" --key a "$T/c4"
    check "$size: we get the plaintext" cmp -s "$p" "$OUT"
    age -r "$RG" -r "$RB" -r "$RA" -o "$T/c5" "$p"
    for k in a b g; do
        expect_ok "$size: key $k reads age's three-recipient file" \
            "$AT" decrypt --store "$KAPSULE_HOME" --key "$k" "$T/c5"
        check "$size: key $k gets the plaintext" cmp -s "$p" "$OUT"
    done
    age -a -r "$RA" -o "$T/c6" "$p"
    expect_ok "$size: we read age -a (armor)" "$AT" decrypt -i "$T/a.id" "$T/c6"
    check "$size: armored plaintext" cmp -s "$p" "$OUT"
done

# Refusals, with their codes.
echo "not for you" | age -r "$RG" -o "$T/x.age"
expect_err "not a recipient" "E_NOT_RECIPIENT" 1 "$AT" decrypt --store "$KAPSULE_HOME" --key a "$T/x.age"
echo "x" | age -r "$RA" -o "$T/y.age"
head -c 50 "$T/y.age" >"$T/y.trunc"
expect_err "truncated header" "E_AGE_HEADER" 1 "$AT" decrypt -i "$T/a.id" "$T/y.trunc"
echo "secret" | age -p -o "$T/z.age" 2>/dev/null </dev/null || true
if [ -s "$T/z.age" ]; then
    expect_err "passphrase file" "E_NOT_RECIPIENT" 1 "$AT" decrypt -i "$T/a.id" "$T/z.age"
fi

# Every truncation and bit flip of files age wrote, in process.
head -c 300 /dev/urandom | age -r "$RA" -r "$RG" -o "$T/t1.age"
expect_ok "torture: age file, two recipients" "$AT" torture -i "$T/a.id" "$T/t1.age"
check "torture counted every byte" grep -q "accepted 0" "$OUT"
printf '' | age -r "$RA" -o "$T/t2.age"
expect_ok "torture: age file, empty payload" "$AT" torture -i "$T/a.id" "$T/t2.age"
echo "armored" | age -a -r "$RA" -o "$T/t3.age"
expect_ok "torture: age armored file" "$AT" torture -i "$T/a.id" "$T/t3.age"
finish
