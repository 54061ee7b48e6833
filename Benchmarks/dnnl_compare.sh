#!/usr/bin/env bash
# Ours (aebench --layers) against oneDNN's convolutions (dnnl_probe), alternating round
# by round so that the machine's noise hits both alike. Prints both outputs per round,
# then a table of the key figures (each round, medians) and what oneDNN's convolutions
# would make of our times. See Benchmarks/dnnl_probe.md.
#
# Usage: bash Benchmarks/dnnl_compare.sh [--rounds N] [--threads T] [--out DIR]
#                                        [--ours "COMMAND"] [--probe "COMMAND"]
#   --rounds   rounds (default 3)
#   --threads  threads for both sides (default 2)
#   --out      keep each round's raw outputs here (default: a temporary folder, removed)
#   --ours     our command (default: .build/release/aebench --threads T --layers
#              --train-images 1280 --infer-images 2560 --model all)
#   --probe    the probe's command (default: .build/dnnl_probe --threads T)
# Build first: swift build -c release --product aebench (the probe is built here).
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=3 threads=2 out="" ours="" probe=""
usage() { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
    case "$1" in
        --rounds) rounds="$2"; shift 2 ;;
        --threads) threads="$2"; shift 2 ;;
        --out) out="$2"; shift 2 ;;
        --ours) ours="$2"; shift 2 ;;
        --probe) probe="$2"; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; exit 2 ;;
    esac
done
ours=${ours:-".build/release/aebench --threads $threads --layers --train-images 1280 --infer-images 2560 --model all"}
probe=${probe:-".build/dnnl_probe --threads $threads"}

case "$ours" in .build/release/aebench*) [ -x .build/release/aebench ] ||
    { echo "build aebench first: swift build -c release --product aebench" >&2; exit 1; } ;; esac
bash Benchmarks/dnnl_probe.sh
if [ -z "$out" ]; then out=$(mktemp -d); trap 'rm -rf "$out"' EXIT; else mkdir -p "$out"; fi

# key: value from a file (0 if absent: a figure not measured shows as 0.00)
value() { awk -v k="$1:" '$1 == k { v = $2; exit } END { print (v == "" ? 0 : v) }' "$2"; }
# Our convolution rows in layer_profile block $1 (1: reference, 2: codec): CPU ms summed over
# threads, forward + backward ($3 = "all") or forward only ($3 = "fwd").
ours_conv_cpu() {
    awk -v block="$1" -v which="$3" '/^layer_profile:/ { b++; next }
        b == block && $1 ~ /^(conv2d|conv2d_transpose|analysis_conv|synthesis_conv)[_0-9]*$/ {
            s += $2; if (which == "all") s += $3 }
        END { printf "%.2f", s }' "$2"
}
ms() { awk -v n="$1" -v r="$2" 'BEGIN { if (r > 0) printf "%.2f", n / r; else printf "0" }'; }

# One line per round: the columns named in $columns.
columns="ref_train ref_conv_cpu dnnl_train_nhwc dnnl_train_nhwc+w dnnl_train_any
ref_infer ref_conv_fwd_cpu dnnl_infer_nhwc dnnl_infer_nhwc+w dnnl_infer_any
codec_train codec_conv_cpu dnnl_codec_train_nhwc dnnl_codec_train_nhwc+w dnnl_codec_train_any
codec_image codec_conv_fwd_cpu dnnl_codec_image_nhwc dnnl_codec_image_nhwc+w dnnl_codec_image_any"
summary="$out/summary.txt"
: > "$summary"
for r in $(seq 1 "$rounds"); do
    echo "=== round $r/$rounds: ours: $ours"
    $ours | tee "$out/ours-$r.txt"
    echo "=== round $r/$rounds: oneDNN: $probe"
    $probe | tee "$out/probe-$r.txt"
    o="$out/ours-$r.txt" p="$out/probe-$r.txt"
    {
        # ours: ms per reference training step (batch 128) and inference batch (256), per codec
        # step (16 patches) and per 768x512 image; oneDNN: the probe's totals
        ms 128000 "$(value train_images_per_s "$o")"; echo -n " "; ours_conv_cpu 1 "$o" all; echo -n " "
        for l in nhwc nhwc+w any; do echo -n "$(value "dnnl_reference_train_step_ms_$l" "$p") "; done
        ms 256000 "$(value infer_autoencoder_images_per_s "$o")"; echo -n " "; ours_conv_cpu 1 "$o" fwd; echo -n " "
        for l in nhwc nhwc+w any; do echo -n "$(value "dnnl_reference_infer_ms_$l" "$p") "; done
        ms 16000 "$(value codec_train_patches_per_s "$o")"; echo -n " "; ours_conv_cpu 2 "$o" all; echo -n " "
        for l in nhwc nhwc+w any; do echo -n "$(value "dnnl_codec_train_step_ms_$l" "$p") "; done
        ms 1000 "$(awk -v s="$(value codec_image_seconds "$o")" 'BEGIN { if (s > 0) print 1 / s; else print 0 }')"
        echo -n " "; ours_conv_cpu 2 "$o" fwd; echo -n " "
        for l in nhwc nhwc+w any; do echo -n "$(value "dnnl_codec_infer_ms_$l" "$p") "; done
        echo
    } >> "$summary"
done

echo
echo "summary in ms. ours: the whole step / batch / image (wall), and our convolution layers' CPU ms"
echo "from --layers (summed over threads, at the training batch); dnnl: convolutions only (wall)."
awk -v threads="$threads" -v names="$columns" '
    BEGIN { n = split(names, name, /[ \n]+/) }
    { for (i = 1; i <= NF; i++) row[NR, i] = $i + 0 }
    function median(c,   i, j, t, v) {
        for (i = 1; i <= NR; i++) v[i] = row[i, c]
        for (i = 1; i <= NR; i++) for (j = i + 1; j <= NR; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
        return v[int((NR + 1) / 2)]
    }
    END {
        printf "%-24s", "figure"; for (r = 1; r <= NR; r++) printf " %10s", "round " r; printf " %10s\n", "median"
        for (c = 1; c <= n; c++) {
            printf "%-24s", name[c]; for (r = 1; r <= NR; r++) printf " %10.2f", row[r, c]
            m[name[c]] = median(c); printf " %10.2f\n", m[name[c]]
        }
        # With oneDNN convolutions (layout nhwc+w): our time less our convolutions (CPU ms /
        # threads, as if both were busy) plus theirs. Inference scales the training-batch
        # forward profile to the inference size: reference 256 / 128 images, codec one
        # 768x512 image = 6 x 16 64x64 patches (the default sizes).
        print "estimates with oneDNN convolutions (nhwc+w), ours / estimate = speed-up:"
        est("reference training step", m["ref_train"], m["ref_conv_cpu"], 1, m["dnnl_train_nhwc+w"])
        est("reference inference batch", m["ref_infer"], m["ref_conv_fwd_cpu"], 2, m["dnnl_infer_nhwc+w"])
        est("codec training step", m["codec_train"], m["codec_conv_cpu"], 1, m["dnnl_codec_train_nhwc+w"])
        est("codec 768x512 image", m["codec_image"], m["codec_conv_fwd_cpu"], 6, m["dnnl_codec_image_nhwc+w"])
    }
    function est(label, whole, conv_cpu, scale, dnnl,   e) {
        if (dnnl <= 0) { printf "  %-26s not measured\n", label; return }
        e = whole - scale * conv_cpu / threads + dnnl
        printf "  %-26s %8.2f - %d x %8.2f / %d + %8.2f = %8.2f ms (%.2fx)\n", label, whole, scale, conv_cpu, threads, dnnl, e,
            (e > 0 ? whole / e : 0)
    }' "$summary"
