#!/usr/bin/env bash
# Recreate the Phosphene tempo/beat development corpus from package registries only
# (Debian apt + PyPI). Idempotent: finished tracks (meta/<id>.json + audio) are skipped.
#
#   bash tests/corpus/fetch.sh                                # all stages, into ./target/corpus
#   CORPUS_STAGES="loops hydrogen" bash tests/corpus/fetch.sh # subset
# Then score it beside aubio and librosa:
#   cargo run --release -p engine-rt --example bench_analysis -- --corpus target/corpus
#
# Output: $CORPUS_DIR/{audio/<id>.flac, truth/<id>.beats, manifest.tsv, details.tsv, meta/}
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CORPUS_DIR="${CORPUS_DIR:-./target/corpus}"
mkdir -p "$CORPUS_DIR"
CORPUS_DIR="$(cd "$CORPUS_DIR" && pwd)"
export CORPUS_DIR
STAGES="${CORPUS_STAGES:-loops hydrogen music21 midi lmms}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; fi

APT_PKGS="lmms lmms-common hydrogen hydrogen-data fluidsynth fluid-soundfont-gm freedoom sonic-pi-samples
          aubio-tools sox libsox-fmt-all python3 python3-venv"
missing=""
for p in $APT_PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "apt: installing$missing" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $missing
fi

PY="$CORPUS_DIR/.venv/bin/python"
if [ ! -x "$PY" ] || ! "$PY" -c 'import librosa, mido, music21, soundfile, mir_eval' 2>/dev/null; then
  python3 -m venv "$CORPUS_DIR/.venv"
  "$PY" -m pip install -q --upgrade pip
  "$PY" -m pip install -q -r "$HERE/requirements.txt"
fi

cd "$HERE"
for s in $STAGES; do
  echo "== stage $s" >&2
  start=$(date +%s)
  nice -n 10 "$PY" "make_$s.py"
  echo "== stage $s took $(( $(date +%s) - start )) s" >&2
done
"$PY" corpuslib.py   # (re)build manifest.tsv + details.tsv from meta/*.json
rm -rf "$CORPUS_DIR/work"
echo "corpus: $(( $(wc -l < "$CORPUS_DIR/manifest.tsv") - 1 )) tracks in $CORPUS_DIR" >&2

if [ "${RUN_PEERS:-0}" = 1 ]; then
  mapfile -t files < <(tail -n +2 "$CORPUS_DIR/manifest.tsv" | cut -f2 | sed "s|^|$CORPUS_DIR/|")
  nice -n 10 "$PY" ../peers/tempo_peers.py --append "$CORPUS_DIR/peers.jsonl" "${files[@]}" > /dev/null
fi
