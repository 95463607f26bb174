# output.sh: what -o PATH does to what is at PATH (issue 11, item 3), for
# every verb that writes one (pack, open, export, run --transcript): a
# missing or regular file is replaced atomically; a symbolic link is
# followed and stays a link; a FIFO or a device is written in place, never
# replaced, and its write errors count (/dev/full: E_DISK_FULL); a folder or
# a link to nothing is refused. Everything but /dev/full is made in $T, and
# /dev/full is only checked to still be a character device afterwards.
. "$(dirname "$0")/lib.sh"
K=$KAPSULE

$K key new alice >/dev/null
echo "hello" >"$T/hello.txt"
pack() { $K pack --type post --key alice --body "$T/hello.txt" --created 1 "$@"; }
pack -o "$T/ref.kapsule" >/dev/null
$K ingest "$T/ref.kapsule" >/dev/null

# fifo NAME: a FIFO in $T read by a background cat into NAME.got; the
# reader is waited for with a deadline, so a write that never comes (or
# replaces the FIFO) fails the test instead of hanging it
fifo() {
    rm -f "$T/$1" "$T/$1.got"
    mkfifo "$T/$1"
    (timeout 20 cat "$T/$1" >"$T/$1.got") &
    READER=$!
}

# ---- a FIFO: written through, still a FIFO ----
fifo pack.fifo
expect_ok "pack -o a FIFO" pack -o "$T/pack.fifo"
wait "$READER"
check "pack -o a FIFO: the reader got the capsule" cmp -s "$T/pack.fifo.got" "$T/ref.kapsule"
check "pack -o a FIFO: still a FIFO" [ -p "$T/pack.fifo" ]
check "pack -o a FIFO: no temporary file left" [ -z "$(ls "$T" | grep '\.tmp\.')" ]

fifo open.fifo
expect_ok "open -o a FIFO" $K open "$T/ref.kapsule" -o "$T/open.fifo"
wait "$READER"
check "open -o a FIFO: the reader got the body" cmp -s "$T/open.fifo.got" "$T/hello.txt"
check "open -o a FIFO: still a FIFO" [ -p "$T/open.fifo" ]

fifo export.fifo
expect_ok "export -o a FIFO" $K export -o "$T/export.fifo"
wait "$READER"
$K export -o "$T/ref.snap" 2>/dev/null
check "export -o a FIFO: the reader got the snapshot" cmp -s "$T/export.fifo.got" "$T/ref.snap"
check "export -o a FIFO: still a FIFO" [ -p "$T/export.fifo" ]

printf '(module (func (export "_start")))' >"$T/start.wat"
wat2wasm "$T/start.wat" -o "$T/start.wasm"
$K run "$T/start.wasm" --transcript "$T/ref.transcript" >/dev/null
fifo run.fifo
expect_ok "run --transcript a FIFO" $K run "$T/start.wasm" --transcript "$T/run.fifo"
wait "$READER"
check "run --transcript a FIFO: the reader got the transcript" cmp -s "$T/run.fifo.got" "$T/ref.transcript"
check "run --transcript a FIFO: still a FIFO" [ -p "$T/run.fifo" ]

# ---- /dev/full: the write error is reported, the device left alone ----
# Each verb is first pointed at a copy of /dev/full made in $T (the same
# device numbers): a build that replaces what -o names replaces the copy,
# fails there, and is never let near the real /dev/full.
out_pack() { pack -o "$1"; }
out_open() { $K open "$T/ref.kapsule" -o "$1"; }
out_export() { $K export -o "$1"; }
out_run() { $K run "$T/start.wasm" --transcript "$1"; }
copy=0
if mknod "$T/full" c 1 7 2>/dev/null && ! (printf x >"$T/full") 2>/dev/null; then copy=1; fi
for v in pack open export run; do
    if [ "$copy" = 1 ]; then
        rm -f "$T/full"
        mknod "$T/full" c 1 7
        expect_err "$v -o a copy of /dev/full" "^kapsule: E_DISK_FULL: .*/full" 3 "out_$v" "$T/full"
        check "$v -o a copy of /dev/full: still a character device" [ -c "$T/full" ]
        if [ ! -c "$T/full" ]; then
            skip "$v -o /dev/full" "it replaced the copy, so /dev/full is left alone"
            continue
        fi
    fi
    expect_err "$v -o /dev/full" "^kapsule: E_DISK_FULL: .*/dev/full" 3 "out_$v" /dev/full
    check "$v -o /dev/full: /dev/full is still a character device" [ -c /dev/full ]
done
expect_err "pack -o - to a full standard output" "^kapsule: E_DISK_FULL: cannot write standard output" 3 \
    sh -c '"$0" pack --type post --key alice --body "$1" -o - >/dev/full' "$K" "$T/hello.txt"
expect_err "open to a full standard output" "^kapsule: E_DISK_FULL: cannot write standard output" 3 \
    sh -c '"$0" open "$1" >/dev/full' "$K" "$T/ref.kapsule"
check "no temporary file beside /dev/full" [ -z "$(ls /dev | grep '^full\.tmp\.')" ]
# a device that takes anything (a copy of /dev/null in $T): written, kept
if [ "$copy" = 1 ] && mknod "$T/null" c 1 3 2>/dev/null; then
    expect_ok "pack -o a copy of /dev/null" pack -o "$T/null"
    check "pack -o a copy of /dev/null: still a character device" [ -c "$T/null" ]
else
    skip "pack -o a copy of /dev/null" "no device nodes in $T"
fi

# ---- a symbolic link: its target replaced, the link kept ----
echo "old" >"$T/target.kapsule"
ln -s target.kapsule "$T/link.kapsule"
expect_ok "pack -o a symbolic link" pack -o "$T/link.kapsule"
check "pack -o a symbolic link: still a link" [ -L "$T/link.kapsule" ]
check "pack -o a symbolic link: to the same target" [ "$(readlink "$T/link.kapsule")" = target.kapsule ]
check "pack -o a symbolic link: the target holds the capsule" cmp -s "$T/target.kapsule" "$T/ref.kapsule"
mkdir "$T/elsewhere"
echo "old" >"$T/elsewhere/body.txt"
ln -s elsewhere/body.txt "$T/body.link"
expect_ok "open -o a symbolic link into another folder" $K open "$T/ref.kapsule" -o "$T/body.link"
check "open -o a symbolic link: the target holds the body" cmp -s "$T/elsewhere/body.txt" "$T/hello.txt"
check "open -o a symbolic link: no temporary file beside the link" [ -z "$(ls "$T" | grep '\.tmp\.')" ]
ln -s nothing-here "$T/dangling"
expect_err "pack -o a symbolic link to nothing" "^kapsule: E_NO_FILE: .*dangling is a symbolic link to nothing" 3 \
    pack -o "$T/dangling"
check "pack -o a symbolic link to nothing: nothing made" [ ! -e "$T/nothing-here" -a -L "$T/dangling" ]
fifo linked.fifo
ln -s linked.fifo "$T/fifo.link"
expect_ok "pack -o a symbolic link to a FIFO" pack -o "$T/fifo.link"
wait "$READER"
check "pack -o a symbolic link to a FIFO: the reader got the capsule" cmp -s "$T/linked.fifo.got" "$T/ref.kapsule"
check "pack -o a symbolic link to a FIFO: link and FIFO kept" [ -L "$T/fifo.link" -a -p "$T/linked.fifo" ]

# ---- a folder: a clear error, the folder untouched ----
mkdir "$T/out.d"
expect_err "pack -o a folder" "^kapsule: E_IO: .*out.d is a folder" 3 pack -o "$T/out.d"
expect_err "open -o a folder" "^kapsule: E_IO: .*out.d is a folder" 3 $K open "$T/ref.kapsule" -o "$T/out.d"
expect_err "export -o a folder" "^kapsule: E_IO: .*out.d is a folder" 3 $K export -o "$T/out.d"
check "-o a folder: still an empty folder" [ -d "$T/out.d" -a -z "$(ls -A "$T/out.d")" ]

# ---- a regular file: replaced whole, with the verb's mode ----
echo "old and longer than nothing" >"$T/regular"
chmod 0644 "$T/regular"
expect_ok "open -o a regular file" $K open "$T/ref.kapsule" -o "$T/regular"
check "open -o a regular file: replaced by the body" cmp -s "$T/regular" "$T/hello.txt"
check "open -o a regular file: mode 0600" [ "$(stat -c %a "$T/regular")" = 600 ]
expect_ok "pack -o a new file" pack -o "$T/new.kapsule"
check "pack -o a new file: a regular file" cmp -s "$T/new.kapsule" "$T/ref.kapsule"
finish
