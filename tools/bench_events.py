"""Benchmark /ws fan-out: many subscribers during a scan, and what one stalled client costs.

Run from the repository root (use a quiet machine)::

    .venv/bin/python tools/bench_events.py [--subscribers 500] [--files 400] [--rounds 3]
        [--prober ffprobe|libav] [--json bench.json] [--workdir DIR]

The service runs in this process; the subscribers in a child process (this script again,
with ``--as-subscribers``), so that reading 500 sockets does not compete with the server for
its event loop. Each round, ``--subscribers`` WebSocket clients connect, then a cold scan of
``--files`` clips runs and the thumbnails job it queues (a few events per file), and every
client notes when each event reached it. The server notes when it published each event (its
hub's ``publish``, wrapped); both read the system's monotonic clock, so publish-to-receive
is one subtraction. Progress events are coalesced per client by design (a newer one
replaces one not yet sent), so the figures cover the events each client received.

Rounds alternate: without a stalled client, then with one more client that completes the
handshake and never reads again (a socket with a small receive buffer).

Targets: every client receives every event that is not progress; the stalled client adds no
measurable delay to the others: the median p99 of the rounds with it exceeds that of the
rounds without by no more than the spread of the rounds without, plus 1 ms. The stalled
client must really have been held back (the hub reset it, or holds events for it).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import trio
from benchkit import load, measure, report, server
from benchkit.report import Row, Target, fmt_ms, log
from benchkit.workspace import Workspace, prepare_workspace
from trio_websocket import ConnectionClosed, open_websocket_url

CONNECT_AT_ONCE = 50
STALLED_BUFFER = 4096
#: Rounds must show the stalled client adding no more than the clean rounds' spread plus this.
NOISE_MS = 1.0


async def subscribe_all(url: str, count: int, out: Path) -> None:
    """The child: ``count`` clients note (id, type, arrival) of each event until the parent
    names the last event (on stdin) and every client has it."""
    notes: list[list[tuple[int, str, float]]] = [[] for _ in range(count)]
    latest = [0] * count
    limiter = trio.CapacityLimiter(CONNECT_AT_ONCE)

    async def client(index: int, *, task_status: trio.TaskStatus[None]) -> None:
        await limiter.acquire()
        connecting = True
        try:
            async with open_websocket_url(url) as connection:
                limiter.release()
                connecting = False
                task_status.started()
                while True:
                    text = await connection.get_message()
                    arrived = time.monotonic()
                    event = json.loads(text)
                    if event["id"] is not None:
                        notes[index].append((event["id"], event["type"], arrived))
                        latest[index] = event["id"]
        except ConnectionClosed:
            pass
        finally:
            if connecting:
                limiter.release()

    async with trio.open_nursery() as nursery:
        for index in range(count):
            await nursery.start(partial(client, index))
        print("connected", flush=True)
        last = int(await trio.wrap_file(sys.stdin).readline())
        with trio.move_on_after(server.WAIT_LIMIT):
            while min(latest) < last:  # noqa: ASYNC110 - the clients' own tasks fill it
                await trio.sleep(0.01)
        nursery.cancel_scope.cancel()
    await trio.Path(out).write_text(json.dumps(notes))


async def stall(port: int) -> trio.socket.SocketType:
    """A client that completes the WebSocket handshake and never reads again."""
    sock = trio.socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, STALLED_BUFFER)
    await sock.connect(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    request = (
        f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    await sock.send(request.encode())
    return sock


async def one_round(ws: Workspace, args: argparse.Namespace, index: int, stalled: bool) -> Any:
    """One scan with its thumbnails, watched by the subscribers (and the stalled client)."""
    settings = server.server_settings(
        ws, ws.database(f"events-{index}"), prober=args.prober, thumbnails_after_scan=True
    )
    published: dict[int, tuple[float, str]] = {}
    out = ws.scratch(f"events-{index}") / "received.json"
    async with server.running_service(settings) as (url, service):
        publish = service.hub.publish

        def noting(*given: Any, **options: Any) -> Any:
            event = publish(*given, **options)
            published[event.id] = (time.monotonic(), str(event.type))
            return event

        service.hub.publish = noting  # type: ignore[method-assign]
        argv = [sys.executable, __file__, "--as-subscribers", "ws" + url[4:] + "/ws"]
        argv += [str(args.subscribers), str(out)]
        async with trio.open_nursery() as nursery:
            child = partial(trio.run_process, argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
            process = await nursery.start(child)
            await process.stdout.receive_some(64)  # "connected"
            quiet = await stall(int(url.rsplit(":", 1)[1])) if stalled else None
            async with httpx.AsyncClient(base_url=url, timeout=server.WAIT_LIMIT) as client:
                await server.scan_and_wait(client, ws.library)
                jobs = await client.get("/api/v1/jobs", params={"kind": "thumbnails"})
                for job in jobs.json()["jobs"]:
                    await service.runner.wait(job["job_id"])
            await process.stdin.send_all(f"{max(published)}\n".encode())
        held = max(((s.resets, s.buffered) for s in service.hub.subscribers), default=(0, 0))
        if quiet is not None:
            quiet.close()
    return published, json.loads(await trio.Path(out).read_text()), held


def figures(published: dict[int, tuple[float, str]], notes: list[Any]) -> tuple[list[float], int]:
    """Publish-to-receive milliseconds of every delivery; non-progress events a client missed."""
    wanted = {i for i, (_, kind) in published.items() if kind != "job_progress"}
    delays, missed = [], 0
    for client in notes:
        delays += [(arrived - published[i][0]) * 1000 for i, _, arrived in client]
        missed += len(wanted - {i for i, _, _ in client})
    return delays, missed


def measure_rounds(ws: Workspace, args: argparse.Namespace) -> list[Target]:
    p50: dict[bool, list[float]] = {False: [], True: []}
    p99: dict[bool, list[float]] = {False: [], True: []}
    missed = deliveries = 0
    held: list[tuple[int, int]] = []
    for index in range(2 * args.rounds):
        stalled = index % 2 == 1
        # The last round's figures, collected here rather than by the server's start-up
        # (settle_collector), where the loop watch would log it as a blocked step.
        load.quiet_collector()
        published, notes, most_held = trio.run(one_round, ws, args, index, stalled)
        delays, lost = figures(published, notes)
        missed, deliveries = missed + lost, deliveries + len(delays)
        p50[stalled].append(measure.percentile(delays, 50))
        p99[stalled].append(measure.percentile(delays, 99))
        if stalled:
            held.append(most_held)
        log(
            f"  round {index + 1} ({'with' if stalled else 'no'} stalled client): "
            f"{len(published)} events, p50 {p50[stalled][-1]:.2f} ms, p99 {p99[stalled][-1]:.2f} ms"
        )
    base, with_stall = statistics.median(p99[False]), statistics.median(p99[True])
    allowed = max(p99[False]) - min(p99[False]) + NOISE_MS
    added = with_stall - base
    really = all(resets or buffered for resets, buffered in held)
    clean = (
        Row(
            f"publish -> receive p50, {args.subscribers} clients",
            fmt_ms(statistics.median(p50[False])),
        ),
        Row("publish -> receive p99", fmt_ms(base)),
        Row("  deliveries; non-progress events missed", f"{deliveries}; {missed}", "-; 0"),
    )
    stall_rows = (
        Row(
            "with a stalled client: p50 / p99",
            f"{fmt_ms(statistics.median(p50[True]))} / {fmt_ms(with_stall)}",
        ),
        Row("  delay it adds to the others' p99", fmt_ms(added), f"<= {fmt_ms(allowed)}"),
        Row("  it was held back (resets, events held)", "; ".join(f"{r}, {b}" for r, b in held)),
    )
    data = {"p50_ms": p50, "p99_ms": p99, "added_ms": added, "allowed_ms": allowed, "held": held}
    return [
        Target(
            "delivery",
            clean,
            missed == 0,
            f"{missed} non-progress events missed",
            {"missed": missed},
        ),
        Target(
            "stalled client",
            stall_rows,
            added <= allowed and really,
            f"one stalled client adds {fmt_ms(added)} to the others' p99 (<= {fmt_ms(allowed)})",
            data,
        ),
    ]


def main() -> int:
    if len(sys.argv) == 5 and sys.argv[1] == "--as-subscribers":
        trio.run(subscribe_all, sys.argv[2], int(sys.argv[3]), Path(sys.argv[4]))
        return 0
    parser = report.parser(__doc__ or "")
    parser.add_argument("--subscribers", type=int, default=500, help="WebSocket clients (500)")
    parser.add_argument("--files", type=int, default=400, help="videos scanned each round (400)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of each kind (3)")
    parser.add_argument("--prober", choices=server.PROBERS, default="ffprobe")
    args = parser.parse_args()
    if min(args.subscribers, args.files, args.rounds) < 1:
        parser.error("counts must be at least 1")

    def run(root: Path) -> tuple[dict[str, Any], list[Target]]:
        ws = prepare_workspace(root, args.files)
        settings = {"subscribers": args.subscribers, "files": args.files, "prober": args.prober}
        return settings | {"rounds": args.rounds}, measure_rounds(ws, args)

    return report.run(args, run)


if __name__ == "__main__":
    sys.exit(main())
