"""Sanity-check beat truth against the audio: onset-strength at the annotated beats vs at
shifted copies of the grid. A correct grid gives the best lag near +20 ms (onset-envelope latency) and an on-beat
onset strength clearly above the mean ("contrast" > 1). Prints one line per track.
usage: verify.py [ids...]   (CORPUS_DIR env)
"""
import os, sys
import numpy as np
import librosa

C = os.environ.get("CORPUS_DIR", "./target/corpus")
rows = [l.rstrip("\n").split("\t") for l in open(os.path.join(C, "manifest.tsv"))][1:]
want = set(sys.argv[1:])
HOP, SR = 256, 22050
for r in rows:
    cid, f = r[0], r[1]
    if want and cid not in want:
        continue
    y, _ = librosa.load(os.path.join(C, f), sr=SR, mono=True)
    env = librosa.onset.onset_strength(y=y, sr=SR, hop_length=HOP)
    beats = np.array([float(l.split()[0]) for l in open(os.path.join(C, "truth", cid + ".beats"))])
    fr = SR / HOP
    ibi = np.median(np.diff(beats))
    # search only +-ibi/4 (max 120 ms) so strong syncopated off-beats are not mistaken for the beat
    w = min(0.12, ibi / 4)
    lags = np.arange(-w, w + 1e-9, 1 / fr)
    score = []
    for lag in lags:
        idx = np.round((beats + lag) * fr).astype(int)
        idx = idx[(idx >= 0) & (idx < len(env))]
        score.append(env[idx].mean())
    score = np.array(score)
    best = lags[score.argmax()]
    idx_half = np.round((beats + ibi / 2) * fr).astype(int)
    idx_half = idx_half[idx_half < len(env)]
    contrast = score.max() / env.mean()
    half = env[np.clip(idx_half + int(round(best * fr)), 0, len(env) - 1)].mean() / env.mean()
    # librosa's onset envelope peaks ~10-25 ms after the physical onset, so a correct grid
    # has its best lag in about [-10, +40] ms.
    flag = "" if -0.01 <= best <= 0.05 and contrast > 1.3 else "  <-- CHECK"
    print(f"{cid:45s} best_lag={best*1000:+6.1f}ms onbeat/mean={contrast:4.2f} offbeat/mean={half:4.2f}{flag}", flush=True)
