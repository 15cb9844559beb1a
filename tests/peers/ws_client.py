#!/usr/bin/env python3
"""An OSCQuery websocket client for the live tests (websocket-client).

Connects to ws://127.0.0.1:PORT/ (argv[1]) and prints `ready`. Stdin lines:
  listen PATH | ignore PATH   -> {"COMMAND": "LISTEN"/"IGNORE", "DATA": PATH}
  set PATH VALUE              -> a binary OSC message PATH ,f VALUE
Prints `osc ADDRESS ARGS...` for each binary frame, `text JSON` for each text frame, and `sent`
after each command.
"""
import select
import sys
import json

import websocket
from pythonosc import osc_message, osc_message_builder


def main():
    ws = websocket.create_connection(f"ws://127.0.0.1:{sys.argv[1]}/")
    print("ready", flush=True)
    while True:
        readable, _, _ = select.select([ws.sock, sys.stdin], [], [])
        if ws.sock in readable:
            opcode, data = ws.recv_data()
            if opcode == websocket.ABNF.OPCODE_BINARY:
                m = osc_message.OscMessage(data)
                print("osc", m.address, *m.params, flush=True)
            elif opcode == websocket.ABNF.OPCODE_TEXT:
                print("text", data.decode(), flush=True)
            elif opcode == websocket.ABNF.OPCODE_CLOSE:
                return
        if sys.stdin in readable:
            line = sys.stdin.readline()
            if not line:
                return
            words = line.split()
            if words[0] in ("listen", "ignore"):
                ws.send(json.dumps({"COMMAND": words[0].upper(), "DATA": words[1]}))
            elif words[0] == "set":
                b = osc_message_builder.OscMessageBuilder(address=words[1])
                b.add_arg(float(words[2]), "f")
                ws.send_binary(b.build().dgram)
            print("sent", flush=True)


if __name__ == "__main__":
    main()
