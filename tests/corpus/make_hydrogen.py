"""Export the Hydrogen demo songs (Debian hydrogen-data) with h2cli and write beat truth.

Truth: constant <bpm> (the songs' BPMTimeLine is empty), Hydrogen resolution is 48 ticks
per quarter note, song mode plays the <patternSequence> columns in order and each column
lasts as long as its longest pattern (all patterns here are 192 ticks = one 4/4 bar).
Export starts at tick 0. Songs longer than the corpus limit are truncated to whole bars
(a copy of the .h2song with a shorter patternSequence) so h2cli does not render minutes
of audio we would throw away (h2cli exports in real time).
Humanize-time and swing in the songs add small deviations from the grid (swing only
moves off-beat 8ths/16ths, not quarter notes).
"""
import glob, os, subprocess
import xml.etree.ElementTree as ET
from corpuslib import d, have, finalize, log, pkg_version, MAX_S

GENRE = {"GM_kit_Diddley": "rock'n'roll (Bo Diddley beat)", "GM_kit_Jazzy": "jazz swing drums",
         "GM_kit_demo1": "rock drums", "GM_kit_demo2": "rock/pop drums", "GM_kit_demo3": "funk drums",
         "TR808kit-demo": "808 electro drums", "tutorial_georgyporgy": "pop/funk drums (Georgy Porgy groove)"}


def main():
    ver = pkg_version("hydrogen-data")
    for path in sorted(glob.glob("/usr/share/hydrogen/data/demo_songs/*.h2song")):
        base = os.path.basename(path)[:-7]
        cid = "hydrogen-" + base.lower().replace("_", "-")
        if have(cid):
            continue
        tree = ET.parse(path)
        root = tree.getroot()
        bpm = float(root.findtext("bpm"))
        tl = root.find("BPMTimeLine")
        if tl is not None and len(tl):
            log(f"skip {cid}: tempo timeline")
            continue
        size = {p.findtext("name"): int(p.findtext("size")) for p in root.find("patternList")}
        seq = root.find("patternSequence")
        groups = list(seq)
        tick_s = 60.0 / bpm / 48
        total, keep = 0, 0
        for g in groups:
            glen = max([size[pid.text] for pid in g.findall("patternID")] or [192])
            if (total + glen) * tick_s > MAX_S - 2:
                break
            total += glen
            keep += 1
        song = path
        if keep < len(groups):
            for g in groups[keep:]:
                seq.remove(g)
            song = d("work", "hydrogen", base + ".h2song")
            tree.write(song, encoding="UTF-8", xml_declaration=True)
        lens = [max([size[pid.text] for pid in g.findall("patternID")] or [192]) for g in groups[:keep]]
        beats, pos, t = [], [], 0
        for glen in lens:
            for b in range(glen // 48):
                beats.append((t + 48 * b) * tick_s)
                pos.append(b + 1)
            t += glen
        wav = d("work", "hydrogen", cid + ".wav")
        r = subprocess.run(["h2cli", "-s", song, "-o", wav, "-r", "44100", "-b", "16"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=900)
        if r.returncode != 0 or not os.path.exists(wav):
            log(f"skip {cid}: h2cli failed rc={r.returncode}")
            continue
        notes = f"Hydrogen song bpm={bpm:g}, {keep}/{len(groups)} bars, swing={root.findtext('swing_factor')}, humanize_time={root.findtext('humanize_time')}"
        finalize(cid, wav, beats, pos, "rendered-hydrogen", f"hydrogen-data {ver}: /usr/share/hydrogen/data/demo_songs/{base}.h2song",
                 "GPL-2+", GENRE.get(base, "drums"), notes=notes)
        os.remove(wav)


if __name__ == "__main__":
    main()
