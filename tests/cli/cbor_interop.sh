# cbor_interop.sh: kapsule's CBOR encoder and decoder against python3-cbor2
# (tests/tools/cbor_interop.py does the work through build/tests/tools/cbor_tool).
. "$(dirname "$0")/lib.sh"

TOOL="$PWD/${BUILD:-build}/tests/tools/cbor_tool"
if ! /usr/bin/python3 -c 'import cbor2' 2>/dev/null; then
    skip "cbor2 interop" "python3-cbor2 is not installed (scripts/setup.sh installs it)"
    finish
    exit 0
fi
if [ ! -x "$TOOL" ]; then
    _no "cbor_tool built" "$TOOL is missing"
    finish
    exit 0
fi

/usr/bin/python3 tests/tools/cbor_interop.py "$TOOL" >"$T/interop.out" 2>&1
rc=$?
seen=0
while IFS= read -r line; do
    case "$line" in
    "ok "*) _ok "${line#ok }"; seen=1 ;;
    "not ok "*) rest=${line#not ok }; _no "${rest%%: *}" "${rest#*: }"; seen=1 ;;
    "#"*) echo "$line" ;;
    esac
done <"$T/interop.out"
if [ "$rc" -ne 0 ] && [ "$_F" -eq 0 ]; then
    _no "cbor_interop.py" "exit $rc: $(tail -c 400 "$T/interop.out")"
fi
check "interop checks ran" [ "$seen" -eq 1 ]
finish
