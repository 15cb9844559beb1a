#!/usr/bin/env python3
"""An OSC client for the live tests (python-osc): sends what stdin asks and prints what comes.

Binds one UDP socket on 127.0.0.1 (port from argv[1], 0 picks one) and prints `ready PORT`.
argv[2], when given, lists (comma-separated) the only /analysis/ addresses to print: the
analysis comes at 60 bundles a second, and a test reads a few of its leaves.
Each stdin line is JSON:
  {"to": 9000, "send": "/deck/1/filter", "args": [0.5, ["d", 0.25], "name", true]}
  {"to": 9000, "bundle": [["/a", [1.0]], ["/b", []]], "in": 0.5}   # timetag now + 0.5 s
  {"to": 9000, "bundle": [...]}                                     # timetag "immediately"
An argument is a plain value or [type tag, value] for i, f, d, s, T, F.
Every message received is printed as `msg TIMETAG ARRIVAL ADDRESS ARGS...` (unix seconds;
TIMETAG is 0 for "immediately" and for a message outside a bundle), after each command `sent`.
"""
import json
import select
import socket
import sys
import time

from pythonosc import osc_bundle_builder, osc_message_builder, osc_packet


def message(address, args):
    b = osc_message_builder.OscMessageBuilder(address=address)
    for a in args:
        if isinstance(a, list):
            tag, value = a
            b.add_arg(value, tag)
        else:
            b.add_arg(a)
    return b.build()


def main():
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", int(sys.argv[1]) if len(sys.argv) > 1 else 0))
    keep = set(sys.argv[2].split(",")) if len(sys.argv) > 2 else None
    print("ready", sock.getsockname()[1], flush=True)
    inputs = [sock, sys.stdin]
    while True:
        readable, _, _ = select.select(inputs, [], [])
        if sock in readable:
            data, _ = sock.recvfrom(65536)
            arrival = time.time()
            try:
                packet = osc_packet.OscPacket(data)
            except Exception as e:  # a malformed packet is reported, not fatal
                print("bad", e, flush=True)
                continue
            for timed in packet.messages:
                address = timed.message.address
                if keep is not None and address.startswith("/analysis/") and address not in keep:
                    continue
                tag = timed.time if timed.time and timed.time > 1 else 0
                args = " ".join(str(a) for a in timed.message.params)
                print(f"msg {tag:.6f} {arrival:.6f} {timed.message.address} {args}".rstrip(), flush=True)
        if sys.stdin in readable:
            line = sys.stdin.readline()
            if not line:
                return
            cmd = json.loads(line)
            to = ("127.0.0.1", cmd["to"])
            if "send" in cmd:
                sock.sendto(message(cmd["send"], cmd.get("args", [])).dgram, to)
            else:
                when = osc_bundle_builder.IMMEDIATELY
                if cmd.get("in") is not None:
                    when = time.time() + cmd["in"]
                b = osc_bundle_builder.OscBundleBuilder(when)
                for address, args in cmd["bundle"]:
                    b.add_content(message(address, args))
                sock.sendto(b.build().dgram, to)
            print("sent", flush=True)


if __name__ == "__main__":
    main()
