#!/usr/bin/env bash
# Installs the Debian packages this project builds against, if any are missing
# (libjpeg-dev: libjpeg-turbo's headers on Debian and Ubuntu alike).
# Idempotent and quiet when everything is already present.
set -euo pipefail
required=(zlib1g-dev libpng-dev libjpeg-dev libwebp-dev libopenblas-dev libdnnl-dev pkg-config)
# Run the Keras converters (Scripts/keras2aemodel.py) in the tests; without them those
# tests skip, so a failure to install them is a warning, not an error.
optional=(python3-numpy python3-h5py)

missing() {
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || echo "$p"
    done
}
mapfile -t need < <(missing "${required[@]}")
mapfile -t want < <(missing "${optional[@]}")
[ ${#need[@]} -eq 0 ] && [ ${#want[@]} -eq 0 ] && exit 0

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
echo "Installing missing packages: ${need[*]} ${want[*]}" >&2
updated=0
if [ ${#need[@]} -gt 0 ]; then
    $SUDO apt-get update -qq
    updated=1
    $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
if [ ${#want[@]} -gt 0 ]; then
    { [ $updated -eq 1 ] || $SUDO apt-get update -qq; } &&
        $SUDO apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null ||
        echo "install-deps: could not install ${want[*]}; the Keras converter tests will be skipped" >&2
fi
exit 0
