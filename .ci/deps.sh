#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages Phosphene needs to build and test, when missing.
# Sourced by .ci/run and .ci/demo; safe to run again (it only installs what is absent).
set -euo pipefail

PHOS_PACKAGES=(
  pkg-config clang libclang-dev g++   # Rubber Band's C++ and its bindgen bindings
  libasound2-dev libjack-jackd2-dev   # cpal's ALSA and JACK hosts
  jackd2                              # the JACK server the live-audio test starts
  ffmpeg                              # encodes test files; the decode benchmark's yardstick
  rubberband-cli                      # the key-lock benchmark's yardstick
  xvfb xauth                          # a display for the control-window screenshot test
  mesa-vulkan-drivers libvulkan1      # lavapipe: Vulkan in software, for Bevy's renderer
  libxkbcommon-x11-0                  # keyboard handling of the X11 window
  libudev-dev                         # gilrs (gamepads) finds pads through udev
  python3 python3-venv                # the test peers' Python environment (python-rtmidi)
  liblo-tools curl                    # OSC peers (oscsend, oscdump) and OSCQuery's HTTP client
  cmake                               # builds the Ableton Link SDK (rusty_link)
  ableton-link-utils iproute2         # LinkHut, the Link tests' peer, in a network namespace (ip netns)
  time                                # GNU time: the analysis test's peak-memory measure
)

# Python packages the live tests' peers use, in a virtual environment in the target folder
# (where the tests look for it).
PHOS_PY_PACKAGES=(python-rtmidi==1.5.8 python-osc==1.9.3 websocket-client==1.8.0 LinkPython-extern==1.3.0)

phos_install_deps() {
  local missing=()
  for p in "${PHOS_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    echo "installing: ${missing[*]}"
    local sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
  if ! command -v cargo >/dev/null; then
    echo "cargo is missing: install Rust 1.95 or newer with rustup (https://rustup.rs)" >&2
    exit 1
  fi
  local pyenv="${CARGO_TARGET_DIR:-$PWD/target}/pyenv"
  if ! "$pyenv/bin/python" -c "import rtmidi, pythonosc, websocket, link" 2>/dev/null; then
    echo "making $pyenv: ${PHOS_PY_PACKAGES[*]}"
    python3 -m venv "$pyenv"
    "$pyenv/bin/pip" install -q "${PHOS_PY_PACKAGES[@]}"
  fi
  # The MediaPipe hand models, converted to ONNX, and ONNX Runtime's library, into
  # assets/models/hands where the app and the tests look. Without them (offline) the camera
  # runs on motion features alone and the model tests say why they skip.
  bash plugins/gestures/tools/fetch_hand_models.sh assets/models/hands \
    "${CARGO_TARGET_DIR:-$PWD/target}/hands-venv" \
    || echo "hand models unavailable: gestures run on motion alone; the model tests skip"
  # The test command lints with clippy; a minimal rustup profile lacks it.
  if ! cargo clippy --version >/dev/null 2>&1; then
    if command -v rustup >/dev/null; then
      rustup component add clippy rustfmt
    else
      echo "cargo clippy is missing: add it with 'rustup component add clippy'" >&2
      exit 1
    fi
  fi
}
