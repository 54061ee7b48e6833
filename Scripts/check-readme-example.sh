#!/usr/bin/env bash
# Builds the README's library example (Examples/CodecExample) as a package of its own,
# depending on this checkout by path exactly as its Package.swift (quoted in the README)
# says, and runs it on the quick-start sample: the check that another Swift package can
# use the libraries as the README shows. (ReadmeExampleTests checks that the README quotes
# these files as they are and runs the same main.swift built inside this package.)
# Usage: Scripts/check-readme-example.sh   (from the repository root; a debug build in
# Examples/CodecExample/.build, about as long as the package's own first build)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
swift build --package-path Examples/CodecExample
"$root/Examples/CodecExample/.build/debug/CodecExample" Fixtures/samples/house-number.png "$out/decoded.png"
test -s "$out/decoded.png"
echo "check-readme-example: built and ran Examples/CodecExample: OK"
