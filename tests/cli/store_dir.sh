# store_dir.sh: the store folder --store or $KAPSULE_HOME names (issue 11):
# it is made when missing, but its parent must exist (E_NO_FILE, exit 3),
# so a mistyped path is an error instead of a new tree of folders and a
# new, empty store. A fresh folder in an existing one keeps working, as the
# demo and every test make their stores.
. "$(dirname "$0")/lib.sh"
K=$KAPSULE

echo "hello" >"$T/hello.txt"
$K key new alice >/dev/null
$K pack --type post --key alice --body "$T/hello.txt" --created 1 -o "$T/a.kapsule" >/dev/null

# ---- a parent that does not exist: an error, nothing made ----
expect_err "--store with a missing parent: key new" "^kapsule: E_NO_FILE: cannot create folder $T/no/a/b" 3 \
    $K key new --store "$T/no/a/b" bob
expect_err "--store with a missing parent: ingest" "^kapsule: E_NO_FILE: cannot create folder $T/no/a/b" 3 \
    $K ingest --store "$T/no/a/b" "$T/a.kapsule"
expect_err "--store with a missing parent: modules add" "^kapsule: E_NO_FILE: " 3 \
    $K modules add --store "$T/no/a/b" "$PWD/${BUILD:-build}/guest/trust.wasm"
expect_err "--store with a missing parent: ledger credit" "^kapsule: E_NO_FILE: " 3 \
    $K ledger credit --store "$T/no/a/b" alice 5
expect_err "\$KAPSULE_HOME with a missing parent: key new" "^kapsule: E_NO_FILE: cannot create folder $T/no/a" 3 \
    env KAPSULE_HOME="$T/no/a" $K key new bob
expect_err "\$KAPSULE_HOME with a missing parent: ingest" "^kapsule: E_NO_FILE: " 3 \
    env KAPSULE_HOME="$T/no/a" $K ingest "$T/a.kapsule"
expect_err "~/.kapsule in a missing \$HOME" "^kapsule: E_NO_FILE: cannot create folder $T/nohome/.kapsule" 3 \
    env -u KAPSULE_HOME HOME="$T/nohome" $K key new bob
check "--store with a missing parent: no folders made" [ ! -e "$T/no" -a ! -e "$T/nohome" ]
# reading never made anything either
expect_exit "--store with a missing parent: log show" 3 $K log show --store "$T/no/a/b"
check "--store with a missing parent: still no folders" [ ! -e "$T/no" ]

# ---- a new folder in an existing one: made, as before ----
expect_ok "--store, a new folder: key new" $K key new --store "$T/fresh1" bob
check "--store, a new folder: made private" [ "$(stat -c %a "$T/fresh1")" = 700 ]
expect_ok "--store, a new folder: ingest" $K ingest --store "$T/fresh2" "$T/a.kapsule"
expect_ok "--store, a new folder: the store is there" $K log verify --store "$T/fresh2"
expect_ok "\$KAPSULE_HOME, a new folder: key new" env KAPSULE_HOME="$T/fresh3" $K key new bob
expect_ok "\$KAPSULE_HOME, a new folder: ingest" env KAPSULE_HOME="$T/fresh4" $K ingest "$T/a.kapsule"
mkdir "$T/home5"
expect_ok "~/.kapsule in an existing \$HOME" env -u KAPSULE_HOME HOME="$T/home5" $K key new bob
check "~/.kapsule in an existing \$HOME: made" [ -f "$T/home5/.kapsule/keys/bob.key" ]
expect_ok "--store with a trailing slash" $K key new --store "$T/fresh6/" bob
# an existing store is opened as ever
expect_ok "the existing store" $K ingest "$T/a.kapsule"
# something that is not a folder
echo x >"$T/file"
expect_err "--store naming a file" "^kapsule: E_IO: .*not a folder" 3 $K key new --store "$T/file" bob
finish
