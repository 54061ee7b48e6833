#!/bin/bash
# Builds the photo codec's TUNING set: ten detailed photographs from OpenCV's sample data
# (Debian package opencv-doc, examples/data; BSD-licensed samples), as 8-bit RGB PNG.
# Training recipes for the photo levels are chosen by their figures on this set, never on
# Kodak (the evaluation set) and never on the held-out folders of make-heldout-photos.sh.
# It is more detailed than the training photos, as Kodak is: JPEG quality 75 (Pillow,
# optimize) takes 1.55 bits per pixel on these on average (0.74 to 2.83), 1.34 on Kodak and
# 0.70 on the training wallpapers.
#
# Usage: Scripts/make-tuning-photos.sh OUT     (writes OUT/*.png; needs apt-get download and Pillow)
# The files are not committed: they are rebuilt by this script wherever they are needed.
set -euo pipefail
out=${1:?usage: make-tuning-photos.sh OUT}
here=$(cd "$(dirname "$0")/.." && pwd)
python=${PYTHON:-$here/Benchmarks/.venv-peers/bin/python}
[ -x "$python" ] || python=python3
"$python" -c "import PIL" 2>/dev/null || { echo "make-tuning-photos.sh: Pillow is missing for $python (make Benchmarks/.venv-peers with rd_compare.py first)" >&2; exit 1; }

work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get download opencv-doc >/dev/null 2>&1) || { echo "make-tuning-photos.sh: apt-get download opencv-doc failed" >&2; exit 1; }
dpkg-deb -x "$work"/opencv-doc_*.deb "$work/x"
mkdir -p "$out"
"$python" - "$work/x/usr/share/doc/opencv-doc/examples/data" "$out" <<'EOF'
import os, sys
from PIL import Image
data, out = sys.argv[1:3]
# (file, box down-scaling factor): aloeL is 1282x1110, the others are kept at their size.
photos = [("aloeL.jpg", 2), ("baboon.jpg", 1), ("board.jpg", 1), ("building.jpg", 1), ("ela_original.jpg", 1),
          ("fruits.jpg", 1), ("graf1.png", 1), ("home.jpg", 1), ("leuvenA.jpg", 1), ("squirrel_cls.jpg", 1)]
for name, factor in photos:
    with Image.open(os.path.join(data, name)) as image:
        image = image.convert("RGB")
        if factor != 1:
            image = image.resize((image.width // factor, image.height // factor), Image.BOX)
        image.save(os.path.join(out, os.path.splitext(name)[0] + ".png"))
print(f"{out}: {len(photos)} photos")
EOF
