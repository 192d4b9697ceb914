"""Load on a running server: one client in a loop, or many at once, timing every request."""

from __future__ import annotations

import gc
import time
from collections.abc import Sequence

import attrs
import httpx
import trio

from .measure import percentile
from .workspace import expect


@attrs.frozen
class Latencies:
    """Milliseconds of each request (all answered 200)."""

    ms: list[float]

    @property
    def p50(self) -> float:
        return percentile(self.ms, 50)

    @property
    def p99(self) -> float:
        return percentile(self.ms, 99)

    def summary(self) -> dict[str, object]:
        return {"n": len(self.ms), "p50_ms": self.p50, "p99_ms": self.p99, "max_ms": max(self.ms)}


def quiet_collector() -> None:
    """Collect this process's garbage now and keep all it holds out of later collections.

    A request is timed here from sent to read, so a pause of this process counts as the
    server's. With what the set-up left (the server started, a library made), a full
    collection here took 90 to 100 ms, in the middle of a measurement, for every request
    in flight: call this before each measurement, so a collection then only walks the
    objects made since.
    """
    gc.collect()
    gc.freeze()


async def timed_get(client: httpx.AsyncClient, url: str) -> float:
    started = time.perf_counter()
    response = await client.get(url)
    elapsed = (time.perf_counter() - started) * 1000
    expect(response.status_code == 200, f"GET {url}: {response.status_code} {response.text[:300]}")
    return elapsed


async def one_client(
    client: httpx.AsyncClient, url: str, requests: int, *, warmup: int = 3
) -> Latencies:
    """``requests`` GETs of ``url`` one after another (after ``warmup`` untimed ones)."""
    for _ in range(warmup):
        await timed_get(client, url)
    return Latencies([await timed_get(client, url) for _ in range(requests)])


async def many_clients(
    clients: Sequence[httpx.AsyncClient], url: str, requests_each: int
) -> Latencies:
    """Every client GETs ``url`` ``requests_each`` times in a loop, all at once."""
    found: list[float] = []

    async def run(client: httpx.AsyncClient) -> None:
        for _ in range(requests_each):
            found.append(await timed_get(client, url))

    async with trio.open_nursery() as nursery:
        for client in clients:
            nursery.start_soon(run, client)
    return Latencies(found)


async def sample_while(
    client: httpx.AsyncClient, url: str, done: trio.Event, *, interval: float
) -> Latencies:
    """GET ``url`` every ``interval`` seconds until ``done`` is set."""
    found: list[float] = []
    while not done.is_set():
        found.append(await timed_get(client, url))
        with trio.move_on_after(interval):
            await done.wait()
    return Latencies(found)
