#!/usr/bin/env bash
# Runs every fuzz target of tools/fuzz/targets.txt for FUZZTIME each, one
# after the other (fuzzing takes every core it is given; FUZZPARALLEL caps
# the workers per target). FUZZMINTIME bounds the minimization of each new
# input (go's default, 60s, can eat a whole short run on one input). A crashing input is written by go test under
# <package>/testdata/fuzz/<target>/: commit it with the fix, and plain
# `go test` replays it from then on.
#
#   FUZZTIME=30s tools/fuzz/run.sh          # make fuzz
#   FUZZTIME=5s  tools/fuzz/run.sh          # make fuzz-short
#   tools/fuzz/run.sh --check               # only check targets.txt is complete
set -euo pipefail
cd "$(dirname "$0")/../.."
GO=${GO:-go}
FUZZTIME=${FUZZTIME:-30s}
FUZZMINTIME=${FUZZMINTIME:-5s}
list=tools/fuzz/targets.txt

# Every func FuzzX in a _test.go file must be listed, and nothing else.
declared=$(grep -rhoE --include='*_test.go' '^func (Fuzz[A-Za-z0-9_]+)\(f \*testing\.F\)' . | sed -E 's/^func (Fuzz[A-Za-z0-9_]+).*/\1/' | sort)
listed=$(grep -vE '^\s*(#|$)' "$list" | awk '{print $2}' | sort)
if [ "$declared" != "$listed" ]; then
	echo "tools/fuzz/targets.txt does not list exactly the fuzz targets of the repository:" >&2
	diff <(echo "$listed") <(echo "$declared") | sed -n 's/^> /  missing: /p; s/^< /  unknown: /p' >&2
	exit 1
fi
[ "${1:-}" = "--check" ] && exit 0

parallel=()
[ -n "${FUZZPARALLEL:-}" ] && parallel=(-parallel "$FUZZPARALLEL")
failed=()
start=$(date +%s)
while read -r pkg target; do
	case "$pkg" in '#'* | '') continue ;; esac
	echo "=== $target ($pkg, $FUZZTIME)"
	log=$(mktemp)
	if "$GO" test -run '^$' -fuzz "^${target}\$" -fuzztime "$FUZZTIME" -fuzzminimizetime "$FUZZMINTIME" "${parallel[@]}" "$pkg" >"$log" 2>&1; then
		grep -E '^fuzz: elapsed' "$log" | tail -1 || true
	elif grep -q 'context deadline exceeded' "$log" && ! grep -qi 'failing input' "$log"; then
		# The go tool's own timing: the run ended while a worker was still
		# minimizing a new (passing) input. Nothing was found.
		grep -E '^fuzz: elapsed' "$log" | tail -1 || true
		echo "  (ended while minimizing a new input; no failing input)"
	else
		cat "$log"
		failed+=("$target")
	fi
	rm -f "$log"
done <"$list"
echo "fuzzing took $(($(date +%s) - start))s"
if [ ${#failed[@]} -gt 0 ]; then
	echo "FAILED: ${failed[*]} (inputs under <package>/testdata/fuzz/<target>/)" >&2
	exit 1
fi
