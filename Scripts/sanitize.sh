#!/usr/bin/env bash
# Runs the whole test suite under a sanitizer:
#
#   bash Scripts/sanitize.sh address [swift test options, e.g. --filter KillTests]
#   bash Scripts/sanitize.sh thread  [...]
#
# Each sanitizer builds into its own scratch path (.build-asan, .build-tsan), tools
# included, so the tests that run aeenc/aedec/aetrain run the sanitized executables
# (they are looked for next to the test binary) and a finding in a tool fails its test
# (ASan/LSan/TSan reports go to the tool's standard error, and its exit status changes).
# Suppressions of findings outside this project's code, each with its reason, are in
# Scripts/sanitizers/. Prints the wall time and the test counts at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

kind=${1:-}
case "$kind" in
    address) scratch=.build-asan ;;
    thread) scratch=.build-tsan ;;
    *) echo "usage: $0 address|thread [swift test options]" >&2; exit 2 ;;
esac
shift
supp="$PWD/Scripts/sanitizers"

# Every finding stops the process with a report: no error goes by unnoticed.
export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:detect_stack_use_after_return=1:check_initialization_order=1:strict_init_order=1"
export LSAN_OPTIONS="suppressions=$supp/lsan.supp"
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$supp/tsan.supp"

mkdir -p "$scratch"
log="$scratch/sanitize-$kind.log"
# (gold's warnings about ASan's local symbols are noise: left out.)
if ! swift build --build-tests --sanitize="$kind" --scratch-path "$scratch" >"$log" 2>&1; then
    grep -v "Cannot export local symbol" "$log" | tail -30 >&2
    echo "$0: the build failed (log: $log)" >&2
    exit 1
fi

start=$(date +%s)
status=0
swift test --skip-build --sanitize="$kind" --scratch-path "$scratch" "$@" >>"$log" 2>&1 || status=$?
seconds=$(( $(date +%s) - start ))

grep -E "error:|WARNING: ThreadSanitizer|ERROR: AddressSanitizer|ERROR: LeakSanitizer|SUMMARY:" "$log" | head -40 || true
summary=$(grep -E "^\s+Executed [0-9]+ tests?" "$log" | tail -1 | sed -E 's/^\s+//')
echo "sanitize.sh $kind: ${summary:-no test summary (see $log)}; wall time ${seconds} s; exit status $status; log $log"
exit $status
