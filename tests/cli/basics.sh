# basics.sh: the command's own conventions (help, usage, the error table).
. "$(dirname "$0")/lib.sh"

expect_ok "help" "$KAPSULE" --help
expect_exit "no verb is a usage error" 2 "$KAPSULE"
expect_err "unknown verb" "unknown verb" 2 "$KAPSULE" frobnicate
expect_out "version" "kapsule 0.1.0" "$KAPSULE" version
expect_ok "errors lists the table" "$KAPSULE" errors
check "errors has E_TRUNCATED with exit 1" grep -Eq '^ +7 +E_TRUNCATED +1 ' "$OUT"
expect_ok "errors --json" "$KAPSULE" errors --json
check "errors --json is JSON with codes" /usr/bin/python3 -c "import json,sys; d=json.load(open('$OUT')); assert any(r['name']=='E_TRAP_DIV_ZERO' for r in d)"
expect_exit "errors rejects options" 2 "$KAPSULE" errors --bogus
# issue 19: kapsule help [VERB] and -V / --version
expect_ok "help with no verb" "$KAPSULE" help
check "lists the verbs" grep -q '^  ingest ' "$OUT"
expect_ok "help VERB is VERB --help" "$KAPSULE" help log
"$KAPSULE" log --help >"$T/loghelp"
check "the same text" cmp -s "$OUT" "$T/loghelp"
expect_exit "help of an unknown verb" 2 "$KAPSULE" help frobnicate
expect_exit "help takes one verb" 2 "$KAPSULE" help log key
expect_out "-V" "kapsule 0.1.0" "$KAPSULE" -V
expect_out "--version" "kapsule 0.1.0" "$KAPSULE" --version
finish
