"""Render MIDI files with fluidsynth + FluidR3 GM and write exact beat times from the tempo map.

Sources: the music lumps (standard MIDI files) of Debian's freedoom WADs (rock/metal/
electronic game music, many with drums; some with tempo changes and 3/4, 6/8 metres).
Truth: beat grid from tick 0 (quarter notes; dotted quarters in 6/8-type metres), each
grid tick converted to seconds through the file's complete tempo map; downbeats from the
time-signature events. fluidsynth's file renderer starts the sequencer at t=0.
"""
import io, os, struct, subprocess, sys
import mido
from corpuslib import d, have, finalize, log, pkg_version
from midiutil import analyse

SF2 = "/usr/share/sounds/sf2/FluidR3_GM.sf2"
FREEDOOM = [  # (wad, lump, genre) -- picked for a clear pulse, spread of tempi and metres
    ("freedoom1", "D_E1M1", "metal"), ("freedoom1", "D_E1M2", "rock"), ("freedoom1", "D_E1M7", "rock"),
    ("freedoom1", "D_E1M8", "rock, 3/4"), ("freedoom1", "D_E2M7", "rock"), ("freedoom1", "D_E2M8", "metal"),
    ("freedoom1", "D_E2M9", "6/8, continuous tempo changes"), ("freedoom1", "D_E3M2", "metal"),
    ("freedoom1", "D_E3M3", "rock"), ("freedoom1", "D_E3M7", "metal"), ("freedoom1", "D_INTER", "funk/rock"),
    ("freedoom1", "D_E1M6", "slow rock"), ("freedoom2", "D_THEDA2", "rock"), ("freedoom2", "D_DOOM2", "rock"),
    ("freedoom2", "D_EVIL", "metal"), ("freedoom2", "D_SHAWN3", "rock"),
    ("freedoom2", "D_AMPIE", "3/4"), ("freedoom2", "D_COUNTD", "rock"), ("freedoom2", "D_RUNNI2", "rock"),
    ("freedoom2", "D_STLKS3", "electronic"), ("freedoom2", "D_READ_M", "tempo changes"), ("freedoom2", "D_DDTBL3", "sparse, few drums"),
]


def wad_lumps(path):
    data = open(path, "rb").read()
    _, n, off = struct.unpack("<4sii", data[:12])
    out = {}
    for i in range(n):
        o, s, name = struct.unpack("<ii8s", data[off + 16 * i: off + 16 * i + 16])
        out[name.rstrip(b"\0").decode()] = data[o: o + s]
    return out


def render(mid_path, wav):
    subprocess.run(["fluidsynth", "-ni", "-q", "-g", "0.5", "-r", "44100", "-F", wav, "-T", "wav", SF2, mid_path],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=600)


def do_midi(cid, mid_path, genre, source, licence, max_s=120.0):
    a = analyse(mid_path)
    wav = d("work", "midi", cid + ".wav")
    # render only what we keep: cut the MIDI after max_s (+2 s tail) to save time
    mf = mido.MidiFile(mid_path)
    if a["last_note"] > max_s + 5:
        limit_tick = next(i for i in range(0, 10**9, mf.ticks_per_beat) if a["tick2sec"](i) > max_s + 2)
        for tr in mf.tracks:
            t, last, new = 0, 0, []
            for m in tr:
                t += m.time
                if t > limit_tick or m.type == "end_of_track":
                    continue
                new.append(m.copy(time=t - last))
                last = t
            if tr is mf.tracks[-1] or len(mf.tracks) == 1:
                for ch in range(16):  # all sound off / all notes off at the cut
                    new.append(mido.Message("control_change", channel=ch, control=120, value=0, time=limit_tick - last))
                    new.append(mido.Message("control_change", channel=ch, control=123, value=0, time=0))
                    last = limit_tick
            new.append(mido.MetaMessage("end_of_track", time=0))
            tr[:] = new
        # silence: all notes off at the cut
        cut = d("work", "midi", cid + ".cut.mid")
        mf.save(cut)
        mid_path = cut
    render(mid_path, wav)
    tempos = sorted({round(60e6 / t, 2) for _, t in a["tempos"]})
    notes = f"MIDI tpq={a['tpq']} tempo events={len(a['tempos'])} tempi={tempos[:6]}{'...' if len(tempos) > 6 else ''} sigs={[s[1:] for s in a['sigs']][:4]}"
    ok = finalize(cid, wav, a["beats"], a["pos"], "rendered-midi", source, licence, genre, notes=notes)
    os.remove(wav)
    return ok


def main():
    sf2v = pkg_version("fluid-soundfont-gm")
    fdv = pkg_version("freedoom")
    lumps = {}
    for wad, lump, genre in FREEDOOM:
        cid = f"midi-{wad}-{lump[2:].lower()}"
        if have(cid):
            continue
        if wad not in lumps:
            lumps[wad] = wad_lumps(f"/usr/share/games/doom/{wad}.wad")
        mid = d("work", "midi", cid + ".mid")
        open(mid, "wb").write(lumps[wad][lump])
        do_midi(cid, mid, genre, f"freedoom {fdv}: /usr/share/games/doom/{wad}.wad lump {lump}; rendered with fluid-soundfont-gm {sf2v}",
                "BSD-3-clause (Freedoom licence); FluidR3_GM soundfont MIT")


if __name__ == "__main__":
    main()
