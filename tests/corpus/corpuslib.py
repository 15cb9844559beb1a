"""Shared helpers for the Phosphene tempo/beat development corpus.

Each stage script renders/collects audio, then calls `finalize()`, which
  * trims the audio to at most MAX_S seconds and writes FLAC 44.1 kHz 16 bit,
  * restricts the truth beats to the audible region of the (trimmed) file,
  * writes truth/<id>.beats and meta/<id>.json,
and `build_manifest()` assembles manifest.tsv (+ details.tsv) from meta/*.json.
"""
import json
import os
import subprocess
import sys

import numpy as np
import soundfile as sf

CORPUS_DIR = os.environ.get("CORPUS_DIR", "./target/corpus")
MAX_S = float(os.environ.get("CORPUS_MAX_SECONDS", "120"))
SR = 44100


def d(*p):
    path = os.path.join(CORPUS_DIR, *p)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    return path


def have(cid):
    """Idempotency: a track is done when its meta file exists."""
    return os.path.exists(d("meta", cid + ".json")) and os.path.exists(d("audio", cid + ".flac"))


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def to_wav44(src, dst):
    subprocess.run(["sox", "-q", src, "-r", str(SR), "-b", "16", dst], check=True)


def active_region(x, sr, thresh_db=-45.0, hop=0.01):
    """First/last time where the 10 ms RMS is within thresh_db of the file's peak RMS."""
    mono = x.mean(axis=1) if x.ndim > 1 else x
    n = int(sr * hop)
    m = len(mono) // n
    if m == 0:
        return 0.0, 0.0
    rms = np.sqrt(np.mean(mono[: m * n].reshape(m, n) ** 2, axis=1) + 1e-20)
    db = 20 * np.log10(rms / rms.max())
    idx = np.nonzero(db > thresh_db)[0]
    return idx[0] * hop, (idx[-1] + 1) * hop


def finalize(cid, wav_path, beats, beatpos, kind, source, licence, genre, notes="",
             max_s=MAX_S, min_s=15.0, fade_s=1.0):
    x, sr = sf.read(wav_path, always_2d=True)
    if sr != SR:
        tmp = wav_path + ".44k.wav"
        to_wav44(wav_path, tmp)
        x, sr = sf.read(tmp, always_2d=True)
        os.remove(tmp)
    dur_full = len(x) / sr
    if dur_full > max_s:
        x = x[: int(max_s * sr)].copy()
        nf = int(fade_s * sr)
        x[-nf:] *= np.linspace(1, 0, nf)[:, None]
    dur = len(x) / sr
    t0, t1 = active_region(x, sr)
    beats = np.asarray(beats, dtype=float)
    beatpos = list(beatpos) if beatpos is not None else None
    keep = (beats >= t0 - 0.05) & (beats <= t1) & (beats < dur - (fade_s if dur_full > max_s else 0))
    beats_k = beats[keep]
    pos_k = [p for p, k in zip(beatpos, keep) if k] if beatpos is not None else None
    if t1 - t0 < min_s or len(beats_k) < 8:
        log(f"skip {cid}: active {t1 - t0:.1f}s, {len(beats_k)} beats")
        return False
    bpm = 60.0 / float(np.median(np.diff(beats_k)))
    sf.write(d("audio", cid + ".flac"), x, sr, subtype="PCM_16")
    with open(d("truth", cid + ".beats"), "w") as f:
        for i, t in enumerate(beats_k):
            f.write(f"{t:.4f}\t{pos_k[i]}\n" if pos_k is not None else f"{t:.4f}\n")
    meta = dict(id=cid, file=f"audio/{cid}.flac", bpm=round(bpm, 3), kind=kind, source=source,
                licence=licence, genre=genre, duration=round(dur, 2), first_beat=round(float(beats_k[0]), 3),
                last_beat=round(float(beats_k[-1]), 3), n_beats=int(len(beats_k)), notes=notes)
    with open(d("meta", cid + ".json"), "w") as f:
        json.dump(meta, f, indent=1)
    log(f"ok {cid}: {bpm:.2f} bpm, {dur:.1f}s, beats {beats_k[0]:.2f}..{beats_k[-1]:.2f} ({len(beats_k)})")
    build_manifest()
    return True


def build_manifest():
    import glob
    rows = []
    for p in sorted(glob.glob(os.path.join(CORPUS_DIR, "meta", "*.json"))):
        with open(p) as f:
            rows.append(json.load(f))
    for name, cols in (("manifest.tsv", ["id", "file", "bpm", "kind", "source", "licence"]),
                       ("details.tsv", ["id", "kind", "genre", "bpm", "duration", "first_beat", "last_beat",
                                        "n_beats", "notes"])):
        tmp = os.path.join(CORPUS_DIR, name + ".tmp")
        with open(tmp, "w") as f:
            f.write("\t".join(cols) + "\n")
            for r in rows:
                f.write("\t".join(str(r.get(c, "")).replace("\t", " ") for c in cols) + "\n")
        os.replace(tmp, os.path.join(CORPUS_DIR, name))


def pkg_version(pkg):
    return subprocess.run(["dpkg-query", "-W", "-f=${Version}", pkg], capture_output=True, text=True).stdout.strip()


if __name__ == "__main__":
    build_manifest()
