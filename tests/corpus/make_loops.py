"""Drum / groove loops from Debian packages, tiled to ~30 s, with a beat grid from the loop length.

Truth: a loop of duration D holding N beats repeats seamlessly, so tempo = 60*N/D and beat k
is at k*D/N. N was chosen per loop (below) from the possible values giving 60-200 BPM, using
the loops' known conventions (e.g. Sonic Pi's mehackit loops are 97 BPM, cf. loop_drone_g_97;
loop_amen_full is exactly 16 beats at 140.0 BPM) and librosa's tempo on the tiled audio; only
loops whose first hit is at t=0 were kept (so the grid phase is known). Real drum breaks (amen,
break0x, jungle) keep the drummer's micro-timing inside the loop, so their truth is a grid
approximation (deviations of some ms). Ambiguous metrical level noted in details.tsv.
"""
import os
import numpy as np
import soundfile as sf
from corpuslib import d, have, finalize, pkg_version, SR, to_wav44

LOOPS = [  # (package, path, beats in loop, genre, note)
    ("sonic-pi-samples", "/usr/share/sonic-pi/samples/loop_amen.flac", 4, "breakbeat (amen break)", ""),
    ("sonic-pi-samples", "/usr/share/sonic-pi/samples/loop_amen_full.flac", 16, "breakbeat (amen break, 4 bars)", ""),
    ("sonic-pi-samples", "/usr/share/sonic-pi/samples/loop_electric.flac", 4, "electronic groove", "97 BPM family"),
    ("sonic-pi-samples", "/usr/share/sonic-pi/samples/loop_garzul.flac", 16, "electronic drums", ""),
    ("sonic-pi-samples", "/usr/share/sonic-pi/samples/loop_tabla.flac", 16, "tabla (Indian percussion)", "metrical level uncertain (89.9 or 179.9)"),
    ("lmms-common", "/usr/share/lmms/samples/beats/break02.ogg", 4, "breakbeat", ""),
    ("lmms-common", "/usr/share/lmms/samples/beats/break03.ogg", 4, "breakbeat", "metrical level uncertain (166.7 or 83.3)"),
    ("lmms-common", "/usr/share/lmms/samples/beats/electro_beat01.ogg", 8, "electro drums", ""),
    ("lmms-common", "/usr/share/lmms/samples/beats/house_loop01.ogg", 4, "house drums", ""),
    ("lmms-common", "/usr/share/lmms/samples/beats/jungle01.ogg", 8, "jungle breakbeat", "metrical level uncertain (172.7 or 86.3)"),
]
LIC = {"sonic-pi-samples": "CC0-1.0", "lmms-common": "GPL-2+"}
TARGET_S = 30.0


def main():
    for pkg, path, nb, genre, note in LOOPS:
        base = os.path.basename(path).rsplit(".", 1)[0]
        cid = "loop-" + ("sonicpi-" if pkg.startswith("sonic") else "lmms-") + base.replace("_", "-")
        if have(cid):
            continue
        tmp = d("work", "loops", cid + ".src.wav")
        to_wav44(path, tmp)
        x, sr = sf.read(tmp, always_2d=True)
        dur = len(x) / sr
        reps = int(np.ceil(TARGET_S / dur))
        y = np.tile(x, (reps, 1))
        wav = d("work", "loops", cid + ".wav")
        sf.write(wav, y, sr, subtype="PCM_16")
        n = reps * nb
        beats = [k * dur / nb for k in range(n)]
        pos = [(k % 4) + 1 for k in range(n)] if nb % 4 == 0 else None
        finalize(cid, wav, beats, pos, "loop", f"{pkg} {pkg_version(pkg)}: {path}", LIC[pkg], genre,
                 notes=f"{dur:.4f}s loop = {nb} beats, tiled x{reps}. {note}")
        os.remove(wav)
        os.remove(tmp)


if __name__ == "__main__":
    main()
