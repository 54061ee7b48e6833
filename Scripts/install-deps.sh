#!/usr/bin/env bash
# Installs the Debian packages this project builds against, if any are missing.
# Idempotent and quiet when everything is already present.
set -euo pipefail
# python3-numpy and python3-h5py run the Keras converters (Scripts/keras2aemodel.py) in the tests.
packages=(zlib1g-dev libpng-dev libopenblas-dev pkg-config python3-numpy python3-h5py)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "Installing missing packages: ${missing[*]}" >&2
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
