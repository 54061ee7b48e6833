#!/usr/bin/env bash
# Builds one libFuzzer target (address sanitizer, coverage) and runs it for SECONDS.
#
#   Scripts/fuzz.sh TARGET SECONDS [libFuzzer options...]
#   TARGET: latent | bundle | mat | npy | png | image | metadata | all (each in turn, SECONDS apiece)
#
# Seeds: the committed fixtures of the format plus Fixtures/fuzz/TARGET (seeds, the
# minimised corpus and every input that ever failed). The growing corpus is kept in .build-fuzz/corpus/TARGET,
# crashes, leaks, timeouts and over-limit allocations in .build-fuzz/findings/TARGET/.
# A finding exits non-zero: copy the finding into Fixtures/fuzz/TARGET/ (named
# crash-<what>) and fix the reader; FuzzRegressionTests replays every file there.
# One process, one job: the limits below are the resource budget of a reader.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ $# -lt 2 ]; then
    sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
fi
target=$1 seconds=$2
shift 2

if [ "$target" = all ]; then
    for t in latent bundle mat npy png image metadata; do "$0" "$t" "$seconds" "$@"; done
    exit 0
fi

case $target in
    latent) product=FuzzLatentFile; seeds="Fixtures/latent Fixtures/codec"; max_len=4096 ;;
    bundle) product=FuzzModelBundle; seeds=""; max_len=16384 ;;
    mat) product=FuzzMATFile; seeds="Fixtures/data"; max_len=16384 ;;
    npy) product=FuzzNpyFile; seeds="Fixtures/data"; max_len=16384 ;;
    png) product=FuzzPNG; seeds="Fixtures/samples Fixtures/codec Fixtures/data/svhn_photos"; max_len=16384 ;;
    image) product=FuzzImage; seeds="Fixtures/images"; max_len=16384 ;;
    metadata) product=FuzzImageMetadata; seeds=""; max_len=16384 ;;
    *) echo "fuzz.sh: unknown target '$target' (latent, bundle, mat, npy, png, image, metadata, all)" >&2; exit 2 ;;
esac

# -sanitize=fuzzer would also link libFuzzer's main, which clashes with the one SwiftPM
# gives executables; so: coverage flags, and libFuzzer without its main.
resources=$(dirname "$(readlink -f "$(command -v swiftc)")")/../lib/clang
fuzzer_lib=$(ls "$resources"/*/lib/linux/libclang_rt.fuzzer_no_main-"$(uname -m)".a | head -n 1)
mkdir -p .build-fuzz
log=.build-fuzz/build-$target.log
if ! AECODEC_FUZZ=1 swift build --scratch-path .build-fuzz -c debug --product "$product" \
    -Xswiftc -sanitize=address -Xswiftc -sanitize-coverage=edge,inline-8bit-counters,pc-table,trace-cmp \
    -Xlinker "$fuzzer_lib" -Xlinker -lstdc++ >"$log" 2>&1; then
    # (gold's "Cannot export local symbol" warnings about ASan's own symbols are noise)
    grep -v "Cannot export local symbol" "$log" >&2
    echo "fuzz.sh: build of $product failed (log: $log)" >&2
    exit 1
fi
tail -n 1 "$log"
binary=.build-fuzz/debug/$product

# A smaller quarantine keeps ASan's own memory well under -rss_limit_mb on long runs.
export ASAN_OPTIONS=${ASAN_OPTIONS:-quarantine_size_mb=64}
# Not .build-fuzz/artifacts: SwiftPM empties that folder on every build.
corpus=.build-fuzz/corpus/$target findings=.build-fuzz/findings/$target
mkdir -p "$corpus" "$findings" "Fixtures/fuzz/$target"
# shellcheck disable=SC2086
exec "$binary" "$corpus" "Fixtures/fuzz/$target" $seeds \
    -max_total_time="$seconds" -max_len="$max_len" -timeout=5 -rss_limit_mb=512 -malloc_limit_mb=256 \
    -detect_leaks=1 -print_final_stats=1 -artifact_prefix="$findings/" "$@"
