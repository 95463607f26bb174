# host_run.sh: kapsule policy check|hash|explain|caps and kapsule run, with
# the guest modules from $BUILD/guest (bodies made with python3-cbor2).
. "$(dirname "$0")/lib.sh"
G="$PWD/${BUILD:-build}/guest"
PY=/usr/bin/python3

cat >"$T/p.json" <<'EOF'
{"kapsule_policy": 1,
 "grants": [{"name": "agents", "module": "*", "type": "agent.goal",
             "capabilities": ["capsule.read", "clock", "random", "handle", "log",
                              "result.submit", {"name": "emit", "count": 2}],
             "limits": {"fuel": 50000000}}]}
EOF
# the same policy, laid out differently
$PY -c "import json; d=json.load(open('$T/p.json')); json.dump(d, open('$T/p2.json','w'), indent=4, sort_keys=True)"
printf '{"kapsule_policy": 1,\n "grants": [\n  {"module": "*", "capabilities": ["log", "telepathy"]}]}\n' >"$T/bad.json"
printf '{"kapsule_policy": 1,\n "grants": [\n  {"module": "*",, }]}\n' >"$T/syntax.json"

expect_ok "policy help" "$KAPSULE" policy --help
expect_ok "policy check" "$KAPSULE" policy check "$T/p.json"
check "check prints ok and the hash" grep -Eq '^ok [0-9a-f]{64}$' "$OUT"
expect_ok "policy hash" "$KAPSULE" policy hash "$T/p.json"
h1=$(cat "$OUT")
expect_ok "policy hash of the same policy laid out anew" "$KAPSULE" policy hash "$T/p2.json"
check "layout does not change the hash" [ "$h1" = "$(cat "$OUT")" ]
expect_err "unknown capability names the field" 'E_POLICY_UNKNOWN_CAP: .*grants\[0\]\.capabilities\[1\]' 1 "$KAPSULE" policy check "$T/bad.json"
expect_err "syntax error names the line" 'E_POLICY_SYNTAX: .*line 3' 1 "$KAPSULE" policy check "$T/syntax.json"
expect_exit "policy without a subcommand" 2 "$KAPSULE" policy
expect_ok "policy caps" "$KAPSULE" policy caps
check "caps lists storage_get under storage" sh -c "grep -A3 '^storage ' '$OUT' | grep -q 'kapsule.storage_get'"
check "caps maps fd_write to log" sh -c "grep -A3 '^log ' '$OUT' | grep -q 'wasi_snapshot_preview1.fd_write'"

# Running wasm needs the engine's decoder.
printf '\0asm\1\0\0\0' >"$T/empty.wasm"
if ! "$KAPSULE" policy explain "$T/empty.wasm" >/dev/null 2>&1; then
    skip "run and explain" "the wasm decoder has not landed"
    finish
    exit 0
fi

$PY -c "import cbor2,sys; sys.stdout.buffer.write(cbor2.dumps({'goal': 'ship it', 'steps': 3}, canonical=True))" >"$T/goal.cbor"

expect_exit "no policy: the module does not link" 1 "$KAPSULE" run "$G/agent.wasm" --input "$T/goal.cbor" --type agent.goal
check "the error names the capability" grep -q 'E_CAP_NOT_GRANTED: .*needs capability' "$ERR"
expect_exit "explain without a policy: does not link" 1 "$KAPSULE" policy explain "$G/agent.wasm" --type agent.goal
check "explain lists what is missing" grep -q '^missing  capsule.read' "$OUT"
expect_ok "explain with the policy" "$KAPSULE" policy explain "$G/agent.wasm" --policy "$T/p.json" --type agent.goal
check "explain names the granting rule" grep -Eq '^emit +yes +yes +agents' "$OUT"
check "explain shows the emit handle" grep -q '^handle   emit 2 (agents)' "$OUT"
expect_ok "explain --json" "$KAPSULE" policy explain "$G/agent.wasm" --policy "$T/p.json" --type agent.goal --json
check "explain --json says it links" $PY -c "import json; d=json.load(open('$OUT')); assert d['links'] and d['limits']['fuel']['value'] == 50000000"
expect_exit "explain for another type: the rule does not match" 1 "$KAPSULE" policy explain "$G/agent.wasm" --policy "$T/p.json" --type post
check "and says why" grep -q "applies to capsule type 'agent.goal'" "$OUT"

expect_ok "run the agent" "$KAPSULE" run "$G/agent.wasm" --policy "$T/p.json" --input "$T/goal.cbor" --type agent.goal --transcript "$T/t.cbor" --json
check "two tasks emitted (the budget)" $PY -c "import json; d=json.load(open('$OUT')); assert len(d['emitted']) == 2 and d['verdict'] == 'accept'"
cp "$OUT" "$T/first.json"
expect_ok "replay the agent" "$KAPSULE" run "$G/agent.wasm" --policy "$T/p.json" --input "$T/goal.cbor" --type agent.goal --replay "$T/t.cbor" --json
check "the replay is identical" $PY -c "
import json
a = json.load(open('$T/first.json')); b = json.load(open('$OUT'))
for k in ('result_hex', 'fuel_used', 'emitted', 'transcript_root', 'verdict'):
    assert a[k] == b[k], k
"
check "the transcript is canonical CBOR" $PY -c "
import cbor2
d = open('$T/t.cbor','rb').read(); t = cbor2.loads(d)
assert cbor2.dumps(t, canonical=True) == d and all(e['seq'] == i for i, e in enumerate(t))
"
$PY -c "import cbor2,sys; sys.stdout.buffer.write(cbor2.dumps({'goal': 'ship it', 'steps': 2}, canonical=True))" >"$T/goal2.cbor"
expect_err "a different run diverges from the transcript" 'E_HOST_REPLAY_DIVERGED' 1 "$KAPSULE" run "$G/agent.wasm" --policy "$T/p.json" --input "$T/goal2.cbor" --type agent.goal --replay "$T/t.cbor"
expect_ok "run text output" "$KAPSULE" run "$G/agent.wasm" --policy "$T/p.json" --input "$T/goal.cbor" --type agent.goal
check "text shows the grant" grep -q '^grant .*emit (agents)' "$OUT"
check "text shows fuel" grep -Eq '^fuel +[0-9]+ used' "$OUT"
expect_exit "fuel runs out" 1 "$KAPSULE" run "$G/agent.wasm" --policy "$T/p.json" --input "$T/goal.cbor" --type agent.goal --fuel 100
check "with its own code" grep -q 'E_TRAP_OUT_OF_FUEL' "$ERR"
expect_exit "bad option" 2 "$KAPSULE" run "$G/agent.wasm" --frob
finish
