#!/usr/bin/env bash
# Builds the tools in release mode with the Swift runtime and Foundation linked in
# statically, installs them, their man pages and shell completions, and checks that the
# installed tools run without the Swift toolchain's libraries.
#
#   Scripts/install.sh --prefix DIR [--no-manual]
#
#   DIR/bin/{aeenc,aedec,aetrain,aeinfo,aebench}
#   DIR/share/man/man1/<tool>.1                        (swift-argument-parser's generate-manual)
#   DIR/share/bash-completion/completions/<tool>, DIR/share/zsh/site-functions/_<tool>,
#   DIR/share/fish/vendor_completions.d/<tool>.fish     (<tool> --generate-completion-script)
#
# The release build goes to .build-install; the man pages come from the generate-manual
# plugin, which builds the package in debug mode in .build (--no-manual skips them). The
# installed tools still need the system libraries of Scripts/install-deps.sh at run time
# (zlib, libpng, libjpeg-turbo, libwebp, OpenBLAS: Debian packages), not the toolchain.
# Ends with Scripts/check-install.sh DIR.
set -euo pipefail
cd "$(dirname "$0")/.."

prefix="" manual=1
while [ $# -gt 0 ]; do
    case $1 in
        --prefix) prefix=${2:?--prefix needs a folder}; shift 2 ;;
        --prefix=*) prefix=${1#--prefix=}; shift ;;
        --no-manual) manual=0; shift ;;
        -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "install.sh: unknown argument '$1' (usage: Scripts/install.sh --prefix DIR [--no-manual])" >&2; exit 64 ;;
    esac
done
[ -n "$prefix" ] || { echo "install.sh: --prefix DIR is required" >&2; exit 64; }
tools=(aeenc aedec aetrain aeinfo aebench)

echo "install.sh: building release binaries (static Swift runtime) in .build-install" >&2
# Product by product: a plain `swift build` would also build AETestSupport, which needs XCTest.
for tool in "${tools[@]}"; do
    swift build -c release --static-swift-stdlib --scratch-path .build-install --product "$tool"
done
bin=$(swift build -c release --static-swift-stdlib --scratch-path .build-install --show-bin-path)

mkdir -p "$prefix/bin" "$prefix/share/bash-completion/completions" "$prefix/share/zsh/site-functions" \
    "$prefix/share/fish/vendor_completions.d"
for tool in "${tools[@]}"; do
    install -m 755 "$bin/$tool" "$prefix/bin/$tool"
    "$prefix/bin/$tool" --generate-completion-script bash >"$prefix/share/bash-completion/completions/$tool"
    "$prefix/bin/$tool" --generate-completion-script zsh >"$prefix/share/zsh/site-functions/_$tool"
    "$prefix/bin/$tool" --generate-completion-script fish >"$prefix/share/fish/vendor_completions.d/$tool.fish"
done

if [ $manual -eq 1 ]; then
    echo "install.sh: generating man pages (swift package generate-manual)" >&2
    swift package generate-manual >/dev/null
    mkdir -p "$prefix/share/man/man1"
    for tool in "${tools[@]}"; do
        install -m 644 ".build/plugins/GenerateManual/outputs/$tool/$tool.1" "$prefix/share/man/man1/$tool.1"
    done
fi

echo "install.sh: installed ${tools[*]} in $prefix/bin" >&2
exec bash Scripts/check-install.sh "$prefix"
