#!/bin/bash
# Builds two folders of photographs that no photo model here was trained or tuned on, for
# `Benchmarks/rd_compare.py --folder NAME=DIR` (the photo codec's "neither training nor
# evaluation" check; Kodak is the evaluation set, ../shared/datasets/photos the training set):
#
#   OUT/skimage  the colour photographs shipped inside scikit-image's wheel (astronaut,
#                chelsea, coffee, motorcycle_left, rocket; public domain or CC0 per
#                skimage.data's docstrings), as 8-bit RGB PNG, unscaled.
#   OUT/svhn-test the SVHN format-1 TEST photos (street scenes; the photo models trained on
#                the format-1 TRAIN photos only) whose short side is at least 256 px.
#
# Usage: Scripts/make-heldout-photos.sh OUT [DATASETS]   (DATASETS: ../shared/datasets)
# Needs pip (to download the wheel; nothing is installed) and Pillow (Benchmarks/.venv-peers).
# The files are not committed: they are rebuilt by this script wherever they are needed.
set -euo pipefail
out=${1:?usage: make-heldout-photos.sh OUT [DATASETS]}
here=$(cd "$(dirname "$0")/.." && pwd)
data=${2:-$here/../shared/datasets}
python=${PYTHON:-$here/Benchmarks/.venv-peers/bin/python}
[ -x "$python" ] || python=python3
"$python" -c "import PIL" 2>/dev/null || { echo "make-heldout-photos.sh: Pillow is missing for $python (make Benchmarks/.venv-peers with rd_compare.py first)" >&2; exit 1; }

work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
pip download --quiet --no-deps --only-binary=:all: --dest "$work" "scikit-image==0.26.0"
mkdir -p "$out/skimage" "$out/svhn-test"
"$python" - "$work" "$out" "$data" <<'EOF'
import glob, os, sys, zipfile
from PIL import Image
work, out, data = sys.argv[1:4]
wheel = glob.glob(os.path.join(work, "scikit_image-*.whl"))[0]
with zipfile.ZipFile(wheel) as z:
    for name in ["astronaut.png", "chelsea.png", "coffee.png", "motorcycle_left.png", "rocket.jpg"]:
        with z.open("skimage/data/" + name) as f:
            image = Image.open(f).convert("RGB")
            image.save(os.path.join(out, "skimage", os.path.splitext(name)[0] + ".png"))
count = 0
for path in sorted(glob.glob(os.path.join(data, "svhn", "format1_subset", "test", "*.png"))):
    with Image.open(path) as image:
        if min(image.size) >= 256:
            image.convert("RGB").save(os.path.join(out, "svhn-test", os.path.basename(path)))
            count += 1
print(f"{out}/skimage: 5 photos; {out}/svhn-test: {count} photos")
EOF
