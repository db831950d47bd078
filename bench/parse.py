"""Parse throughput per format, in events/s (median of several runs).

    python -m bench.parse [--events 500] [--runs 5] [--pool]

``--pool`` parses through the harvester's parse pool (a parser process and its reply sent
back to the harvester), as a harvest does, instead of in this process.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from datetime import UTC, datetime, timedelta

from bench.common import machine, median
from services.harvester.formats import parse_document
from services.harvester.formats.base import ParseContext, ParseResult
from services.harvester.parse_pool import ParseJob, ParseLimits, ParsePool

#: The first generated event: the next hour, so that every event falls in the harvest window
#: whatever the day the bench runs (a fixed date fell out of it once passed).
NOW = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
VENUES = ["Le Triangle", "Les Champs Libres", "Maison des Associations", "Parc du Thabor"]


def starts(n: int) -> list[datetime]:
    return [NOW + timedelta(hours=7 * i) for i in range(n)]


def ics(n: int) -> bytes:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//bench//FR",
             "X-WR-TIMEZONE:Europe/Paris"]
    for i, start in enumerate(starts(n)):
        lines += ["BEGIN:VEVENT", f"UID:bench-{i}", f"DTSTAMP:{NOW:%Y%m%dT%H%M%SZ}",
                  f"DTSTART:{start:%Y%m%dT%H%M%SZ}", "DURATION:PT2H",
                  f"SUMMARY:Atelier vélo numéro {i}", f"LOCATION:{VENUES[i % 4]}\\, Rennes",
                  "DESCRIPTION:Réparation\\, conseils et café.", "CATEGORIES:Vélo,Atelier",
                  "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return ("\r\n".join(lines) + "\r\n").encode()


def rss(n: int) -> bytes:
    items = "".join(
        f"<item><title>Concert {i}</title><guid>b{i}</guid><link>https://x.org/{i}</link>"
        f"<description>Chorale et piano</description>"
        f"<ev:startdate>{s.isoformat()}</ev:startdate><ev:location>{VENUES[i % 4]}</ev:location>"
        "</item>" for i, s in enumerate(starts(n)))
    return (f'<?xml version="1.0"?><rss version="2.0" xmlns:ev="http://purl.org/rss/1.0/modules/'
            f'event/"><channel><title>b</title>{items}</channel></rss>').encode()


def html(n: int) -> bytes:
    blocks = "".join(
        '<script type="application/ld+json">' + json.dumps({
            "@context": "https://schema.org", "@type": "Event", "name": f"Repair café {i}",
            "startDate": s.isoformat(), "location": {"@type": "Place", "name": VENUES[i % 4]},
            "identifier": f"h{i}"}) + "</script>" for i, s in enumerate(starts(n)))
    return f"<html><head>{blocks}</head><body></body></html>".encode()


def openagenda(n: int) -> bytes:
    events = [{"uid": i, "title": {"fr": f"Balade {i}"}, "description": {"fr": "Nature"},
               "timings": [{"begin": s.isoformat(), "end": (s + timedelta(hours=2)).isoformat()}],
               "location": {"name": VENUES[i % 4], "latitude": 48.11, "longitude": -1.68},
               "keywords": {"fr": ["nature"]}} for i, s in enumerate(starts(n))]
    return json.dumps({"total": n, "events": events}).encode()


FORMATS = {"ics": ics, "rss": rss, "html": html, "openagenda": openagenda}


def run(n: int, runs: int) -> dict[str, float]:
    ctx = ParseContext(source_id="bench", now=NOW, window_future=timedelta(days=3650))
    rates = {}
    for name, make in FORMATS.items():
        body = make(n)
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            result = parse_document(body, ctx, name)
            times.append(time.perf_counter() - t0)
            assert len(result.events) == n, (name, len(result.events), result.skipped[:3])
        rates[name] = n / median(times)
    return rates


async def run_pool(n: int, runs: int) -> dict[str, float]:
    """The same documents parsed through a parse pool of one process, as a harvest does."""
    ctx = ParseContext(source_id="bench", now=NOW, window_future=timedelta(days=3650))
    pool = ParsePool(ParseLimits(timeout_s=120.0, workers=1))
    rates = {}
    try:
        await pool.parse(ParseJob(ics(1), ctx, "ics"))  # start the process
        for name, make in FORMATS.items():
            job = ParseJob(make(n), ctx, name)
            times = []
            for _ in range(runs):
                t0 = time.perf_counter()
                result = await pool.parse(job)
                times.append(time.perf_counter() - t0)
                assert isinstance(result, ParseResult) and len(result.events) == n, name
            rates[name] = n / median(times)
    finally:
        await pool.close()
    return rates


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--pool", action="store_true", help="through the parse pool")
    args = parser.parse_args()
    where = "parse pool" if args.pool else "in process"
    print(f"# parse throughput, {where} ({machine()}); {args.events} events, "
          f"median of {args.runs} runs")
    rates = (asyncio.run(run_pool(args.events, args.runs)) if args.pool
             else run(args.events, args.runs))
    for name, rate in rates.items():
        print(f"{name:12s} {rate:10.0f} events/s")


if __name__ == "__main__":
    main()
