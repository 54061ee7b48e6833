#!/usr/bin/env bash
# Codec throughput through the command-line tools (release build, built-in model):
#   - 32x32 images per second, encoding and decoding a folder of N small PNGs
#     (the SVHN test crops under ../shared/datasets, copied N/4 times each);
#   - seconds to encode and decode one 768x512 photo (Kodak kodim01.png), best of 3,
#     with its size, bits per pixel and PSNR;
#   - the start-up cost of one tool run on one 32x32 image.
#
# Usage: bash Benchmarks/codec-bench.sh [--bin FOLDER] [--count N] [--threads T]
#   --bin      folder with aeenc/aedec (default: swift build -c release, then .build/release)
#   --count    number of 32x32 images (default 2000)
#   --threads  worker threads passed to the tools (default: all cores)
set -euo pipefail
cd "$(dirname "$0")/.."

bin="" count=2000 threads=""
while [ $# -gt 0 ]; do
    case "$1" in
        --bin) bin="$2"; shift 2 ;;
        --count) count="$2"; shift 2 ;;
        --threads) threads="--threads $2"; shift 2 ;;
        *) echo "usage: $0 [--bin FOLDER] [--count N] [--threads T]" >&2; exit 2 ;;
    esac
done
if [ -z "$bin" ]; then
    swift build -c release --product aeenc >/dev/null
    swift build -c release --product aedec >/dev/null
    bin=.build/release
fi

shared=""
for c in ../shared/datasets /work/shared/datasets; do
    if [ -d "$c/svhn/official_crop_samples" ]; then shared="$c"; break; fi
done
[ -n "$shared" ] || { echo "shared datasets not found (../shared/datasets)" >&2; exit 1; }
crops="$shared/svhn/official_crop_samples/ccexam-1.0.0"
photo="$shared/kodak/kodim01.png"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/small"
i=0
while [ $i -lt "$count" ]; do
    for f in "$crops"/svhn_digit_*.png; do
        [ $i -lt "$count" ] || break
        cp "$f" "$work/small/$(printf '%06d' $i).png"
        i=$((i + 1))
    done
done

now() { date +%s.%N; }
rate() { awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN { printf "%.0f", n / (b - a) }'; }

echo "tools: $bin ($(nproc) cores${threads:+, $threads})"

t0=$(now); "$bin/aeenc" "$crops/svhn_digit_5.png" -o "$work/one.ael" $threads --quiet; t1=$(now)
"$bin/aedec" "$work/one.ael" -o "$work/one.png" $threads --quiet; t2=$(now)
awk -v a="$t0" -v b="$t1" -v c="$t2" 'BEGIN { printf "one 32x32 image (start-up included): encode %.3f s, decode %.3f s\n", b - a, c - b }'

t0=$(now); "$bin/aeenc" "$work/small" -o "$work/small-ael" $threads --quiet; t1=$(now)
"$bin/aedec" "$work/small-ael" -o "$work/small-png" $threads --quiet; t2=$(now)
echo "32x32 images: encode $(rate "$count" "$t0" "$t1") images/s, decode $(rate "$count" "$t1" "$t2") images/s ($count files)"

if [ -f "$photo" ]; then
    best_enc=999 best_dec=999
    for _ in 1 2 3; do
        rm -f "$work/photo.ael" "$work/photo.png"
        t0=$(now); "$bin/aeenc" "$photo" -o "$work/photo.ael" $threads --quiet; t1=$(now)
        "$bin/aedec" "$work/photo.ael" -o "$work/photo.png" $threads --quiet; t2=$(now)
        best_enc=$(awk -v x="$best_enc" -v a="$t0" -v b="$t1" 'BEGIN { d = b - a; print (d < x ? d : x) }')
        best_dec=$(awk -v x="$best_dec" -v a="$t1" -v b="$t2" 'BEGIN { d = b - a; print (d < x ? d : x) }')
    done
    printf "kodim01.png (768x512): encode %.3f s, decode %.3f s (best of 3, start-up included)\n" "$best_enc" "$best_dec"
    rm -f "$work/photo.png"
    "$bin/aedec" "$work/photo.ael" -o "$work/photo.png" --reference "$photo" $threads
else
    echo "kodim01.png not found under $shared/kodak: skipped"
fi
