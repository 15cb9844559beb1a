#!/usr/bin/env python3
"""Run peer tempo/beat trackers over audio files; one JSON line per (file, peer) on stdout.

  peers.py [--peer librosa|aubio|all] [--append OUT.jsonl] FILE...

librosa: librosa.load (default 22050 Hz mono) + librosa.beat.beat_track with default params;
  bpm = its global tempo estimate, beats = its beat times. Runs fully offline (no example data).
  A warm-up call on synthetic audio happens first so numba JIT time is not charged to a file.
  requirements: librosa==0.11.0 (tested with numpy 2.4.6, numba 0.68.1, soundfile 0.14.0)
aubio: Debian aubio-tools 0.4.9 CLI: `aubio tempo FILE` (prints "<bpm> bpm") and
  `aubio beat FILE` (prints one beat time in seconds per line), default params.
  seconds = wall time of both CLI runs (each decodes the file itself).
With --append, (file, peer) pairs already present in OUT are skipped and new lines are appended.
"""
import argparse, json, os, subprocess, sys, time


def run_librosa(path, _state={}):
    import numpy as np
    import librosa
    if "warm" not in _state:
        sr = 22050
        t = np.arange(sr * 6) / sr
        y = (np.sin(2 * np.pi * 220 * t) * (np.mod(t, 0.5) < 0.05)).astype(np.float32)
        librosa.beat.beat_track(y=y, sr=sr)
        _state["warm"] = True
    t0 = time.perf_counter()
    y, sr = librosa.load(path)
    tempo, frames = librosa.beat.beat_track(y=y, sr=sr)
    beats = librosa.frames_to_time(frames, sr=sr)
    secs = time.perf_counter() - t0
    bpm = float(np.atleast_1d(tempo)[0])
    return dict(bpm=round(bpm, 3), beats=[round(float(b), 4) for b in beats], seconds=round(secs, 3))


def run_aubio(path):
    t0 = time.perf_counter()
    out_t = subprocess.run(["aubio", "tempo", path], capture_output=True, text=True, check=True).stdout
    out_b = subprocess.run(["aubio", "beat", path], capture_output=True, text=True, check=True).stdout
    secs = time.perf_counter() - t0
    bpm = None
    for line in out_t.splitlines():
        if line.strip().endswith("bpm"):
            bpm = float(line.split()[0])
    beats = [round(float(l.split()[0]), 4) for l in out_b.splitlines() if l.strip()]
    return dict(bpm=bpm, beats=beats, seconds=round(secs, 3))


PEERS = {"librosa": run_librosa, "aubio": run_aubio}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--peer", default="all", choices=["all"] + list(PEERS))
    ap.add_argument("--append", help="JSONL file to append to; skips (file, peer) already there")
    ap.add_argument("files", nargs="+")
    a = ap.parse_args()
    done = set()
    if a.append and os.path.exists(a.append):
        for line in open(a.append):
            if line.strip():
                r = json.loads(line)
                done.add((r["file"], r["peer"]))
    out = open(a.append, "a") if a.append else None
    peers = list(PEERS) if a.peer == "all" else [a.peer]
    for f in a.files:
        for p in peers:
            if (f, p) in done:
                continue
            try:
                res = PEERS[p](f)
            except Exception as e:  # keep going; record the failure
                res = dict(bpm=None, beats=[], seconds=None, error=str(e)[:200])
            line = json.dumps(dict(file=f, peer=p, **res))
            print(line, flush=True)
            if out:
                out.write(line + "\n")
                out.flush()


if __name__ == "__main__":
    main()
