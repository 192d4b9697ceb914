"""A stand-in for the media worker that breaks the protocol in the way its mode says.

Run as ``fake_worker.py MODE`` through the wrapper :func:`fake_python` writes (the pool
passes the wrapper its usual ``-m stoat_ferret.workers.libav ...`` arguments, which
the wrapper drops). Modes:

``garbage``     greet, then answer the first request with a line that is not JSON
``wrong-id``    greet, then answer the first request under another id
``dies``        greet, then say "boom" on stderr and exit 3 on the first request
``mute``        never greet (sleep), as a worker stuck at start-up would
``endless``     greet, then answer with a line that never ends
``quits``       greet, then exit at once (before reading any request)
"""

from __future__ import annotations

import json
import sys
import time


def say(payload: dict[str, object]) -> None:
    sys.stdout.write(json.dumps(payload) + "\n")
    sys.stdout.flush()


def main() -> int:
    mode = sys.argv[1]
    if mode == "mute":
        time.sleep(3600)
    say({"id": 0, "ok": True, "result": {"ready": True}})
    if mode == "quits":
        return 0
    request = json.loads(sys.stdin.readline())
    if mode == "garbage":
        sys.stdout.write("this is not a protocol line\n")
    elif mode == "wrong-id":
        say({"id": request["id"] + 1, "ok": True, "result": {}})
    elif mode == "dies":
        print("boom", file=sys.stderr, flush=True)
        return 3
    elif mode == "endless":
        while True:
            sys.stdout.write("x" * 65536)
    sys.stdout.flush()
    time.sleep(3600)
    return 0


if __name__ == "__main__":
    sys.exit(main())
