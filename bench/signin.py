"""Sign-in: request -> mail in the outbox, and a burst of 200 requests at once.

    python -m bench.signin [--docs 20000] [--requests 200] [--burst 200] [--rounds 5]
        [--requests 0: the bursts only]

Starts a nats-server and the site (``python -m services.query``, one process, SQLite store
seeded with generated events, mail to the outbox directory) on loopback, then:

1. ``--requests`` sign-in requests one after the other, each from its own client address
   (``X-Forwarded-For``, trusted here) so that only the per-address limit could apply: the
   time from sending the POST to its mail being a file of the outbox (p50, p99; target
   p99 < 1 s), and the answer time for addresses of existing accounts against new ones (the
   same work: nothing is looked up before answering);
2. ``--rounds`` bursts of ``--burst`` requests at once, each from a new client, for distinct
   addresses: every one answered, the per-client limit (30 per 10 minutes) lets 30 through
   and refuses the rest with 429 and ``Retry-After``; meanwhile another client searches
   without pause. Interleaved with them, control bursts of as many cheap GETs at once (a
   small static file, an API 404): what any burst of requests costs on this machine, where
   the load generator runs too, against what the sign-in path adds. Reported: the searches'
   latencies at rest and during each kind of burst (pooled, and the median of the bursts'
   p50 and p99);
3. ``--rate`` sign-in requests per second for ``--seconds`` from distinct clients, with the
   same searches alongside, against the searches just before;
4. the CPU time the site process spends on bursts of ``--burst`` requests (from new clients,
   no searches), sign-in and controls: unlike latencies on a shared machine, it does not
   depend on what else runs.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from email import message_from_bytes
from email.policy import default
from pathlib import Path
from typing import TypeVar

import aiohttp
from aiohttp import hdrs

from bench.common import Deadline, machine, median, percentile
from bench.query_http import seed
from shared.natsserver import NatsServer, free_port

REPO = Path(__file__).resolve().parent.parent
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
T = TypeVar("T")
SEARCHES = ("/v1/events?q=concert", "/v1/events?theme=solidarite&facets=true",
            "/v1/events?q=atelier%20v%C3%A9lo")


def start_site(data: Path, port: int, nats_url: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "MAILLAGE_SQLITE_PATH": str(data / "index.sqlite"),
           "MAILLAGE_DATA_DIR": str(data), "MAILLAGE_HTTP_PORT": str(port),
           "MAILLAGE_HTTP_HOST": "127.0.0.1", "MAILLAGE_RATE_LIMIT": "0",
           "MAILLAGE_TRUST_FORWARDED": "true", "MAILLAGE_NATS_URL": nats_url,
           "MAILLAGE_PUBLIC_URL": f"http://127.0.0.1:{port}", "LOG_LEVEL": "WARNING",
           "MAILLAGE_MICROCACHE_SECONDS": "0"}
    return subprocess.Popen([sys.executable, "-m", "services.query"], cwd=REPO, env=env)


async def wait_ready(session: aiohttp.ClientSession, base: str) -> None:
    for _ in range(1200):  # connected to the store of record: 404, not 503
        try:
            async with session.get(base + "/v1/associations/none") as resp:
                if resp.status == 404:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.25)
    raise SystemExit("the site did not start")


async def token(session: aiohttp.ClientSession, base: str) -> str:
    async with session.get(base + "/connexion") as resp:
        match = CSRF.search(await resp.text())
        assert match
        return match.group(1)


def outbox_files(outbox: Path) -> set[str]:
    return set(os.listdir(outbox)) if outbox.is_dir() else set()


async def one_request(session: aiohttp.ClientSession, base: str, csrf: str, address: str,
                      client: str, outbox: Path) -> tuple[float, float]:
    """(seconds to the answer, seconds to the mail in the outbox)."""
    before = outbox_files(outbox)
    started = time.perf_counter()
    async with session.post(base + "/connexion", data={"email": address, "csrf": csrf},
                            headers={"X-Forwarded-For": client}) as resp:
        await resp.read()
        assert resp.status == 200, resp.status
    answered = time.perf_counter() - started
    deadline = Deadline(30, f"the sign-in mail to {address}")
    while True:
        deadline.check()
        new = [n for n in outbox_files(outbox) - before if n.endswith(".eml")]
        for name in new:
            message = message_from_bytes((outbox / name).read_bytes())
            if message["To"] == address:
                return answered, time.perf_counter() - started
        await asyncio.sleep(0.001)


async def create_account(base: str, outbox: Path, address: str, client: str) -> None:
    """Sign ``address`` in once (its own cookie jar), so that it is a known account."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        csrf = await token(session, base)
        before = outbox_files(outbox)
        await one_request(session, base, csrf, address, client, outbox)
        for name in outbox_files(outbox) - before:
            message = message_from_bytes((outbox / name).read_bytes(), policy=default)
            body = message.get_body(preferencelist=("plain",))
            if message["To"] == address and body is not None:
                jeton = body.get_content().split("jeton=", 1)[1].split()[0]
                async with session.post(base + "/connexion/lien", allow_redirects=False,
                                        data={"jeton": jeton, "csrf": csrf},
                                        headers={"X-Forwarded-For": client}) as resp:
                    assert resp.status == 303, resp.status
                return
        raise AssertionError(f"no mail for {address}")


async def searches(session: aiohttp.ClientSession, base: str, stop: asyncio.Event,
                   out: list[float]) -> None:
    n = 0
    while not stop.is_set():
        started = time.perf_counter()
        async with session.get(base + SEARCHES[n % len(SEARCHES)],
                               headers={"X-Forwarded-For": "10.9.9.9"}) as resp:
            await resp.read()
            assert resp.status == 200
        out.append(time.perf_counter() - started)
        n += 1


#: Control bursts: the same number of requests at once to cheap endpoints of the same site
#: (a small static file; a 404 of the API, through every middleware), so that what any
#: burst of requests costs on this machine (the load generator runs on it too) is told apart
#: from what the sign-in path costs.
CONTROLS = {"static file": "/static/favicon.svg", "API 404": "/v1/nulle-part"}


async def search_while(searcher: aiohttp.ClientSession, base: str,
                       work: Awaitable[T]) -> tuple[T, list[float]]:
    """``work``'s result and the latencies of the searches made, one after the other,
    while it ran."""
    during: list[float] = []
    stop = asyncio.Event()
    probe = asyncio.create_task(searches(searcher, base, stop, during))
    try:
        result = await work
    finally:
        stop.set()
        await probe
    return result, during


async def compare_bursts(session: aiohttp.ClientSession, searcher: aiohttp.ClientSession,
                         base: str, csrf: str, burst: int, rounds: int) -> None:
    """``rounds`` bursts of ``burst`` sign-in requests at once (each from a new client, so
    that the per-client limit lets 30 through and refuses the rest with 429), interleaved
    with control bursts of cheap GETs at the same concurrency; searches run alongside each
    burst and, for a baseline, for a second before it."""

    async def signin(n: int, r: int) -> tuple[int, str | None]:
        async with session.post(base + "/connexion", headers={"X-Forwarded-For": f"10.3.3.{r}"},
                                data={"email": f"rafale{r}-{n}@exemple.fr",
                                      "csrf": csrf}) as resp:
            await resp.read()
            return resp.status, resp.headers.get(hdrs.RETRY_AFTER)

    def getter(path: str) -> Callable[[int, int], Awaitable[tuple[int, str | None]]]:
        async def get(n: int, r: int) -> tuple[int, str | None]:
            async with session.get(base + path,
                                   headers={"X-Forwarded-For": f"10.5.{r}.{n % 250}"}) as resp:
                await resp.read()
                return resp.status, None
        return get

    kinds = {"sign-in": signin, **{name: getter(path) for name, path in CONTROLS.items()}}
    rest: list[float] = []
    during: dict[str, list[list[float]]] = {kind: [] for kind in kinds}
    took: dict[str, list[float]] = {kind: [] for kind in kinds}
    statuses: dict[str, Counter[int]] = {kind: Counter() for kind in kinds}
    retry_after = True
    for r in range(rounds):
        for kind, one in kinds.items():
            _, before = await search_while(searcher, base, asyncio.sleep(1.0))
            rest.extend(before)
            started = time.perf_counter()
            results, alongside = await search_while(searcher, base, asyncio.gather(
                *(one(n, r) for n in range(burst)), return_exceptions=True))
            took[kind].append(time.perf_counter() - started)
            during[kind].append(alongside)
            for result in results:
                if isinstance(result, BaseException):
                    statuses[kind]["error"] += 1  # type: ignore[index]
                    continue
                statuses[kind][result[0]] += 1
                if kind == "sign-in" and result[0] == 429:
                    retry_after = retry_after and bool(result[1])
    print(f"{rounds} bursts of {burst} requests at once of each kind, interleaved, searches "
          f"alongside (one after the other; at rest, the second before each burst: "
          f"{len(rest)} searches, p50 {median(rest) * 1000:.1f} ms, "
          f"p99 {percentile(rest, 99) * 1000:.1f} ms)")
    for kind in kinds:
        rounds_p50 = [median(d) * 1000 for d in during[kind] if d]
        rounds_p99 = [percentile(d, 99) * 1000 for d in during[kind] if d]
        pooled = [t for d in during[kind] for t in d]
        print(f"  {kind:11} bursts in {median(took[kind]):.2f} s (median), statuses "
              f"{dict(sorted(statuses[kind].items(), key=str))}; searches during them: "
              f"{len(pooled)}, p50 {median(pooled) * 1000:.1f} ms, p99 "
              f"{percentile(pooled, 99) * 1000:.1f} ms; per burst, median p50 "
              f"{median(rounds_p50):.1f} ms, median p99 {median(rounds_p99):.1f} ms "
              f"(p99s {', '.join(f'{v:.0f}' for v in rounds_p99)})")
    print(f"  every 429 of the sign-in bursts with Retry-After: {retry_after}")


async def paced(session: aiohttp.ClientSession, searcher: aiohttp.ClientSession, base: str,
                csrf: str, rate: float, seconds: float) -> None:
    """Sign-in requests at ``rate`` per second from distinct clients for ``seconds``, with
    searches alongside, against the same searches just before."""
    loop = asyncio.get_running_loop()
    before: list[float] = []
    stop = asyncio.Event()
    probe = asyncio.create_task(searches(searcher, base, stop, before))
    await asyncio.sleep(seconds)
    stop.set()
    await probe

    async def post(n: int) -> tuple[int, float]:
        started = time.perf_counter()
        async with session.post(base + "/connexion",
                                headers={"X-Forwarded-For": f"10.4.{n // 250}.{n % 250}"},
                                data={"email": f"rythme{n}@exemple.fr", "csrf": csrf}) as resp:
            await resp.read()
            return resp.status, time.perf_counter() - started

    during: list[float] = []
    stop = asyncio.Event()
    probe = asyncio.create_task(searches(searcher, base, stop, during))
    tasks: list[asyncio.Task[tuple[int, float]]] = []
    start = loop.time()
    while loop.time() - start < seconds:
        tasks.append(asyncio.create_task(post(len(tasks))))
        await asyncio.sleep(max(0.0, start + len(tasks) / rate - loop.time()))
    results = await asyncio.gather(*tasks)
    stop.set()
    await probe
    answers = [t for _, t in results]
    print(f"{len(tasks)} sign-in requests at {rate:g}/s from distinct clients: statuses "
          f"{sorted({s for s, _ in results})}, answer p50 {median(answers) * 1000:.1f} ms, "
          f"p99 {percentile(answers, 99) * 1000:.1f} ms; searches before: p50 "
          f"{median(before) * 1000:.1f} ms, p99 {percentile(before, 99) * 1000:.1f} ms; "
          f"alongside: p50 {median(during) * 1000:.1f} ms, p99 "
          f"{percentile(during, 99) * 1000:.1f} ms")


def cpu_seconds(pid: int) -> float:
    """CPU time of process ``pid`` so far, all its threads (Linux ``/proc``: the scheduler's
    nanoseconds on a CPU, where ``stat`` counts 10 ms ticks)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            total += int((task / "schedstat").read_text().split()[0])
        except (OSError, IndexError, ValueError):  # a thread that just ended
            continue
    return total / 1e9


async def burst_cpu(session: aiohttp.ClientSession, base: str, csrf: str, pid: int,
                    burst: int, rounds: int = 8) -> None:
    """The site's CPU time per burst, mails included (each burst from a new client), against
    control bursts of cheap GETs and a second without requests (what the site spends
    anyway: following the index, timers)."""
    spent: dict[str, list[float]] = {"sign-in": [], **{name: [] for name in CONTROLS},
                                     "no request": []}
    for r in range(rounds):
        async def post(n: int, r: int = r) -> int:
            async with session.post(base + "/connexion",
                                    headers={"X-Forwarded-For": f"10.6.6.{r}"},
                                    data={"email": f"cpu{r}-{n}@exemple.fr",
                                          "csrf": csrf}) as resp:
                await resp.read()
                return resp.status

        async def get(path: str, n: int, r: int = r) -> int:
            async with session.get(base + path,
                                   headers={"X-Forwarded-For": f"10.7.{r}.{n % 250}"}) as resp:
                await resp.read()
                return resp.status

        for kind in spent:
            before = cpu_seconds(pid)
            if kind == "sign-in":
                await asyncio.gather(*(post(n) for n in range(burst)))
            elif kind in CONTROLS:
                await asyncio.gather(*(get(CONTROLS[kind], n) for n in range(burst)))
            await asyncio.sleep(1.0)  # the mail queue composes and writes the accepted ones
            spent[kind].append((cpu_seconds(pid) - before) * 1000)
    print(f"site CPU per burst of {burst} requests (1 s after included; sign-in: 30 mails):")
    for kind, values in spent.items():
        print(f"  {kind:11} {', '.join(f'{s:.0f}' for s in values)} ms "
              f"(median {median(values):.0f} ms)")

async def run(docs: int, requests: int, burst: int, rate: float, seconds: float,
              rounds: int) -> None:
    print(f"# sign-in; {machine()}")
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        seed(data / "index.sqlite", docs)
        nats = NatsServer(data / "nats", free_port()).start()
        port = free_port()
        site = start_site(data, port, nats.url)
        base = f"http://127.0.0.1:{port}"
        outbox = data / "outbox"
        try:
            jar = aiohttp.CookieJar(unsafe=True)
            async with aiohttp.ClientSession(cookie_jar=jar,
                                             connector=aiohttp.TCPConnector(limit=0)) as session:
                await wait_ready(session, base)
                csrf = await token(session, base)
                # accounts for the "known address" half (and a warm-up)
                known = [f"connue{n}@exemple.fr" for n in range(max(1, requests // 2))]
                for n, address in enumerate(known if requests else []):
                    await create_account(base, outbox, address, f"10.1.{n // 250}.{n % 250}")
                answers: dict[str, list[float]] = {"known": [], "new": []}
                to_mail: list[float] = []
                for n in range(requests):  # --requests 0: the bursts only
                    kind = "known" if n % 2 == 0 else "new"
                    address = (known[n // 2 % len(known)] if kind == "known"
                               else f"nouvelle{n}@exemple.fr")
                    answered, mailed = await one_request(
                        session, base, csrf, address, f"10.2.{n // 250}.{n % 250}", outbox)
                    answers[kind].append(answered)
                    to_mail.append(mailed)
                if requests:
                    print(f"request -> mail in the outbox, {requests} requests one at a "
                          f"time: p50 {median(to_mail) * 1000:.1f} ms, "
                          f"p99 {percentile(to_mail, 99) * 1000:.1f} ms "
                          f"(target p99 < 1000 ms)")
                    for kind, values in answers.items():
                        print(f"  answer time, {kind:5} addresses: p50 "
                              f"{median(values) * 1000:.2f} ms, p99 "
                              f"{percentile(values, 99) * 1000:.2f} ms")
                # the bursts, with searches alongside (their own connection: a burst takes
                # the pool of its session), each kind against control bursts of cheap GETs
                searcher = aiohttp.ClientSession()
                await compare_bursts(session, searcher, base, csrf, burst, rounds)
                await paced(session, searcher, base, csrf, rate, seconds)
                await searcher.close()
                await burst_cpu(session, base, csrf, site.pid, burst)
        finally:
            site.terminate()
            site.wait(30)
            nats.stop()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.signin")
    parser.add_argument("--docs", type=int, default=20000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--burst", type=int, default=200)
    parser.add_argument("--rate", type=float, default=20, help="sign-in requests per second")
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--rounds", type=int, default=5,
                        help="bursts of each kind (sign-in and the controls), interleaved")
    args = parser.parse_args()
    asyncio.run(run(args.docs, args.requests, args.burst, args.rate, args.seconds,
                    args.rounds))


if __name__ == "__main__":
    main()
