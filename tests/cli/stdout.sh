# stdout.sh: a standard output that cannot be written is an environment
# error (issue 11, item 8): every text verb exits 3 with E_DISK_FULL when
# standard output is /dev/full and E_IO when it is closed, instead of 0.
# The check is in main.c after the verb returns, so it holds for every
# verb; these are the ones the report named, and a few more.
. "$(dirname "$0")/lib.sh"
K=$KAPSULE

$K key new alice >/dev/null
echo "hello" >"$T/hello.txt"
$K pack --type post --key alice --body "$T/hello.txt" --created 1 -o "$T/a.kapsule" >/dev/null
$K ingest "$T/a.kapsule" >/dev/null

# full NAME ARGS...: kapsule ARGS with standard output on /dev/full
full() { local n=$1; shift; expect_err "$n >/dev/full" "^kapsule: E_DISK_FULL: cannot write standard output: " 3 sh -c '"$@" >/dev/full' sh "$K" "$@"; }
# closed NAME ARGS...: kapsule ARGS with standard output closed
closed() { local n=$1; shift; expect_err "$n >&-" "^kapsule: E_IO: cannot write standard output: Bad file descriptor" 3 sh -c '"$@" >&-' sh "$K" "$@"; }
both() { full "$@"; closed "$@"; }

both "log show" log show
both "dag heads" dag heads
both "errors" errors
both "version" version
both "--version" --version
both "key list" key list
both "log verify" log verify
both "log head" log head
both "inspect" inspect "$T/a.kapsule"
both "inspect --json" inspect --json "$T/a.kapsule"
both "inspect --body" inspect --body "$T/a.kapsule"
both "verify" verify "$T/a.kapsule"
both "key export --age" key export alice --age
both "--help" --help
both "verify --help" verify --help

# a verb that found something invalid (1) still fails on its environment
head -c 20 "$T/a.kapsule" >"$T/cut.kapsule"
expect_exit "verify of a bad capsule, with a full standard output" 3 sh -c '"$0" verify "$1" >/dev/full' "$K" "$T/cut.kapsule"
expect_exit "verify of a bad capsule, plain" 1 $K verify "$T/cut.kapsule"
# a usage error keeps its status and its own message
expect_err "a usage error with a full standard output keeps 2" "unknown verb" 2 sh -c '"$0" frobnicate >/dev/full' "$K"
# nothing changes when standard output works
expect_out "version to a pipe" "$($K version)" $K version
# a closed standard output is not reused for a file the verb opens: the
# capsule written with -o holds the capsule alone, and the id that was
# for standard output goes nowhere
expect_exit "pack -o FILE with standard output closed" 3 sh -c '"$0" pack --type post --key alice --body "$1" --created 1 -o "$2" >&-' "$K" "$T/hello.txt" "$T/b.kapsule"
check "pack -o FILE with standard output closed: the capsule alone" cmp -s "$T/a.kapsule" "$T/b.kapsule"
finish
