"""Sign-in: request -> mail in the outbox, and a burst of 200 requests at once.

    python -m bench.signin [--docs 20000] [--requests 200] [--burst 200]

Starts a nats-server and the site (``python -m services.query``, one process, SQLite store
seeded with generated events, mail to the outbox directory) on loopback, then:

1. ``--requests`` sign-in requests one after the other, each from its own client address
   (``X-Forwarded-For``, trusted here) so that only the per-address limit could apply: the
   time from sending the POST to its mail being a file of the outbox (p50, p99; target
   p99 < 1 s), and the answer time for addresses of existing accounts against new ones (the
   same work: nothing is looked up before answering);
2. ``--burst`` requests at once from one client, for distinct addresses: every one answered,
   the per-client limit (30 per 10 minutes) lets 30 through and refuses the rest with 429 and
   ``Retry-After``; meanwhile another client searches without pause, and its latency is
   compared with the same searches before and after the burst;
3. ``--rate`` sign-in requests per second for ``--seconds`` from distinct clients, with the
   same searches alongside, against the searches just before;
4. the CPU time the site process spends on bursts of ``--burst`` requests (from new clients,
   no searches): unlike latencies on a shared machine, it does not depend on what else runs.
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
from email import message_from_bytes
from email.policy import default
from pathlib import Path

import aiohttp

from bench.common import Deadline, machine, median, percentile
from bench.query_http import seed
from shared.natsserver import NatsServer, free_port

REPO = Path(__file__).resolve().parent.parent
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
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
    """User and system CPU time of process ``pid`` so far (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def burst_cpu(session: aiohttp.ClientSession, base: str, csrf: str, pid: int,
                    burst: int, rounds: int = 3) -> None:
    """The site's CPU time per burst, mails included (each burst from a new client)."""
    spent = []
    for r in range(rounds):
        async def post(n: int, r: int = r) -> int:
            async with session.post(base + "/connexion",
                                    headers={"X-Forwarded-For": f"10.6.6.{r}"},
                                    data={"email": f"cpu{r}-{n}@exemple.fr",
                                          "csrf": csrf}) as resp:
                await resp.read()
                return resp.status

        before = cpu_seconds(pid)
        await asyncio.gather(*(post(n) for n in range(burst)))
        await asyncio.sleep(1.0)  # the mail queue composes and writes the accepted ones
        spent.append((cpu_seconds(pid) - before) * 1000)
    print(f"site CPU per burst of {burst} sign-in requests (30 mails, 1 s after included): "
          f"{', '.join(f'{s:.0f}' for s in spent)} ms (median {median(spent):.0f} ms)")


async def run(docs: int, requests: int, burst: int, rate: float, seconds: float) -> None:
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
                for n, address in enumerate(known):
                    await create_account(base, outbox, address, f"10.1.{n // 250}.{n % 250}")
                answers: dict[str, list[float]] = {"known": [], "new": []}
                to_mail: list[float] = []
                for n in range(requests):
                    kind = "known" if n % 2 == 0 else "new"
                    address = (known[n // 2 % len(known)] if kind == "known"
                               else f"nouvelle{n}@exemple.fr")
                    answered, mailed = await one_request(
                        session, base, csrf, address, f"10.2.{n // 250}.{n % 250}", outbox)
                    answers[kind].append(answered)
                    to_mail.append(mailed)
                print(f"request -> mail in the outbox, {requests} requests one at a time: "
                      f"p50 {median(to_mail) * 1000:.1f} ms, "
                      f"p99 {percentile(to_mail, 99) * 1000:.1f} ms "
                      f"(target p99 < 1000 ms)")
                for kind, values in answers.items():
                    print(f"  answer time, {kind:5} addresses: p50 "
                          f"{median(values) * 1000:.2f} ms, p99 "
                          f"{percentile(values, 99) * 1000:.2f} ms")
                # the burst, with searches alongside (their own connection: the burst takes
                # the pool of its session)
                searcher = aiohttp.ClientSession()
                baseline: list[float] = []
                stop = asyncio.Event()
                probe = asyncio.create_task(searches(searcher, base, stop, baseline))
                await asyncio.sleep(3)
                stop.set()
                await probe
                during: list[float] = []
                stop = asyncio.Event()
                probe = asyncio.create_task(searches(searcher, base, stop, during))

                async def burst_one(n: int) -> tuple[int, str | None]:
                    async with session.post(
                            base + "/connexion", headers={"X-Forwarded-For": "10.3.3.3"},
                            data={"email": f"rafale{n}@exemple.fr", "csrf": csrf}) as resp:
                        await resp.read()
                        return resp.status, resp.headers.get("Retry-After")

                started = time.perf_counter()
                results = await asyncio.gather(*(burst_one(n) for n in range(burst)),
                                               return_exceptions=True)
                took = time.perf_counter() - started
                stop.set()
                await probe
                after: list[float] = []
                stop = asyncio.Event()
                probe = asyncio.create_task(searches(searcher, base, stop, after))
                await asyncio.sleep(2)
                stop.set()
                await probe
                errors = [r for r in results if isinstance(r, BaseException)]
                statuses = [r for r in results if not isinstance(r, BaseException)]
                ok = sum(1 for s, _ in statuses if s == 200)
                limited = [(s, r) for s, r in statuses if s == 429]
                print(f"burst of {burst} sign-in requests from one client in {took:.2f} s: "
                      f"{len(statuses)} answered ({len(errors)} errors), {ok} accepted, "
                      f"{len(limited)} refused with 429, all with Retry-After: "
                      f"{all(r for _, r in limited)}; other statuses: "
                      f"{sorted({s for s, _ in statuses} - {200, 429})}")
                print(f"searches before the burst: {len(baseline)}, p50 "
                      f"{median(baseline) * 1000:.1f} ms, p99 "
                      f"{percentile(baseline, 99) * 1000:.1f} ms; during it: {len(during)}, "
                      f"p50 {median(during) * 1000:.1f} ms, p99 "
                      f"{percentile(during, 99) * 1000:.1f} ms; in the 2 s after: "
                      f"{len(after)}, p50 {median(after) * 1000:.1f} ms, p99 "
                      f"{percentile(after, 99) * 1000:.1f} ms")
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
    args = parser.parse_args()
    asyncio.run(run(args.docs, args.requests, args.burst, args.rate, args.seconds))


if __name__ == "__main__":
    main()
