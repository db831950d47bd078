"""``maillage reference fetch`` against a loopback server standing for the open-data portals
(small fixtures written here in the official export formats: Opendatasoft GeoJSON exports,
the data.gouv.fr dataset API and its CSV, an Overpass JSON answer), and the indexer picking
up new reference data while it runs."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import hashlib
import io
import json
import os
import sys
from datetime import datetime
from pathlib import Path

import pytest

from services.cli.reference_fetch import cc48_to_wgs84
from services.indexer.service import follow_reference, make_enricher
from services.indexer.settings import SETTINGS as INDEXER_SETTINGS
from shared.model import PARIS, Event, Location, Occurrence
from shared.natsserver import free_port
from shared.reference import load_reference
from shared.settings import load
from tests.conftest import FeedServer

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


def square(lon: float, lat: float, size: float = 0.004) -> dict:
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size],
            [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


def quartiers(count: int = 12) -> bytes:
    features = [{"type": "Feature", "geometry": square(-1.72 + 0.008 * n, 48.10),
                 "properties": {"nuquart": n, "nom": f"Quartier {n}", "nmquart": f"QUARTIER {n}",
                                "matricule": f"Q.{n}", "code_insee": 35238,
                                "geo_point_2d": {"lon": round(-1.718 + 0.008 * n, 6),
                                                 "lat": 48.102},
                                "aire_geo": 16000.5, "perimetre_geo": 1200.0}}
                for n in range(1, count + 1)]
    return json.dumps({"type": "FeatureCollection", "features": features}).encode()


def communes() -> bytes:
    codes = ["35238"] + [f"35{n:03d}" for n in range(1, 43)]
    features = [{"type": "Feature", "geometry": square(-1.75, 48.05, 0.12) if code == "35238"
                 else square(-1.90 + 0.01 * i, 47.95, 0.008),
                 "properties": {"nom": "Rennes" if code == "35238" else f"Commune {i}",
                                "code_insee": float(code),
                                "code_postal": "35000#35200#35700" if code == "35238" else "35510",
                                "geo_point_2d": {"lon": -1.896 + 0.01 * i, "lat": 47.954},
                                "x_centrbrg": 1351500.0, "y_centrbrg": 7222500.0}}
                for i, code in enumerate(codes)]
    return json.dumps({"type": "FeatureCollection", "features": features}).encode()


def rna_csv() -> bytes:
    lines = ["Identifiant objet social parent;Libellé objet social parent;"
             "Identifiant objet social;Libellé objet social"]
    for top in [*range(1, 29), 32]:
        code = f"{top:03d}000"
        lines.append(f"{code};THÈME {top};{code};THÈME {top}")
        lines += [f"{code};THÈME {top};{top:03d}{sub:03d};sous-thème  {top}.{sub}"
                  for sub in range(5, 50, 5)]
    lines.append("033000;;032505;logement d'urgence")  # an official parent that is no theme
    return ("\n".join(lines) + "\n").encode()


def overpass(count: int = 600) -> bytes:
    elements = [{"type": "way", "id": n, "tags": {"highway": "residential", "name": f"Rue {n}"},
                 "geometry": [{"lat": 48.10 + n * 1e-5, "lon": -1.70},
                              {"lat": 48.10 + n * 1e-5, "lon": -1.699}]}
                for n in range(count)]
    return json.dumps({"version": 0.6, "elements": elements}).encode()


def serve(feeds: FeedServer, *, rna_checksum: str | None = None) -> list[str]:
    raw = rna_csv()
    feeds.put("rna.csv", raw, "text/csv")
    checksum = rna_checksum or hashlib.sha1(raw).hexdigest()
    meta = {"resources": [{"title": "Fichier RNA Import", "url": feeds.url("other.zip")},
                          {"title": "rna-nomenclature-waldec.csv", "url": feeds.url("rna.csv"),
                           "checksum": {"type": "sha1", "value": checksum}}]}
    return [
        "--url", "quartiers=" + feeds.put("q.geojson", quartiers(), "application/geo+json"),
        "--url", "communes=" + feeds.put("c.geojson", communes(), "application/geo+json"),
        "--url", "rna=" + feeds.put("rna.json", json.dumps(meta), "application/json"),
        "--url", "streets=" + feeds.put("streets.json", overpass(), "application/json"),
    ]


async def fetch(directory: Path, *urls: str, allow_private: bool = True) -> tuple[int, str]:
    env = {**os.environ, "MAILLAGE_ALLOW_PRIVATE": "true" if allow_private else "false"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services.cli", "reference", "fetch", "--dir", str(directory),
        *urls, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out, _ = await asyncio.wait_for(proc.communicate(), 60)
    return proc.returncode or 0, out.decode()


async def test_fetch_checks_converts_and_stores_what_the_indexer_reads(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    target = tmp_path / "reference"
    code, out = await fetch(target, *serve(feed_server))
    assert code == 0, out
    ref = load_reference(target)
    assert ref.quartier_at(48.102, -1.694) == "Quartier 3"
    rennes = ref.commune_info["35238"]
    assert (rennes.name, rennes.postcodes) == ("Rennes", ("35000", "35200", "35700"))
    assert (rennes.lat, rennes.lon) == pytest.approx(cc48_to_wgs84(1351500.0, 7222500.0),
                                                     abs=1e-6)  # the bourg, no town hall here
    assert ref.commune_at(48.102, -1.694).insee == "35238"
    assert ref.commune_at(47.954, -1.886).insee == "35001"
    assert len(ref.streets) == 600 and len(ref.rna) == 29 * 10 + 1
    assert ref.rna["032505"].parent_code == "032000"
    assert ref.rna["001000"].label == "Thème 1"
    rows = list(csv.DictReader(io.StringIO((target / "rennes_quartiers.csv").read_text())))
    assert rows[0] == {"number": "1", "name": "Quartier 1", "name_upper": "QUARTIER 1",
                       "matricule": "Q.1", "centroid_lat": "48.102", "centroid_lon": "-1.71",
                       "area_m2": "16000.5", "perimeter_m": "1200.0"}
    manifest = json.loads((target / "fetched.json").read_text())
    assert set(manifest) == {"quartiers", "communes", "rna", "streets"}
    body = (target / "rennes_quartiers.geojson").read_bytes()
    assert manifest["quartiers"]["files"]["rennes_quartiers.geojson"] == (
        hashlib.sha256(body).hexdigest())
    assert "rennes_venues.csv: not downloadable" in out


async def test_a_failed_dataset_keeps_its_previous_files(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    target = tmp_path / "reference"
    urls = serve(feed_server)
    assert (await fetch(target, *urls))[0] == 0
    before = {p.name: p.read_bytes() for p in target.iterdir()}
    feed_server.put("q.geojson", quartiers(11), "application/geo+json")  # one is missing
    feed_server.put("rna.csv", b"not;the;nomenclature\n", "text/csv")
    feed_server.put("streets.json", overpass(700), "application/json")
    code, out = await fetch(target, *urls)
    assert code == 1
    assert "quartiers  FAILED  quartiers: expected the 12 quartiers" in out
    assert "rna        FAILED  rna: the file does not match the checksum" in out
    for name in ("rennes_quartiers.geojson", "rennes_quartiers.csv",
                 "association_themes_rna.csv"):
        assert (target / name).read_bytes() == before[name], name
    assert len(load_reference(target).streets) == 700  # the others were updated
    assert not [p for p in target.iterdir() if p.name.startswith(".")], "staging files left"


async def test_the_portals_are_fetched_through_the_ssrf_guard(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    code, out = await fetch(tmp_path / "reference", *serve(feed_server), allow_private=False)
    assert code == 1 and out.count("FAILED") == 4, out
    assert "127.0.0.1" in out and not (tmp_path / "reference" / "fetched.json").exists()


async def test_no_network_is_one_clear_line_and_changes_nothing(tmp_path: Path) -> None:
    """A machine without internet access (here: nothing listens where the portals should
    be): one line that says so, no traceback, no list of failures, nothing written."""
    down = f"http://127.0.0.1:{free_port()}"
    urls = [arg for name in ("quartiers", "communes", "rna", "streets")
            for arg in ("--url", f"{name}={down}/{name}")]
    code, out = await fetch(tmp_path / "reference", *urls)
    assert code == 1
    assert out.count("\n") == 1 and "Traceback" not in out, out
    assert out.startswith("maillage reference: cannot reach the open-data portals (127.0.0.1:")
    assert "Nothing was fetched" in out and "FAILED" not in out
    assert not (tmp_path / "reference").exists()


async def test_a_running_indexer_uses_new_reference_data(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    target = tmp_path / "reference"
    settings = load(INDEXER_SETTINGS, {"MAILLAGE_REFERENCE_DIR": str(target)})

    class Holder:  # what follow_reference swaps: the indexer's enrich function
        pool = None  # no enrichment workers
        enrich = make_enricher(settings).enrich

    event = Event.create(source_id="s", source_uid="u", title="Réunion",
                         location=Location(name="Salle", lat=48.102, lon=-1.694),
                         occurrences=(Occurrence(datetime(2026, 12, 5, 20, tzinfo=PARIS)),))
    holder = Holder()
    assert holder.enrich(event).location.quartier is None  # no reference data yet
    task = asyncio.create_task(follow_reference(settings, holder, every_s=0.1))  # type: ignore[arg-type]
    try:
        assert (await fetch(target, *serve(feed_server)))[0] == 0
        for _ in range(100):
            if holder.enrich(event).location.quartier == "Quartier 3":
                break
            await asyncio.sleep(0.1)
        assert holder.enrich(event).location.quartier == "Quartier 3"
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
