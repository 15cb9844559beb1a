"""An Ableton Link peer for the Link tests (LinkPython-extern), run inside the test's network
namespace. Reads one command a line from stdin and answers on stdout:

  tempo BPM        sets the session tempo                      -> "ok"
  phase_at US      -> "phase_at phase=<f>": the phase (quantum 4) at Link host time US
  state            -> "state tempo=<f> beat=<f> phase=<f> peers=<n> playing=<0|1> time=<us>
                      start_phase=<f>" (start_phase: the phase of the last start or stop)
  watch            starts checking this peer's own timeline for jumps (every 2 ms)
  jumps            -> "jumps max_beats=<f> samples=<n>": the largest difference between
                      the timeline's beat and its beat extrapolated from the sample before
  play [MS] / stop starts (MS milliseconds from now) or stops the transport (start/stop
                   sync on) -> "ok"
  quit             leaves the session (a clean goodbye) and ends
"""

import sys
import threading
import time

import link

QUANTUM = 4.0


def main():
    tempo = float(sys.argv[1]) if len(sys.argv) > 1 else 120.0
    peer = link.Link(tempo)
    peer.startStopSyncEnabled = True
    peer.enabled = True
    watch = {"on": False, "max": 0.0, "samples": 0}
    lock = threading.Lock()

    def watcher():
        last = None
        while True:
            time.sleep(0.002)
            with lock:
                if not watch["on"]:
                    last = None
                    continue
            s = peer.captureAppSessionState()
            now = peer.clock().micros()
            beat = s.beatAtTime(now, QUANTUM)
            tempo_now = s.tempo()
            if last is not None:
                t0, b0, bpm0 = last
                # A tempo change keeps the beat continuous, so either tempo bounds the step.
                lo = min(bpm0, tempo_now) * (now - t0) / 60e6
                hi = max(bpm0, tempo_now) * (now - t0) / 60e6
                step = beat - b0
                off = 0.0 if lo - 1e-6 <= step <= hi + 1e-6 else min(abs(step - lo), abs(step - hi))
                with lock:
                    watch["max"] = max(watch["max"], off)
                    watch["samples"] += 1
            last = (now, beat, tempo_now)

    threading.Thread(target=watcher, daemon=True).start()
    print("ready", flush=True)
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        cmd = words[0]
        if cmd == "tempo":
            s = peer.captureAppSessionState()
            s.setTempo(float(words[1]), peer.clock().micros())
            peer.commitAppSessionState(s)
            print("ok", flush=True)
        elif cmd == "state":
            s = peer.captureAppSessionState()
            now = peer.clock().micros()
            print(
                f"state tempo={s.tempo():.4f} beat={s.beatAtTime(now, QUANTUM):.6f} "
                f"phase={s.phaseAtTime(now, QUANTUM):.6f} peers={peer.numPeers()} "
                f"playing={int(s.isPlaying())} time={now} "
                f"start_phase={s.phaseAtTime(s.timeForIsPlaying(), QUANTUM):.6f}",
                flush=True,
            )
        elif cmd == "phase_at":
            s = peer.captureAppSessionState()
            print(f"phase_at phase={s.phaseAtTime(int(words[1]), QUANTUM):.6f}", flush=True)
        elif cmd == "watch":
            with lock:
                watch.update(on=True, max=0.0, samples=0)
            print("ok", flush=True)
        elif cmd == "jumps":
            with lock:
                print(f"jumps max_beats={watch['max']:.6f} samples={watch['samples']}", flush=True)
        elif cmd in ("play", "stop"):
            s = peer.captureAppSessionState()
            ahead = int(float(words[1]) * 1000) if len(words) > 1 else 0
            s.setIsPlaying(cmd == "play", peer.clock().micros() + ahead)
            peer.commitAppSessionState(s)
            print("ok", flush=True)
        elif cmd == "quit":
            break
    # Without this the peer lingers in the others' sessions until it times out.
    peer.enabled = False
    print("bye", flush=True)


if __name__ == "__main__":
    main()
