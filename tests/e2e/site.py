"""A seeded agenda served on loopback, for the browser tests and the README screenshots.

:func:`seed_events` builds realistic events of Rennes associations with dates relative to
today (several themes and quartiers, accessibility codes, a cancelled event, an exhibition
already open, a recurring workshop, an online event, an event announced by two sources and
one with hostile markup in its title and description, and one known only by its commune).
:class:`Site` runs the query app with a real SQLite store on ``127.0.0.1`` in a background
thread, with a tile server next to it so that the map can be shown without any network.
"""

from __future__ import annotations

import asyncio
import dataclasses
import gzip
import io
import socket
import struct
import threading
import zlib
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from services.harvester.fetcher import FetchConfig, Fetcher
from services.query.app import create_app
from services.query.settings import SETTINGS
from services.query.web.images import IMAGES, ImageCache
from shared.calls import Amount, Call, CallMessage
from shared.model import Event, EventMessage, Location, Occurrence, Status, ThemeTag, now_version
from shared.settings import Settings, load
from shared.store.calls_sqlite import CallStore
from shared.store.sqlite import SqliteStore

PARIS = ZoneInfo("Europe/Paris")
#: Every HTML page a :class:`Site` served, by URL (the last answer for each): the e2e
#: conftest runs the Nu HTML Checker over them once at the end of the session.
SERVED_HTML: dict[str, str] = {}

PLACES = {
    "jardin": Location("Le Jardin Moderne", "11 rue du Manoir de Servigné", "35000", "Rennes",
                       48.1033, -1.7126, "Cleunay - Arsenal-Redon - La Courrouze", "Rennes"),
    "petite-rennes": Location("La Petite Rennes", "4 rue Saint-Malo", "35000", "Rennes",
                              48.1149, -1.6818, "Centre", "Rennes"),
    "republique": Location("Place de la République", None, "35000", "Rennes", 48.1100, -1.6790,
                           "Centre", "Rennes"),
    "cite": Location("Salle de la Cité", "10 rue Saint-Louis", "35000", "Rennes", 48.1138,
                     -1.6829, "Centre", "Rennes"),
    "villejean": Location("Université Rennes 2, amphi B8", "place du Recteur Henri Le Moal",
                          "35000", "Rennes", 48.1190, -1.7040, "Villejean - Beauregard",
                          "Rennes"),
    "blosne": Location("Place de Zagreb", None, "35200", "Rennes", 48.0860, -1.6600,
                       "Le Blosne", "Rennes"),
    "maurepas": Location("Maison de quartier de Maurepas", "32 rue de la Marbaudais", "35700",
                         "Rennes", 48.1300, -1.6580, "Maurepas - Bellangerais", "Rennes"),
    "champs-libres": Location("Les Champs Libres", "10 cours des Alliés", "35000", "Rennes",
                              48.1058, -1.6745, "Centre", "Rennes"),
    "maison-assos": Location("Maison des associations", "6 cours des Alliés", "35000",
                             "Rennes", 48.1064, -1.6772, "Centre", "Rennes"),
    "brequigny": Location("Espace social commun de Bréquigny", "13 boulevard Albert 1er",
                          "35200", "Rennes", 48.0890, -1.6900, "Bréquigny", "Rennes"),
    "cleunay": Location("Centre social de Cleunay", "49 rue Jules Lallemand", "35000", "Rennes",
                        48.1040, -1.7100, "Cleunay - Arsenal-Redon - La Courrouze", "Rennes"),
    "prairies": Location("Prairies Saint-Martin, entrée rue de Trégain", None, "35000",
                         "Rennes", 48.1240, -1.6790, "Saint-Martin", "Rennes"),
    "online": Location(None, None, None, None, online=True),
    # only the commune is known ("Salle des fêtes de Pacé"): its centroid, not a place
    "pace": Location("Salle des fêtes de Pacé", None, None, None, 48.152678, -1.777343,
                     None, "Pacé", "35210", "commune"),
}


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), PARIS)


def occ(day: date, start: tuple[int, int], end: tuple[int, int] | None = None,
        status: str = Status.SCHEDULED) -> Occurrence:
    return Occurrence(at(day, *start), at(day, *end) if end else None, status=status)


def all_day(first: date, days: int = 1) -> Occurrence:
    return Occurrence(at(first, 0), at(first + timedelta(days=days), 0), all_day=True)


def event(source: str, uid: str, title: str, occurrences: list[Occurrence], *, place: str,
          themes: tuple[str, ...], description: str = "", **kw: Any) -> Event:
    text = kw.pop("text", None) or description.replace("<p>", "").replace("</p>", "\n")
    return Event.create(
        source_id=source, source_uid=uid, title=title, occurrences=tuple(occurrences),
        description=description, description_text=text.strip(),
        location=PLACES[place], themes=tuple(ThemeTag(t, "seed") for t in themes),
        url=kw.pop("url", f"https://{source}.example.org/evenements/{uid}"), **kw,
    )


def seed_events(today: date) -> list[Event]:
    d = [today + timedelta(days=n) for n in range(0, 45)]
    saturday = today + timedelta(days=(5 - today.weekday()) % 7 or 7)
    next_month = (today.replace(day=1) + timedelta(days=40)).replace(day=12)
    return [
        event("jardin-moderne", "jazz-1", "Concert de jazz manouche : Les Doigts de l’Homme",
              [occ(d[1], (20, 30), (23, 0))], place="jardin", themes=("culture",),
              organizer="Le Jardin Moderne", price="12 € / 8 € adhérents", is_free=False,
              description="<p>Swing manouche et virtuosité : une soirée <strong>au Jardin "
                          "Moderne</strong>.</p><p>Bar et petite restauration sur place.</p>"),
        event("la-petite-rennes", "atelier-velo", "Atelier d’autoréparation de vélos",
              [occ(saturday + timedelta(days=7 * n), (14, 0), (18, 0)) for n in range(3)],
              place="petite-rennes", themes=("environnement", "sport"),
              organizer="La Petite Rennes", is_free=True, accessibility=("mi",),
              description="<p>Venez réparer votre vélo avec l’aide des bénévoles : outils et "
                          "pièces d’occasion à disposition.</p>"),
        event("utopia-56", "maraude-12", "Maraude solidaire du centre-ville",
              [occ(d[2], (19, 0), (22, 0))], place="republique", themes=("solidarite",),
              organizer="Utopia 56 Rennes", is_free=True,
              description="<p>Distribution de repas chauds et de couvertures. Rendez-vous "
                          "devant le métro République.</p>"),
        event("cercle-celtique", "fest-noz", "Fest-noz de la Saint-Martin",
              [occ(d[5], (20, 30), (23, 59))], place="cite", themes=("culture", "patrimoine"),
              organizer="Cercle celtique de Rennes", price="7 €", is_free=False,
              accessibility=("mi", "places_fauteuil"),
              description="<p>Danses bretonnes avec <em>Hamon Martin Quintet</em> ; initiation "
                          "pour débutants à 20 h 30.</p>"),
        event("apsyr", "conf-sante-mentale", "Conférence : la santé mentale des étudiants",
              [occ(d[3], (18, 0), (20, 0))], place="villejean", themes=("sante", "jeunesse"),
              organizer="Association Apsyr", is_free=True, accessibility=("hi", "lsf"),
              description="<p>Table ronde avec des psychologues et des étudiants. "
                          "Interprétation en langue des signes française.</p>"),
        event("comite-blosne", "vide-grenier", "Vide-grenier du Blosne",
              [all_day(d[6])], place="blosne", themes=("loisirs",),
              organizer="Comité de quartier du Blosne", is_free=True,
              description="<p>Plus de 200 exposants sur la place de Zagreb.</p>"),
        event("ludo-maurepas", "soiree-jeux", "Soirée jeux de société",
              [occ(d[2], (20, 0), (23, 0))], place="maurepas", themes=("loisirs",),
              organizer="Ludothèque de Maurepas", is_free=True, status=Status.CANCELLED,
              description="<p>Annulée faute d’animateurs disponibles.</p>"),
        event("musee-bretagne", "expo-vilaine", "Exposition : Rennes au fil de la Vilaine",
              [Occurrence(at(today - timedelta(days=3), 0),
                          at(today + timedelta(days=17), 0), all_day=True)],
              place="champs-libres", themes=("patrimoine", "culture"),
              organizer="Musée de Bretagne", is_free=True,
              accessibility=("vi", "audiodescription", "mi", "places_fauteuil"),
              description="<p>Deux siècles de vie au bord de la Vilaine, en photographies et "
                          "cartes anciennes. Visites en audiodescription sur réservation.</p>"),
        event("ville-rennes", "forum-assos", "Forum des associations",
              [occ(d[9], (10, 0), (18, 0))], place="maison-assos",
              themes=("vie-associative",), organizer="Maison des associations",
              is_free=True, source_format="openagenda",
              description="<p>Plus de 150 associations rennaises présentent leurs activités."
                          "</p>"),
        event("maison-assos", "forum-2", "Forum des associations rennaises",
              [occ(d[9], (10, 0), (18, 0))], place="maison-assos",
              themes=("vie-associative",), organizer="Maison des associations",
              is_free=True, source_format="ics",
              description="<p>Rencontrez les bénévoles de plus de 150 associations.</p>"),
        event("gulliver", "install-party", "Install party : passez au logiciel libre",
              [occ(d[8], (14, 0), (18, 0))], place="brequigny", themes=("numerique",),
              organizer="Gulliver", is_free=True,
              description="<p>Apportez votre ordinateur : nous installons Linux ensemble.</p>"),
        event("cleunay-solidaire", "repas-monde", "Repas partagé : cuisines du monde",
              [occ(d[10], (12, 0), (14, 30))], place="cleunay",
              themes=("international", "alimentation"), organizer="Cleunay solidaire",
              price="Prix libre", description="<p>Chacun apporte un plat de son pays.</p>"),
        event("bretagne-vivante", "balade-prairies", "Balade naturaliste aux prairies "
              "Saint-Martin", [occ(d[4], (10, 0), (12, 0))], place="prairies",
              themes=("environnement",), organizer="Bretagne Vivante", is_free=True,
              accessibility=("mi",),
              description="<p>Oiseaux et plantes des zones humides, avec un guide.</p>"),
        event("atelier-ecriture", "hostile", "<script>alert('titre')</script> Atelier "
              "d’écriture & « poésie »", [occ(d[4], (18, 30), (20, 0))], place="cite",
              themes=("culture",), organizer="L’Encre <b>rouge</b>",
              description="<p>Écrire ensemble.</p><img src=x onerror=\"alert('desc')\">"
                          "<script>alert('desc')</script><a href=\"javascript:alert(1)\">"
                          "lien</a>"),
        event("maison-assos", "webinaire", "Webinaire : créer son association",
              [occ(d[7], (18, 0), (19, 30))], place="online",
              themes=("vie-associative",), organizer="Maison des associations",
              is_free=True, status=Status.MOVED_ONLINE,
              description="<p>Statuts, assemblée constitutive, déclaration en préfecture.</p>"),
        event("jardin-moderne", "rock-next-month", "Tremplin rock des jeunes groupes",
              [occ(next_month, (19, 0), (23, 0))], place="jardin", themes=("culture",
              "jeunesse"), organizer="Le Jardin Moderne", is_free=True,
              description="<p>Six groupes rennais sur scène.</p>"),
        event("comite-pace", "loto", "Loto du comité des fêtes",
              [occ(d[9], (20, 0), (23, 30))], place="pace", themes=("loisirs",),
              organizer="Comité des fêtes de Pacé", price="3 € le carton", is_free=False,
              description="<p>Nombreux lots, buvette et pâtisseries maison.</p>"),
    ]


#: The host name of the association's site giving the fest-noz its poster (the fake
#: resolver of :class:`Site` sends it to the loopback server beside the agenda).
POSTER_HOST = "affiches.example"


def seed_store(path: Path, today: date | None = None, *, hostile: bool = True,
               poster_url: str | None = None) -> SqliteStore:
    store = SqliteStore(path)
    version = now_version()
    events = seed_events(today or datetime.now(PARIS).date())
    if not hostile:  # the README screenshots show what visitors normally see
        events = [e for e in events if e.source_uid != "hostile"]
    if poster_url:  # the fest-noz's source gives an image (a poster larger than shown)
        events = [dataclasses.replace(e, image=poster_url) if e.source_uid == "fest-noz"
                  else e for e in events]
    store.apply_sync([EventMessage.upsert(e, version) for e in events])
    return store


def seed_calls(path: Path) -> None:
    """Three calls for projects (open, open, closed) in the calls store at ``path``."""
    now = datetime.now(UTC)
    calls = [
        Call.create(publisher="ville-rennes", publisher_id="fia", title="Fonds d'initiatives "
                    "associatives", funder="Ville de Rennes", deadline=now + timedelta(days=5),
                    description="<p>Soutien aux projets de quartier.</p>",
                    themes=("citoyennete",), audiences=("associations",),
                    amount=Amount(min=500, max=5000), joint_welcome=True),
        Call.create(publisher="ville-rennes", publisher_id="jardins", title="Jardins partagés "
                    "2027", funder="Rennes Métropole", deadline=now + timedelta(days=60),
                    perimeter="rennes-metropole", themes=("environnement",),
                    audiences=("associations", "collectifs")),
        Call.create(publisher="ville-rennes", publisher_id="ancien", title="Appel clos",
                    funder="Ville de Rennes", deadline=now - timedelta(days=3)),
    ]
    store = CallStore(path)
    store.apply_sync([CallMessage.upsert(c, version=i + 1) for i, c in enumerate(calls)])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def png_tile(rgb: tuple[int, int, int] = (232, 236, 226)) -> bytes:
    """A plain 256×256 PNG with a faint grid: an offline stand-in for map tiles."""
    rows = []
    for y in range(256):
        line = bytearray([0])
        for x in range(256):
            edge = x % 64 == 0 or y % 64 == 0
            line += bytes(c - 18 if edge else c for c in rgb)
        rows.append(bytes(line))
    raw = zlib.compress(b"".join(rows), 9)

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 256, 256, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(
        b"IEND", b"")


@web.middleware
async def keep_html(request: web.Request, handler: Any) -> web.StreamResponse:
    """Outermost middleware: remember the HTML of each page served (for the HTML checker)."""
    response = await handler(request)
    if (request.method == "GET" and isinstance(response, web.Response)
            and response.content_type == "text/html" and isinstance(response.body, bytes)):
        body = response.body
        if response.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        SERVED_HTML[str(request.rel_url)] = body.decode(response.charset or "utf-8")
    return response
def poster_png() -> bytes:
    """A 2400×1600 poster (stripes of Breton colours), bigger than the page shows."""
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (2400, 1600), (250, 250, 245))
    draw = ImageDraw.Draw(img)
    for n in range(9):
        draw.rectangle((0, n * 178, 2400, n * 178 + 89), fill=(20, 20, 20) if n % 2 else
                       (235, 235, 230))
    draw.rectangle((0, 0, 900, 800), fill=(25, 70, 140))
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


class LoopbackResolver:
    """Sends the given host names to 127.0.0.1 (and no other name anywhere)."""

    def __init__(self, names: set[str]) -> None:
        self.names = names

    async def resolve(self, host: str, port: int) -> list[str]:
        if host not in self.names:
            raise OSError(f"unknown host {host}")
        return ["127.0.0.1"]


HOST_PAGE = """<!doctype html><html lang="fr"><head><meta charset="utf-8">
<title>Le Jardin Moderne</title></head><body><main><h1>Nos prochains concerts</h1>
<script src="{site}/widget.js" data-organizer="Le Jardin Moderne" data-limit="5"
 data-titre="Au Jardin Moderne" async></script></main></body></html>"""


class Site:
    """The query app on loopback, in a background thread, and beside it another server
    standing for the rest of the web: map tiles and an association's page embedding the
    widget (``/hote``)."""

    def __init__(self, data_dir: Path, *, hostile: bool = True) -> None:
        self.port = free_port()
        self.tile_port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.other_url = f"http://127.0.0.1:{self.tile_port}"
        self.tile_url = f"{self.other_url}/tiles/{{z}}/{{x}}/{{y}}.png"
        self.poster_url = f"http://{POSTER_HOST}:{self.tile_port}/affiches/fest-noz.png"
        self.store = seed_store(data_dir / "index.sqlite", hostile=hostile,
                                poster_url=self.poster_url)
        base = load(SETTINGS, {
            "MAILLAGE_DATA_DIR": str(data_dir), "MAILLAGE_RATE_LIMIT": "0",
            "MAILLAGE_SQLITE_PATH": str(data_dir / "index.sqlite"),
            "MAILLAGE_MICROCACHE_SECONDS": "0",  # a moved clock is seen at once
        })
        #: the app's clock: the system's, or this moment when a test moves it
        self.now: datetime | None = None
        self.settings = Settings({**base.as_dict(), "tile_url": self.tile_url,
                                  "tile_attribution": "Tuiles de test"})
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._start())
        self._ready.set()
        self._loop.run_forever()

    async def _start(self) -> None:
        app = create_app(self.settings, self.store, clock=self.clock)
        app.middlewares.insert(0, keep_html)
        # images of events come from "the web": a fake resolver names the loopback server
        app[IMAGES] = ImageCache(app[IMAGES].directory, Fetcher(
            FetchConfig(allow_private=True), LoopbackResolver({POSTER_HOST})))
        self.app = app
        tile = png_tile()
        poster = poster_png()

        async def tile_handler(request: web.Request) -> web.Response:
            return web.Response(body=tile, content_type="image/png")

        async def host_page(request: web.Request) -> web.Response:
            # Another site embedding the agenda with the script snippet.
            return web.Response(text=HOST_PAGE.format(site=self.url), content_type="text/html")

        async def poster_handler(request: web.Request) -> web.Response:
            return web.Response(body=poster, content_type="image/png")

        tiles = web.Application()
        tiles.router.add_get("/tiles/{z}/{x}/{y}.png", tile_handler)
        tiles.router.add_get("/affiches/fest-noz.png", poster_handler)
        tiles.router.add_get("/hote", host_page)
        self._runners = [web.AppRunner(app, access_log=None),
                         web.AppRunner(tiles, access_log=None)]
        for runner, port in zip(self._runners, (self.port, self.tile_port), strict=True):
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", port).start()

    def clock(self) -> datetime:
        return self.now or datetime.now(UTC)

    def start(self) -> Site:
        self._thread.start()
        if not self._ready.wait(30):
            raise RuntimeError("the query app did not start")
        return self

    def stop(self) -> None:
        async def cleanup() -> None:
            for runner in self._runners:
                await runner.cleanup()

        asyncio.run_coroutine_threadsafe(cleanup(), self._loop).result(30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(30)
        self._loop.close()
