"""Render the LMMS demo projects shipped in Debian's lmms-common and write beat truth.

Truth: LMMS has a fixed tempo per project (<head bpm=...>, no automation in these
projects -- checked: the bpm is an attribute, not an automatable <bpm> element).
LMMS renders from tick 0, a quarter note is 48 ticks = 60/bpm s, a bar is
192*num/den ticks. So beat k is at k*60/bpm s; beat-in-bar from the time signature.
"""
import glob, os, re, subprocess, zlib
import xml.etree.ElementTree as ET
from corpuslib import d, have, finalize, log, pkg_version, MAX_S

ROOT = "/usr/share/lmms/projects"
LIC = [  # from /usr/share/doc/lmms-common/copyright
    (r"CapDan-(ReggaeTry|ReggaetonTry|ZeroSumGame)|EsoXLB-|Impulslogik-|Momo64-|Oglsdl-|Settel-|Socceroos-|"
     r"TameAnderson-|Thomasso-|Crunk|Greshz-|Surrender-", "Artistic-2.0"),
    (r"Saber-", "BSD-2-clause"),
    (r"Alf42red-", "CC-BY-SA-3.0"),
    (r"Jousboxx-", "CC-BY-SA-4.0"),
    (r".", "GPL-2+"),
]
GENRE = {"ReggaeTry": "reggae", "ReggaetonTry": "reggaeton", "Progress": "trance", "ProgressiveHousePluckDemo": "progressive house",
         "DearJonDoe": "hip-hop/pop", "AxeFromThe80s": "80s rock/synth", "C64": "chiptune", "Crunk": "crunk/hip-hop",
         "DirtyLove": "electro", "Dr8v2": "electronic"}


def load(path):
    data = open(path, "rb").read()
    if path.endswith(".mmpz"):
        data = zlib.decompress(data[4:])
    return ET.fromstring(data)


def main():
    ver = pkg_version("lmms-common")
    files = sorted(glob.glob(f"{ROOT}/demos/**/*.mmp*", recursive=True) + glob.glob(f"{ROOT}/shorties/*.mmp*"))
    for path in files:
        base = os.path.basename(path).rsplit(".", 1)[0]
        cid = "lmms-" + re.sub(r"[^a-z0-9]+", "-", base.lower()).strip("-")
        if have(cid):
            continue
        head = load(path).find("head")
        if head.find("bpm") is not None:
            log(f"skip {cid}: tempo automated")
            continue
        bpm = float(head.get("bpm"))
        num, den = int(head.get("timesig_numerator", 4)), int(head.get("timesig_denominator", 4))
        qpb = 4 * num / den  # quarter notes per bar
        # LMMS renders the whole song; drop clips that start after the corpus limit so it
        # does not render minutes we would cut anyway (song end = end of the last clip).
        root = load(path)
        limit = (MAX_S + 1) * bpm / 60 * 48
        dropped = 0
        for parent in root.iter():
            for child in list(parent):
                if child.tag in ("pattern", "bbtco", "sampletco", "automationpattern") and child.get("pos") \
                        and int(child.get("pos")) > limit:
                    parent.remove(child)
                    dropped += 1
        proj = d("work", "lmms", cid + ".mmp")
        ET.ElementTree(root).write(proj, encoding="UTF-8", xml_declaration=True)
        wav = d("work", "lmms", cid + ".wav")
        r = subprocess.run(["lmms", "--allowroot", "-r", proj, "-o", wav, "-f", "wav", "-s", "44100"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=900)
        if r.returncode != 0 or not os.path.exists(wav):
            log(f"skip {cid}: render failed rc={r.returncode}")
            continue
        import soundfile as sf
        dur = sf.info(wav).duration
        n = int(dur * bpm / 60) + 1
        beats = [k * 60.0 / bpm for k in range(n)]
        pos = [(k % int(qpb)) + 1 for k in range(n)] if qpb == int(qpb) else None
        rel = os.path.relpath(path, "/usr/share/lmms/projects")
        lic = next(l for pat, l in LIC if re.search(pat, base))
        genre = next((g for k, g in GENRE.items() if k in base), "electronic")
        finalize(cid, wav, beats, pos, "rendered-lmms", f"lmms-common {ver}: /usr/share/lmms/projects/{rel}", lic,
                 genre, notes=f"LMMS project bpm={head.get('bpm')} timesig={num}/{den}; {dropped} clips after {MAX_S:g}s dropped before render")
        os.remove(wav)


if __name__ == "__main__":
    main()
