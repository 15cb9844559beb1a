"""A real JACK MIDI sender for the tests (python-rtmidi): opens an output port CLIENT:out,
prints "ready", then sends each line of hex bytes read from stdin as one MIDI event and prints
"sent". Exits at the end of stdin."""
import sys

import rtmidi

out = rtmidi.MidiOut(rtmidi.API_UNIX_JACK, name=sys.argv[1])
out.open_virtual_port("out")
print("ready", flush=True)
for line in sys.stdin:
    data = [int(b, 16) for b in line.split()]
    if data:
        out.send_message(data)
        print("sent", flush=True)
