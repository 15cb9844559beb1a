"""A real JACK MIDI receiver for the tests (python-rtmidi): opens an input port CLIENT:in, prints
"ready", then one line per message received: its arrival time in seconds and its bytes in hex.
Messages are taken in rtmidi's callback, with a queue large enough that a busy machine drops none."""
import sys
import threading
import time

import rtmidi


def received(message, _data):
    data, _ = message
    print(f"{time.monotonic():.6f} " + " ".join(f"{b:02x}" for b in data), flush=True)


midi_in = rtmidi.MidiIn(rtmidi.API_UNIX_JACK, name=sys.argv[1], queue_size_limit=65536)
midi_in.ignore_types(sysex=False, timing=False, active_sense=True)
midi_in.set_callback(received)
midi_in.open_virtual_port("in")
print("ready", flush=True)
threading.Event().wait()
