#!/usr/bin/env bash
# Installs what eseal needs on Debian 12, idempotently: the GStreamer stack of TOOLCHAIN.md
# (used to make and inspect test videos), curl (a real FTP client for tests), FFmpeg (decodes the
# served RTSP streams the way vendors' boxes and OpenCV do, in tests and for the judge's own
# stream check), headless Chromium with CJK fonts (screenshots of the HTML certification report),
# just, the Python packages of the tests (sed_eval, the independent scorer; OpenCV and NumPy
# for the external test device tests/fixtures/external_device.py), and ONNX Runtime's library
# for the learned person detector (var/onnxruntime, from the onnxruntime wheel).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

pkgs=(pkg-config curl ca-certificates
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev libgstrtspserver-1.0-dev gstreamer1.0-tools
  gstreamer1.0-plugins-base gstreamer1.0-plugins-base-apps gstreamer1.0-plugins-good
  gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-libav gstreamer1.0-rtsp
  ffmpeg chromium fonts-noto-cjk python3 python3-pip)

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

command -v cargo >/dev/null || { echo "setup: cargo (Rust 1.95) is required" >&2; exit 1; }

# `just` is not packaged for Debian 12; the PyPI wheel rust-just carries the binary.
if ! command -v just >/dev/null && command -v pip3 >/dev/null; then
  pip3 install -q rust-just || echo "setup: could not install just (optional; scripts/ work without it)" >&2
fi

# The judge's event-level figures are cross-checked by sed_eval, an independent scorer
# (tests/scorers/sed_eval_check.py, issue 15).
if ! python3 -c "import sed_eval" 2>/dev/null; then
  pip3 install -q sed_eval || { echo "setup: could not install sed_eval (needed by the tests)" >&2; exit 1; }
fi
# The external device written in Python (tests/it/certify_external.rs runs it in CI): OpenCV's
# FFmpeg backend pulls the judge's RTSP streams. From PyPI, as Debian's python3-opencv has no
# headless build.
if ! python3 -c "import cv2, numpy" 2>/dev/null; then
  echo "setup: installing opencv-python-headless and numpy for tests/fixtures/external_device.py" >&2
  python3 -m pip install -q opencv-python-headless numpy ||
    python3 -m pip install -q --break-system-packages opencv-python-headless numpy
fi
python3 -c "import cv2, numpy" || { echo "setup: python3 cannot import cv2 and numpy" >&2; exit 1; }

# ONNX Runtime for the learned detector (vision/src/people/learned.rs, loaded at run time by
# `ort`'s load-dynamic): only the shared library of the PyPI wheel is used, so the wheel goes into
# var/onnxruntime without its Python dependencies. The device and the tests look for it there
# unless ESEAL_ORT_DYLIB or ORT_DYLIB_PATH names another copy.
ort_version=1.32.0
ort_lib="$root/var/onnxruntime/onnxruntime/capi/libonnxruntime.so.$ort_version"
if [ ! -f "$ort_lib" ]; then
  echo "setup: installing onnxruntime==$ort_version (its libonnxruntime) into var/onnxruntime" >&2
  rm -rf "$root/var/onnxruntime"
  python3 -m pip install -q --root-user-action=ignore --no-deps --target "$root/var/onnxruntime" "onnxruntime==$ort_version"
fi
[ -f "$ort_lib" ] || { echo "setup: $ort_lib is missing after installing onnxruntime==$ort_version" >&2; exit 1; }
