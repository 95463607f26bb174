# store_guard.sh: issue 11, defects 4 to 7 and 11, from the command line:
# modules add refuses what is not a module and export skips an old store's
# bad module row (4); a missing or empty store.db beside the node key is
# E_STORE_MISSING with how to recover (5); a store log verify found
# tampered is quarantined until repaired or forced (6); a changed module
# or result reason is found (7); a small-order account, and oversized
# inputs logged whatever their size (11).
. "$(dirname "$0")/lib.sh"
G="$PWD/${BUILD:-build}/guest"
PY=/usr/bin/python3
K=$KAPSULE
H=$KAPSULE_HOME
DB="$H/store.db"

$K key new alice >/dev/null
echo "hello" >"$T/hello.txt"
BL=$($K modules add "$G/blocklist.wasm" 2>/dev/null)
cat >"$T/policy.json" <<P
{"kapsule_policy": 1, "grants": [{"module": "*", "type": "post",
  "capabilities": ["capsule.read", "storage", "module.read", "result.submit"]}]}
P
cp "$T/policy.json" "$H/policy.json"
A=$($K pack --type post --key alice --body "$T/hello.txt" --logic "$BL" --created 1 -o "$T/a.kapsule")
B=$($K pack --type post --key alice --body "$T/hello.txt" --created 2 -o "$T/b.kapsule")
C=$($K pack --type post --key alice --body "$T/hello.txt" --created 3 -o "$T/c.kapsule")
expect_ok "a capsule whose logic runs" $K ingest "$T/a.kapsule"
expect_ok "the store verifies" $K log verify

# ---- 4: modules add stores anything ----
: >"$T/empty.wasm"
printf 'not a module' >"$T/junk.wasm"
expect_err "issue 11.4: an empty module is refused with the engine's code" "^kapsule: E_WASM_" 1 \
    $K modules add "$T/empty.wasm"
expect_err "issue 11.4: so are arbitrary bytes" "^kapsule: E_WASM_" 1 $K modules add "$T/junk.wasm"
expect_out "issue 11.4: nothing was stored" 1 sqlite3 "$DB" "SELECT count(*) FROM modules"
# an old store's empty module row, as a kapsule before the check let in
EMPTY=$($PY -c 'import hashlib; print(hashlib.sha256(b"kapsule-module-v1\0").hexdigest())')
sqlite3 "$DB" "INSERT INTO modules(id, code, added) VALUES (x'$EMPTY', x'', 0)"
expect_ok "issue 11.4: the store still exports" $K export -o "$T/s.snap"
check "issue 11.4: naming the module it skipped" grep -q "skipped module $EMPTY: E_WASM_" "$ERR"
check "issue 11.4: with the one real module" grep -q "^1 modules, 1 capsules" "$ERR"
KAPSULE_HOME="$T/imp" expect_ok "issue 11.4: and the snapshot imports" $K import "$T/s.snap" \
    --policy "$T/policy.json"

# ---- 7: tampering outside the log ----
sqlite3 "$DB" "DROP TRIGGER results_no_update; UPDATE results SET reason = 'forged'"
expect_err "issue 11.7: a changed result reason is found" "E_INGEST_TAMPERED: .*another reason" 1 \
    $K log verify

# ---- 6: a store found tampered refuses writes ----
N=$(sqlite3 "$DB" "SELECT count(*) FROM log_entries")
check "issue 11.6: log verify quarantined it" grep -q "quarantined" "$ERR"
expect_err "issue 11.6: ingest is refused" "^kapsule: E_STORE_CORRUPT: .*quarantined" 3 \
    $K ingest "$T/b.kapsule"
expect_err "issue 11.6: a credit is refused" "E_STORE_CORRUPT" 3 $K ledger credit alice 5
expect_err "issue 11.6: a module is refused" "E_STORE_CORRUPT" 3 $K modules add "$G/trust.wasm"
expect_err "issue 11.6: an import is refused" "E_STORE_CORRUPT" 3 $K import "$T/s.snap"
expect_out "issue 11.6: nothing was appended" "$N" sqlite3 "$DB" "SELECT count(*) FROM log_entries"
expect_ok "issue 11.6: --force writes anyway" $K ingest --force "$T/b.kapsule"
expect_err "issue 11.6: and the mark stays" "E_STORE_CORRUPT" 3 $K ingest "$T/c.kapsule"
expect_exit "issue 11.6: verify still fails" 1 $K log verify --json
check "issue 11.6: its JSON says quarantined" grep -q '"quarantined": true' "$OUT"
# repaired: the reason put back (the guest gave none)
sqlite3 "$DB" "UPDATE results SET reason = ''"
expect_ok "issue 11.6: the repaired store verifies" $K log verify
check "issue 11.6: and the quarantine is lifted" grep -q "quarantine lifted" "$ERR"
expect_ok "issue 11.6: ingest works again" $K ingest "$T/c.kapsule"

# ---- 7: a module's code changed ----
sqlite3 "$DB" "DROP TRIGGER modules_code_fixed; UPDATE modules SET code = x'00' WHERE id = x'$EMPTY'"
expect_err "issue 11.7: a changed module is found" "E_INGEST_TAMPERED: .*module $EMPTY" 1 $K log verify
sqlite3 "$DB" "UPDATE modules SET code = x'' WHERE id = x'$EMPTY'"
expect_ok "issue 11.7: put back, it verifies" $K log verify

# ---- 11: small-order accounts, oversized inputs ----
expect_err "issue 11.11: a small-order key is no ledger account" "^kapsule: E_LEDGER_ACCOUNT: " 1 \
    $K ledger credit "0100000000000000000000000000000000000000000000000000000000000000" 5
N=$(sqlite3 "$DB" "SELECT count(*) FROM log_entries")
$PY -c "open('$T/17m.kapsule','wb').write(b'\\xd2' * (17 * 1024 * 1024))"
truncate -s 70M "$T/70m.kapsule"
expect_exit "issue 11.11: a 17 MiB input is refused" 1 $K ingest --json "$T/17m.kapsule"
check "issue 11.11: with E_CAPSULE_LIMIT" grep -q '"reason":"E_CAPSULE_LIMIT"' "$OUT"
expect_exit "issue 11.11: a 70 MiB input is refused" 1 $K ingest --json "$T/70m.kapsule"
check "issue 11.11: with E_CAPSULE_LIMIT too" grep -q '"reason":"E_CAPSULE_LIMIT"' "$OUT"
check "issue 11.11: and logged like it" grep -q '"log_index":'"$((N + 1))" "$OUT"
expect_out "issue 11.11: both are in the log" $((N + 2)) sqlite3 "$DB" "SELECT count(*) FROM log_entries"
expect_ok "issue 11.11: which still verifies" $K log verify

# ---- 6: an older copy of the database put back is a fork ----
cp "$DB" "$T/backup.db"
D=$($K pack --type post --key alice --body "$T/hello.txt" --created 4 -o "$T/d.kapsule")
expect_ok "the node goes on and signs a longer log" $K ingest "$T/d.kapsule"
cp "$DB" "$T/newer.db"
cp "$T/backup.db" "$DB"
expect_err "issue 11.6: log verify says the older copy stays quarantined" \
    "E_LOG_CHECKPOINT: .*older copy" 1 $K log verify
expect_err "issue 11.6: and ingest is refused" "E_STORE_CORRUPT: .*older copy" 3 $K ingest "$T/d.kapsule"
cp "$T/newer.db" "$DB"
expect_ok "issue 11.6: the newer copy put back verifies" $K log verify
expect_ok "issue 11.6: and takes writes" $K ingest "$T/d.kapsule"

# ---- 5: a missing or empty store.db is silently a new store ----
rm -f "$DB" "$DB-wal" "$DB-shm"
expect_err "issue 11.5: no new store beside the node key" \
    "^kapsule: E_STORE_MISSING: .*node.key.*backup.*snapshot" 3 $K ingest "$T/b.kapsule"
check "issue 11.5: and no store.db was made" [ ! -e "$DB" ]
: >"$DB"
expect_err "issue 11.5: an empty store.db is no store either" "^kapsule: E_STORE_MISSING: .*empty" 3 \
    $K log verify
expect_err "issue 11.5: nor for a writer" "^kapsule: E_STORE_MISSING: " 3 $K modules add "$G/trust.wasm"
check "issue 11.5: which left it empty" [ ! -s "$DB" ]
KAPSULE_HOME="$T/fresh" expect_ok "issue 11.5: a fresh folder still gets a store" $K ingest "$T/b.kapsule"
# the recovery the message offers: the old key moved away, a snapshot imported
mv "$H/node.key" "$T/old-node.key"
rm -f "$DB"
expect_ok "issue 11.5: with the key moved away, a snapshot imports into a new store" \
    $K import "$T/s.snap"
expect_ok "issue 11.5: under a new key, which verifies (the old node.head is not its)" $K log verify
finish
