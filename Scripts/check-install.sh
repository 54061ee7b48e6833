#!/usr/bin/env bash
# Checks that the tools installed in PREFIX (Scripts/install.sh) run without the Swift
# toolchain: no library they load comes from the toolchain's folder (ldd), and with that
# folder hidden from the loader (an empty tmpfs mounted over it in a private mount
# namespace: root and unshare needed; otherwise only the ldd check and a run with an
# empty LD_LIBRARY_PATH) every tool prints --version, and aeenc and aedec round-trip the
# quick-start sample with the built-in model.
#
#   Scripts/check-install.sh PREFIX
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=${1:?usage: Scripts/check-install.sh PREFIX}
prefix=$(cd "$prefix" && pwd)
toolchain=$(dirname "$(readlink -f "$(command -v swiftc)")")/../lib/swift
toolchain=$(readlink -f "$toolchain")
tools=(aeenc aedec aetrain aeinfo aebench)

for tool in "${tools[@]}"; do
    if ldd "$prefix/bin/$tool" | grep -F "$toolchain"; then
        echo "check-install: $tool loads libraries from the toolchain ($toolchain)" >&2
        exit 1
    fi
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp Fixtures/samples/house-number.png "$work/in.png"
script="set -e
for tool in ${tools[*]}; do '$prefix/bin/'\$tool --version >/dev/null; done
'$prefix/bin/aeenc' '$work/in.png' -o '$work/in.ael' --quiet
'$prefix/bin/aedec' '$work/in.ael' -o '$work/out.png' --quiet --stats --reference '$work/in.png'"

if [ "$(id -u)" -eq 0 ] && unshare --mount --propagation private true 2>/dev/null; then
    # The toolchain's library folders, emptied for this process tree only.
    hidden="for d in '$toolchain/linux' '$toolchain/../swift_static'; do [ -d \"\$d\" ] && mount -t tmpfs none \"\$d\"; done
[ -z \"\$(ls '$toolchain/linux')\" ]"
    env -u LD_LIBRARY_PATH unshare --mount --propagation private sh -c "$hidden
$script"
    how="with $toolchain/linux hidden (tmpfs in a private mount namespace)"
else
    LD_LIBRARY_PATH="" sh -c "$script"
    how="(ldd only: unshare unavailable, the toolchain folder could not be hidden)"
fi
echo "check-install: ${tools[*]} in $prefix/bin run without the Swift toolchain $how" >&2
