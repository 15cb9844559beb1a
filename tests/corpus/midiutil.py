"""MIDI tempo map -> exact beat times (beat grid from tick 0)."""
import mido


def analyse(path_or_file):
    mf = mido.MidiFile(path_or_file) if isinstance(path_or_file, str) else path_or_file
    tpq = mf.ticks_per_beat
    tempos, sigs, notes, drum_notes, end = [], [], [], 0, 0
    for tr in mf.tracks:
        t = 0
        for m in tr:
            t += m.time
            if m.type == "set_tempo":
                tempos.append((t, m.tempo))
            elif m.type == "time_signature":
                sigs.append((t, m.numerator, m.denominator))
            elif m.type == "note_on" and m.velocity > 0:
                notes.append(t)
                if m.channel == 9:
                    drum_notes += 1
        end = max(end, t)
    tempos.sort()
    if not tempos or tempos[0][0] > 0:
        tempos.insert(0, (0, 500000))
    sigs.sort()
    if not sigs or sigs[0][0] > 0:
        sigs.insert(0, (0, 4, 4))

    def tick2sec(tick):
        s, last_t, last_tempo = 0.0, 0, tempos[0][1]
        for tt, tempo in tempos:
            if tt >= tick:
                break
            s += (tt - last_t) * last_tempo / (tpq * 1e6)
            last_t, last_tempo = tt, tempo
        return s + (tick - last_t) * last_tempo / (tpq * 1e6)

    # beats: quarter notes, or dotted quarters in compound meters (6/8, 9/8, 12/8); bars restart at
    # each time-signature event; beat-in-bar 1 = first beat of a bar.
    beats, pos = [], []
    ticks_end = max(notes) if notes else end
    si, tick = 0, 0
    while tick <= ticks_end:
        while si + 1 < len(sigs) and sigs[si + 1][0] <= tick:
            si += 1
        _, num, den = sigs[si]
        bar_len = num * tpq * 4 // den
        blen = tpq * 3 // 2 if (den == 8 and num % 3 == 0 and num > 3) else tpq
        nxt = sigs[si + 1][0] if si + 1 < len(sigs) else None
        b = 0
        while b * blen < bar_len and (nxt is None or tick + b * blen < nxt):
            beats.append(tick2sec(tick + b * blen))
            pos.append(b + 1)
            b += 1
        tick += bar_len if (nxt is None or tick + bar_len <= nxt) else (nxt - tick)
    return dict(tpq=tpq, tempos=tempos, sigs=sigs, beats=beats, pos=pos, n_notes=len(notes), drum_notes=drum_notes,
                first_note=tick2sec(min(notes)) if notes else 0.0, last_note=tick2sec(ticks_end),
                tick2sec=tick2sec)
