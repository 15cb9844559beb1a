"""A real JACK MIDI receiver for the tests (python-rtmidi): opens an input port CLIENT:in, prints
"ready", then one line per message received: its arrival time in seconds and its bytes in hex."""
import sys
import time

import rtmidi

midi_in = rtmidi.MidiIn(rtmidi.API_UNIX_JACK, name=sys.argv[1])
midi_in.ignore_types(sysex=False, timing=False, active_sense=True)
midi_in.open_virtual_port("in")
print("ready", flush=True)
while True:
    message = midi_in.get_message()
    if message is None:
        time.sleep(0.0005)
        continue
    data, _ = message
    print(f"{time.monotonic():.6f} " + " ".join(f"{b:02x}" for b in data), flush=True)
