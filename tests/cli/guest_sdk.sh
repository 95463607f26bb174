#!/usr/bin/env bash
# tests/cli/guest_sdk.sh: the guest SDK's error values (guest/kapsule.h,
# K_E_NAME = -N) are the status table's (include/kapsule_errors.h, as
# `kapsule errors --json` prints it): a guest compares what a host call
# returns with them, so one wrong number is a silent misreading.
. "$(dirname "$0")/lib.sh"
SDK="$(dirname "$0")/../../guest/kapsule.h"
$KAPSULE errors --json >"$T/errors.json"
n=0
while read -r name value; do
    n=$((n + 1))
    want=$(/usr/bin/python3 -c "
import json, sys
t = {e['name']: e['code'] for e in json.load(open('$T/errors.json'))}
print(-t.get('$name', 0))")
    check "guest SDK K_$name = $value is -(the table's $name)" [ "$value" = "$want" ]
done < <(sed -nE 's/^#define K_(E_[A-Z0-9_]+) +\((-[0-9]+)\).*/\1 \2/p' "$SDK")
check "the SDK defines error values" [ "$n" -gt 0 ]
finish
