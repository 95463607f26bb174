# node_key.sh: a damaged <store>/node.key gets one code and one exit status
# whichever verb reaches it (issue 11): the checkpoint after ingest,
# modules add and ledger credit, and the signing of a run's emitted
# capsules. It is checked as the key store's secret files are: malformed,
# too large or not a regular file is E_KEY_FILE (1), readable by others
# E_KEY_PERMISSIONS (3), and a missing one is made.
. "$(dirname "$0")/lib.sh"
K=$KAPSULE
G="$PWD/${BUILD:-build}/guest"
PY=/usr/bin/python3
H=$KAPSULE_HOME

$K key new alice >/dev/null
AG=$($K modules add "$G/agent.wasm")
cat >"$T/agent.json" <<PEOF
{"kapsule_policy": 1, "grants": [{"name": "agents", "module": "$AG", "type": "agent.goal",
   "capabilities": ["capsule.read", "clock", "random", "log", "handle",
                    {"name": "emit", "count": 3}, "result.submit"]}]}
PEOF
$PY -c "import cbor2,sys; sys.stdout.buffer.write(cbor2.dumps({'goal': 'tidy up', 'steps': 2}, canonical=True))" >"$T/goal.cbor"
$K pack --type agent.goal --key alice --body "$T/goal.cbor" --logic "$AG" --created 900 -o "$T/goal.kapsule" >/dev/null
check "a node key was made on first use" [ -f "$H/node.key" ]
cp "$H/node.key" "$T/good.key"
$K key new --alg p256 --store "$T/p" nk >/dev/null

n=0
# damage KIND: puts a node.key of that kind in place
damage() {
    rm -rf "$H/node.key"
    case $1 in
    malformed) echo '{"kapsule_key": 1}' >"$H/node.key" && chmod 600 "$H/node.key" ;;
    not-json) echo 'garbage' >"$H/node.key" && chmod 600 "$H/node.key" ;;
    too-large) head -c 100000 /dev/zero >"$H/node.key" && chmod 600 "$H/node.key" ;;
    a-folder) mkdir -m 700 "$H/node.key" ;;
    a-link) ln -s "$T/good.key" "$H/node.key" ;;
    p256) cp "$T/p/keys/nk.key" "$H/node.key" ;;
    readable) cp "$T/good.key" "$H/node.key" && chmod 644 "$H/node.key" ;;
    esac
}
# every_path KIND CODE STATUS: each verb that reaches the node key fails
# with CODE and STATUS
every_path() {
    local kind=$1 code=$2 st=$3
    n=$((n + 1))
    echo "note $n" >"$T/p$n.txt"
    $K pack --type post --key alice --body "$T/p$n.txt" --created $n -o "$T/p$n.kapsule" >/dev/null
    damage "$kind"
    expect_err "node.key $kind: ingest's checkpoint" "^kapsule: $code: .*node.key" "$st" $K ingest "$T/p$n.kapsule"
    damage "$kind"
    expect_err "node.key $kind: an emitted capsule's signature" "^kapsule: $code: .*node.key" "$st" \
        $K ingest --policy "$T/agent.json" "$T/goal.kapsule"
    damage "$kind"
    expect_err "node.key $kind: modules add" "^kapsule: $code: .*node.key" "$st" $K modules add "$G/trust.wasm"
    damage "$kind"
    expect_err "node.key $kind: ledger credit" "^kapsule: $code: .*node.key" "$st" $K ledger credit alice 1
}
every_path malformed E_KEY_FILE 1
every_path not-json E_KEY_FILE 1
every_path too-large E_KEY_FILE 1
every_path a-folder E_KEY_FILE 1
every_path a-link E_KEY_FILE 1
every_path p256 E_KEY_FILE 1
every_path readable E_KEY_PERMISSIONS 3

# the same faults in the key store's own files get the same codes
mkdir -m 700 "$H/keys/bob.key"
expect_err "bob.key a folder: as node.key" "^kapsule: E_KEY_FILE: " 1 $K key show bob
rmdir "$H/keys/bob.key"; head -c 100000 /dev/zero >"$H/keys/bob.key"; chmod 600 "$H/keys/bob.key"
expect_err "bob.key too large: as node.key" "^kapsule: E_KEY_FILE: " 1 $K key show bob
rm -f "$H/keys/bob.key"

# a good key again: everything works, and a missing one is made
rm -rf "$H/node.key"
cp "$T/good.key" "$H/node.key"
expect_ok "node.key restored: ingest" $K ingest --policy "$T/agent.json" "$T/goal.kapsule"
expect_ok "node.key restored: log verify" $K log verify
finish
