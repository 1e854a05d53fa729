#!/usr/bin/python3
"""ZeroMQ test peer driven over stdin/stdout with JSON lines.

usage: zmq-peer.py <sub|pull|pub|push> <bind|connect> <endpoint> [sndhwm]
- prints {"ready": true} once bound/connected;
- a receiving socket prints {"frames": [<base64>, ...]} for every message;
- a sending socket reads {"frames": [<base64>, ...]} lines from stdin and sends each as one multipart message;
  {"close": true} or EOF ends the peer. {"stop_reading": true} makes a receiver stop reading (back-pressure tests).
  {"burst": n} makes a sender send [b"burst/<i>", b"<i>"] for i = 0..n-1 as fast as the socket takes them.
"""
import base64
import json
import sys
import threading

import zmq

kind, mode, endpoint = sys.argv[1], sys.argv[2], sys.argv[3]
hwm = int(sys.argv[4]) if len(sys.argv) > 4 else 1000
ctx = zmq.Context()
sock = ctx.socket({"sub": zmq.SUB, "pull": zmq.PULL, "pub": zmq.PUB, "push": zmq.PUSH}[kind])
sock.setsockopt(zmq.LINGER, 0)
sock.setsockopt(zmq.SNDHWM, hwm)
sock.setsockopt(zmq.RCVHWM, hwm)
if kind == "sub":
    sock.setsockopt(zmq.SUBSCRIBE, b"")
if mode == "bind":
    sock.bind(endpoint)
else:
    sock.connect(endpoint)


def out(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


out({"ready": True})
reading = threading.Event()
reading.set()

if kind in ("sub", "pull"):
    def control():
        for line in sys.stdin:
            cmd = json.loads(line)
            if cmd.get("stop_reading"):
                reading.clear()
            if cmd.get("close"):
                break
        sock.close(0)
        ctx.term()
        sys.exit(0)

    threading.Thread(target=control, daemon=True).start()
    while True:
        reading.wait()
        try:
            frames = sock.recv_multipart()
        except zmq.ZMQError:
            break
        out({"frames": [base64.b64encode(f).decode() for f in frames]})
else:
    for line in sys.stdin:
        cmd = json.loads(line)
        if cmd.get("close"):
            break
        if "burst" in cmd:
            for i in range(cmd["burst"]):
                sock.send_multipart([b"burst/%d" % i, b"%d" % i])
            continue
        sock.send_multipart([base64.b64decode(f) for f in cmd["frames"]])
    sock.close(0)
    ctx.term()
