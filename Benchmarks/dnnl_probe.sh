#!/usr/bin/env bash
# Builds the oneDNN convolution probe (Benchmarks/dnnl_probe.c; needs Debian's libdnnl-dev)
# into .build/dnnl_probe and, with arguments, runs it with them:
#   bash Benchmarks/dnnl_probe.sh --check
#   bash Benchmarks/dnnl_probe.sh --threads 2
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .build
cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -fopenmp \
    Benchmarks/dnnl_probe.c -o .build/dnnl_probe -ldnnl -lm
if [ $# -gt 0 ]; then exec .build/dnnl_probe "$@"; fi
