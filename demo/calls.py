"""The demo's calls for projects, so that ``/appels`` is not empty on the first visit.

Two ways in, as in real life:

* the City of Rennes **pushes** its calls to the ingest service, signed with Standard Webhooks
  (:func:`push_calls`, run by the demo feed server once the ingest service answers; the secret
  is made by ``maillage run --demo`` and kept under the data directory);
* Rennes Métropole publishes an RSS feed of its calls, which the demo feed server serves and a
  source of ``kind = "calls"`` harvests (:func:`write_calls_rss`).

The texts are written for the demo (no real call is copied); dates are relative to today.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as clock
from email.utils import format_datetime
from typing import Any
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

import aiohttp

PARIS = ZoneInfo("Europe/Paris")
PUBLISHER = "ville-de-rennes"
FEED_ID = "rennes-metropole-appels"
FEED_PATH = "rennes-metropole/appels.xml"
MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
          "septembre", "octobre", "novembre", "décembre")

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DemoCall:
    id: str
    title: str
    description: str
    opens: int  # days from today (negative: already open)
    closes: int  # days from today, the deadline (at noon)
    themes: tuple[str, ...] = ()
    audiences: tuple[str, ...] = ("associations",)
    perimeter: str | dict[str, str] = "rennes"
    amount: dict[str, Any] | None = None


PUSHED: tuple[DemoCall, ...] = (
    DemoCall(
        id="demo-initiatives-quartiers",
        title="Initiatives solidaires dans les quartiers",
        description="<p>La Ville de Rennes soutient les projets portés par des associations "
        "et des collectifs d’habitants qui créent du lien dans leur quartier\u00a0: repas "
        "partagés, ateliers intergénérationnels, entraide entre voisins.</p><p>Les projets "
        "doivent se dérouler à Rennes dans l’année et associer les habitants dès leur "
        "conception.</p>",
        opens=-20, closes=35, themes=("solidarite", "citoyennete"),
        audiences=("associations", "collectifs", "habitants"),
        amount={"min": 500, "max": 5000, "text": "de 500\u00a0€ à 5\u202f000\u00a0€ par projet"},
    ),
    DemoCall(
        id="demo-vacances-blosne",
        title="Animations des vacances au Blosne",
        description="<p>Pendant les vacances scolaires, la Ville finance des animations "
        "gratuites au Blosne\u00a0: jeux, sport, lecture, spectacles. Les associations du "
        "quartier sont invitées à proposer un programme.</p>",
        opens=-5, closes=21, themes=("loisirs", "jeunesse", "culture"),
        audiences=("associations", "artistes"),
        perimeter={"kind": "quartier", "name": "Le Blosne"},
        amount={"max": 3000, "text": "jusqu’à 3\u202f000\u00a0€"},
    ),
    DemoCall(
        id="demo-transition-ecologique",
        title="Transition écologique\u00a0: agir près de chez soi",
        description="<p>Compostage partagé, réparation, jardins, mobilité douce\u00a0: la Ville "
        "accompagne les projets associatifs qui réduisent les déchets et l’empreinte "
        "carbone du quotidien. Un accompagnement technique est proposé aux lauréats.</p>",
        opens=-40, closes=9, themes=("environnement",),
        audiences=("associations", "collectifs", "structures-ess"),
        amount={"min": 1000, "max": 8000, "rate": 50,
                "text": "50\u00a0% du budget, de 1\u202f000\u00a0€ à 8\u202f000\u00a0€"},
    ),
    DemoCall(
        id="demo-egalite",
        title="Égalité entre les femmes et les hommes",
        description="<p>Ce fonds aide les actions de sensibilisation, de prévention des "
        "violences et d’accès aux droits menées par les associations rennaises.</p>",
        opens=-10, closes=60, themes=("citoyennete", "solidarite"),
        amount={"max": 4000, "text": "jusqu’à 4\u202f000\u00a0€"},
    ),
)

HARVESTED: tuple[DemoCall, ...] = (
    DemoCall(
        id="rm-sport-sante",
        title="Sport et santé pour toutes et tous",
        description="Rennes Métropole soutient les clubs et associations qui ouvrent leurs "
        "activités aux personnes éloignées du sport\u00a0: séniors, personnes en situation de "
        "handicap, habitants des quartiers prioritaires.",
        opens=-15, closes=28, themes=("sport", "sante"), perimeter="rennes-metropole",
    ),
    DemoCall(
        id="rm-numerique-inclusif",
        title="Numérique inclusif",
        description="Ateliers d’accompagnement aux démarches en ligne, prêt de matériel, "
        "formation des bénévoles\u00a0: un appel à projets de Rennes Métropole pour réduire la "
        "fracture numérique dans les 43 communes.",
        opens=-3, closes=45, themes=("numerique",), perimeter="rennes-metropole",
    ),
)


def _noon(today: date, days: int) -> datetime:
    return datetime.combine(today + timedelta(days=days), clock(12), PARIS)


def _french_date(day: datetime) -> str:
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def push_body(today: date) -> dict[str, Any]:
    """The body of the City's push: its calls in the push API's schema."""
    calls = []
    for call in PUSHED:
        item: dict[str, Any] = {
            "id": call.id, "title": call.title, "funder": "Ville de Rennes",
            "description": call.description, "themes": list(call.themes),
            "audiences": list(call.audiences), "perimeter": call.perimeter,
            "opens": _noon(today, call.opens).isoformat(),
            "deadline": _noon(today, call.closes).isoformat(),
            "timezone": "Europe/Paris",
            "application_url": f"https://demo.invalid/appels/{call.id}",
            "contact": {"name": "Service vie associative (démo)",
                        "email": "vie-associative@demo.invalid"},
        }
        if call.amount:
            item["amount"] = call.amount
        calls.append(item)
    return {"calls": calls}


def write_calls_rss(today: date, base_url: str) -> str:
    """Rennes Métropole's feed of calls: the deadline and opening date are in each item's
    text, as funders write them."""
    published = format_datetime(datetime.combine(today - timedelta(days=1), clock(9), PARIS))
    items = "".join(
        "<item>"
        f"<title>{escape(call.title)}</title>"
        f"<link>{base_url}/rennes-metropole/{call.id}.html</link>"
        f'<guid isPermaLink="false">{call.id}</guid>'
        f"<pubDate>{published}</pubDate>"
        f"<description>{escape(call.description)} Ouverture le "
        f"{_french_date(_noon(today, call.opens))}. Date limite de dépôt des dossiers\u00a0: "
        f"{_french_date(_noon(today, call.closes))}.</description>"
        "</item>"
        for call in HARVESTED
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
        "<title>Rennes Métropole – appels à projets</title>"
        f"<link>{base_url}/rennes-metropole/</link>"
        "<description>Les appels à projets de Rennes Métropole (démo)</description>"
        f"<language>fr</language>{items}</channel></rss>\n"
    )


async def push_calls(ingest_url: str, secret: str | bytes, today: date, *, within_s: float = 120.0,
                     every_s: float = 1.0) -> bool:
    """Push the City's calls through the real signed endpoint, retrying until the ingest
    service answers (it starts with the stack). True once accepted (202), or already
    received (409: the same push, earlier today)."""
    from services.ingest.signatures import sign

    body = json.dumps(push_body(today), ensure_ascii=False).encode()
    msg_id = "demo_" + hashlib.sha256(body).hexdigest()[:24]
    url = f"{ingest_url}/v1/push/{PUBLISHER}/calls"
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within_s
    async with aiohttp.ClientSession() as session:
        while True:
            headers = {"Content-Type": "application/json",
                       **sign(secret, msg_id, int(time.time()), body)}
            try:
                async with session.post(url, data=body, headers=headers) as resp:
                    if resp.status == 202:
                        log.info("demo calls pushed")
                        return True
                    if resp.status == 409:
                        log.info("demo calls already pushed earlier today")
                        return True
                    if resp.status < 500:
                        log.error("demo calls refused: %s %s", resp.status, await resp.text())
                        return False
            except aiohttp.ClientError:
                pass  # the ingest service is not up yet
            if loop.time() > deadline:
                log.error("demo calls not pushed: the ingest service did not answer")
                return False
            await asyncio.sleep(every_s)
