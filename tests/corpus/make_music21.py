"""Scores from the music21 corpus (PyPI music21) rendered at a fixed tempo via MIDI + fluidsynth.

Truth: we set a single MetronomeMark ourselves, expand repeats, and compute beats from the
score's measures (bar offset, pickup padding, time signature: quarter beats, dotted-quarter
beats in 6/8-type metres) -> seconds at the fixed tempo. music21 writes score offset 0 as MIDI
tick 0; fluidsynth renders from t=0 (checked with verify.py).
"""
import os
import music21 as m21
from corpuslib import d, have, finalize, log
from make_midi import render

PIECES = [  # (corpus path, quarter-note bpm, genre, parts to keep (None = all))
    ("joplin/maple_leaf_rag.mxl", 96, "ragtime piano, 2/4"),
    ("leadSheet/berlinAlexandersRagtime.mxl", 124, "ragtime song lead sheet"),
    ("bach/bwv66.6.mxl", 66, "Bach chorale (hymn), 4/4"),
    ("ryansMammoth/AcrobatsHornpipe.abc", 180, "hornpipe (fiddle tune)"),
    ("ryansMammoth/BanishMisfortune.abc", 165, "jig, 6/8 (beat=dotted quarter, 110 BPM)"),
]


def load(spec):
    path, _, which = spec.partition("#")
    s = m21.corpus.parse(path)
    if isinstance(s, m21.stream.Opus):
        s = s.scores[int(which.split("-")[1]) if which else 0]
    return s


def beats_of(score, qbpm):
    part = score.parts[0] if score.parts else score
    beats, pos = [], []
    for m in part.getElementsByClass(m21.stream.Measure):
        ts = m.timeSignature or m.getContextByClass(m21.meter.TimeSignature)
        num, den = (ts.numerator, ts.denominator) if ts else (4, 4)
        blen = 1.5 if (den == 8 and num % 3 == 0 and num > 3) else (4.0 / den if den <= 4 else 1.0)
        bar = num * 4.0 / den
        start = m.offset - m.paddingLeft
        k = 0
        while k * blen < bar - 1e-6:
            q = start + k * blen
            if q >= m.offset - 1e-6 and q < m.offset + m.duration.quarterLength - 1e-6:
                beats.append(q * 60.0 / qbpm)
                pos.append(k + 1)
            k += 1
    return beats, pos


def main():
    ver = m21.__version__
    for spec, qbpm, genre in PIECES:
        cid = "m21-" + spec.replace(".mxl", "").replace(".abc", "").replace("/", "-").replace("#", "-").replace("_", "-").replace(".", "-").lower()
        if have(cid):
            continue
        s = load(spec)
        try:
            s = s.expandRepeats()
        except Exception as e:
            log(f"{cid}: no repeat expansion ({e})")
        for mm in list(s.recurse().getElementsByClass(m21.tempo.TempoIndication)):
            mm.activeSite.remove(mm)
        first = s.parts[0].getElementsByClass(m21.stream.Measure)[0] if s.parts else s.getElementsByClass(m21.stream.Measure)[0]
        first.insert(0, m21.tempo.MetronomeMark(number=qbpm, referent=m21.duration.Duration(1.0)))
        beats, pos = beats_of(s, qbpm)
        mid = d("work", "m21", cid + ".mid")
        s.write("midi", fp=mid)
        wav = d("work", "m21", cid + ".wav")
        render(mid, wav)
        finalize(cid, wav, beats, pos, "rendered-midi", f"music21 {ver} (PyPI): music21/corpus/{spec}; rendered with fluid-soundfont-gm",
                 "public-domain composition; encoding per music21/corpus/license.txt (music21 BSD-3-clause); FluidR3_GM MIT", genre,
                 notes=f"fixed tempo quarter={qbpm}")
        os.remove(wav)


if __name__ == "__main__":
    main()
