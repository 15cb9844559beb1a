#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Fetches the MediaPipe hand models (Apache-2.0) from the mediapipe 0.10.21
# wheel on PyPI (later wheels no longer carry them), converts them to ONNX
# with tflite_to_onnx.py (beside this script), and links ONNX Runtime's libonnxruntime.so
# (from the onnxruntime wheel) next to them. Idempotent.
# Usage: fetch_hand_models.sh OUT_DIR [VENV_DIR]
set -euo pipefail

out=${1:?usage: fetch_hand_models.sh OUT_DIR [VENV_DIR]}
venv=${2:-$out/venv}
here=$(cd "$(dirname "$0")" && pwd)
models=(palm_detection_lite hand_landmark_lite palm_detection_full hand_landmark_full)

fail() { echo "fetch_hand_models: $*" >&2; exit 1; }

mkdir -p "$out"
# Models converted by another version of the converter are converted again.
stamp=$(sha256sum "$here/tflite_to_onnx.py" | cut -c1-16)
if [[ $(cat "$out/converted-by" 2>/dev/null) != "$stamp" ]]; then
  for m in "${models[@]}"; do rm -f "$out/$m.onnx"; done
fi
done_all=1
for m in "${models[@]}"; do [[ -s $out/$m.onnx ]] || done_all=0; done
if [[ $done_all == 1 && -s $out/libonnxruntime.so ]]; then
  echo "fetch_hand_models: $out already complete"
  exit 0
fi

if [[ ! -x $venv/bin/python ]]; then
  python3 -m venv "$venv" || fail "cannot create a Python venv at $venv (python3-venv missing?)"
fi
py=$venv/bin/python
"$py" -m pip install -q numpy==2.4.6 flatbuffers==25.12.19 tflite==2.18.0 onnx==1.23.2 onnxruntime==1.32.0 \
  || fail "pip install failed (offline? PyPI unreachable?)"

# The wheel and the extracted .tflite files stay with the venv: OUT_DIR holds only what runs.
wheel_dir=$venv/wheel
mkdir -p "$wheel_dir"
if ! compgen -G "$wheel_dir/mediapipe-0.10.21-*.whl" > /dev/null; then
  # The wheel for the venv's Python; only its model files are used.
  "$py" -m pip download -q mediapipe==0.10.21 --no-deps --only-binary=:all: -d "$wheel_dir" \
    || fail "cannot download mediapipe==0.10.21 from PyPI (offline?)"
fi
wheel=$(compgen -G "$wheel_dir/mediapipe-0.10.21-*.whl" | head -n1)

for m in "${models[@]}"; do
  [[ -s $out/$m.onnx ]] && continue
  case $m in palm*) sub=palm_detection ;; *) sub=hand_landmark ;; esac
  tflite=$wheel_dir/$m.tflite
  "$py" - "$wheel" "mediapipe/modules/$sub/$m.tflite" "$tflite" <<'PY' || fail "$m.tflite not found in $wheel"
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, open(sys.argv[3], "wb") as f:
    f.write(z.read(sys.argv[2]))
PY
  "$py" "$here/tflite_to_onnx.py" "$tflite" "$out/$m.onnx" || fail "conversion of $m failed"
done

lib=$("$py" -c 'import glob, os, onnxruntime; print(sorted(glob.glob(os.path.join(os.path.dirname(onnxruntime.__file__), "capi", "libonnxruntime.so*")))[0])') \
  || fail "libonnxruntime.so not found in the onnxruntime wheel"
# A copy, not a link: the models folder keeps working when the venv goes (`cargo clean`).
cp -f "$lib" "$out/libonnxruntime.so"
echo "$stamp" > "$out/converted-by"
echo "fetch_hand_models: models and libonnxruntime.so ready in $out"
