"""``maillage reference fetch``: the reference data the indexer reads, from the official exports.

Each dataset is downloaded from its official open-data export (the URLs below; SOURCES.md of
the reference directory and the README's "Reference data" table say where they come from),
through the harvester's SSRF-guarded fetcher, then **checked** (format, expected counts,
codes, coordinates inside Rennes Métropole, and the checksum data.gouv.fr publishes for its
resources) and **converted** to the files :mod:`shared.reference` reads:

=================  ==========================================================================
dataset            files written
=================  ==========================================================================
quartiers          ``rennes_quartiers.geojson``, ``rennes_quartiers.csv`` (Rennes Métropole)
communes           ``rennes_metropole_communes.geojson``, ``rennes_metropole_communes.csv``
rna                ``association_themes_rna.csv``, ``rna_nomenclature_waldec_raw.csv``
                   (data.gouv.fr, Répertoire National des Associations)
streets            ``rennes_streets_osm.csv`` (OpenStreetMap through the Overpass API, ODbL)
=================  ==========================================================================

The venues (``rennes_venues.csv``) and the accessibility vocabulary are edited files with no
single export: they are kept when present, and the indexer works without them.

Storing is atomic per dataset: its files are written beside the target and renamed over the
previous ones only once every file of the dataset was built and checked, so a failed fetch
keeps the previous data. ``fetched.json`` records what was fetched, when, from where, with
its SHA-256; it is written last, and the indexer re-reads the directory when it changes.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import os
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from services.harvester.fetcher import Fetcher
from shared.errors import MaillageError, ParseError

ODS = "https://data.rennesmetropole.fr/api/explore/v2.1/catalog/datasets/{}/exports/geojson"
QUARTIERS_URL = ODS.format("perimetres-des-12-quartiers-de-la-ville-de-rennes")
COMMUNES_URL = ODS.format("limites-communales-referentielles-de-rennes-metropole-polygones")
RNA_URL = "https://www.data.gouv.fr/api/1/datasets/repertoire-national-des-associations/"
RNA_FILE = "rna-nomenclature-waldec.csv"
#: Named highways inside the administrative boundary of Rennes (OSM relation 54517).
OVERPASS_QUERY = ("[out:json][timeout:180];area(3600054517)->.rennes;"
                  "way(area.rennes)[highway][name];out tags geom;")
STREETS_URL = "https://overpass-api.de/api/interpreter?data=" + quote(OVERPASS_QUERY)

#: (min lon, min lat, max lon, max lat) a little wider than Rennes and Rennes Métropole.
RENNES_BBOX = (-1.78, 48.06, -1.60, 48.16)
METROPOLE_BBOX = (-2.00, 47.90, -1.40, 48.35)
RNA_COLUMNS = ["Identifiant objet social parent", "Libellé objet social parent",
               "Identifiant objet social", "Libellé objet social"]

Get = Callable[[str], Awaitable[bytes]]


class ReferenceError(ParseError):
    """An export that does not look like the dataset it should be."""

    kind = "reference"


@dataclass(frozen=True)
class Dataset:
    name: str
    url: str
    build: Callable[[Get, str], Awaitable[dict[str, bytes]]]
    what: str


# -- checks and conversions (pure functions) ------------------------------------------------

def _features(raw: bytes, what: str) -> list[dict[str, Any]]:
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise ReferenceError(f"{what}: not JSON ({exc})") from exc
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise ReferenceError(f"{what}: not a GeoJSON FeatureCollection")
    features = data.get("features")
    if not isinstance(features, list):
        raise ReferenceError(f"{what}: no features")
    return features


def _rings(geometry: dict[str, Any]) -> list[list[list[float]]]:
    kind, coords = geometry.get("type"), geometry.get("coordinates")
    if kind == "Polygon":
        return list(coords or [])
    if kind == "MultiPolygon":
        return [ring for polygon in coords or [] for ring in polygon]
    raise ReferenceError(f"geometry {kind!r} is not a polygon")


def _inside(geometry: dict[str, Any], bbox: tuple[float, float, float, float], what: str,
            where: str) -> None:
    for ring in _rings(geometry):
        for lon, lat, *_ in ring:
            if not (bbox[0] <= lon <= bbox[2] and bbox[1] <= lat <= bbox[3]):
                raise ReferenceError(f"{what}: a point ({lat}, {lon}) is outside {where} "
                                     "(coordinates must be WGS84 longitude, latitude)")


def _point(value: Any) -> tuple[str, str]:
    """(lat, lon) of an Opendatasoft ``geo_point_2d``: ``{"lon", "lat"}`` (API v2.1) or
    ``[lat, lon]`` (older exports)."""
    if isinstance(value, dict):
        return str(value.get("lat", "")), str(value.get("lon", ""))
    if isinstance(value, list) and len(value) == 2:
        return str(value[0]), str(value[1])
    return "", ""


def _csv(header: list[str], rows: list[list[Any]], delimiter: str = ",") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode()


def _geojson(features: list[dict[str, Any]]) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": features},
                      ensure_ascii=False).encode()


def build_quartiers(raw: bytes) -> dict[str, bytes]:
    """The 12 quartiers of Rennes: the GeoJSON as published, and one CSV row each."""
    what = "quartiers"
    features = _features(raw, what)
    rows, numbers = [], set()
    for feat in features:
        props = feat.get("properties") or {}
        try:
            number = int(props["nuquart"])
            name = str(props["nom"]).strip()
        except (KeyError, TypeError, ValueError) as exc:
            raise ReferenceError(f"{what}: a feature has no 'nuquart'/'nom' ({exc})") from exc
        _inside(feat.get("geometry") or {}, RENNES_BBOX, what, "Rennes")
        numbers.add(number)
        lat, lon = _point(props.get("geo_point_2d"))
        rows.append([number, name, props.get("nmquart") or name.upper(),
                     props.get("matricule") or f"Q.{number}", lat, lon,
                     props.get("aire_geo", ""), props.get("perimetre_geo", "")])
    if numbers != set(range(1, 13)) or len(features) != 12:
        raise ReferenceError(f"{what}: expected the 12 quartiers numbered 1 to 12, got "
                             f"{len(features)} features numbered {sorted(numbers)}")
    rows.sort(key=lambda r: int(r[0]))
    header = ["number", "name", "name_upper", "matricule", "centroid_lat", "centroid_lon",
              "area_m2", "perimeter_m"]
    return {"rennes_quartiers.geojson": _geojson(features),
            "rennes_quartiers.csv": _csv(header, rows)}


def cc48_to_wgs84(x: float, y: float) -> tuple[float, float]:
    """(lat, lon) of a point in EPSG:3948 (RGF93 / CC48, the Lambert conformal conic zone of
    Rennes), on GRS80; the inverse projection of IGN's notice NTG_71 (ALG0004, with the
    iterative latitude of ALG0002)."""
    a, e = 6378137.0, 0.0818191910428158
    phi1, phi2, phi0 = map(math.radians, (47.25, 48.75, 48.0))
    lon0, x0, y0 = math.radians(3.0), 1_700_000.0, 7_200_000.0

    def m(phi: float) -> float:
        return math.cos(phi) / math.sqrt(1 - (e * math.sin(phi)) ** 2)

    def t(phi: float) -> float:
        s = e * math.sin(phi)
        return math.tan(math.pi / 4 - phi / 2) / math.pow((1 - s) / (1 + s), e / 2)

    n = (math.log(m(phi1)) - math.log(m(phi2))) / (math.log(t(phi1)) - math.log(t(phi2)))
    f = m(phi1) / (n * t(phi1) ** n)
    rho0 = a * f * t(phi0) ** n
    dx, dy = x - x0, rho0 - (y - y0)
    rho = math.copysign(math.hypot(dx, dy), n)
    tt = (rho / (a * f)) ** (1 / n)
    lon = math.atan2(dx, dy) / n + lon0
    lat = math.pi / 2 - 2 * math.atan(tt)
    for _ in range(10):
        s = e * math.sin(lat)
        lat = math.pi / 2 - 2 * math.atan(tt * ((1 - s) / (1 + s)) ** (e / 2))
    return float(math.degrees(lat)), float(math.degrees(lon))


def build_communes(raw: bytes) -> dict[str, bytes]:
    """The 43 communes of Rennes Métropole: the GeoJSON as published, and one CSV row each
    (centroid from ``geo_point_2d``, bourg centre converted from CC48; the town-hall points
    are not in this export and stay empty: the indexer then uses the bourg centre)."""
    what = "communes"
    features = _features(raw, what)
    rows, codes = [], set()
    for feat in features:
        props = feat.get("properties") or {}
        try:
            insee = str(int(float(props["code_insee"]))).zfill(5)
            name = str(props["nom"]).strip()
        except (KeyError, TypeError, ValueError) as exc:
            raise ReferenceError(f"{what}: a feature has no 'code_insee'/'nom' ({exc})") from exc
        if not insee.startswith("35"):
            raise ReferenceError(f"{what}: {insee} is not a commune of Ille-et-Vilaine")
        _inside(feat.get("geometry") or {}, METROPOLE_BBOX, what, "Rennes Métropole")
        codes.add(insee)
        lat, lon = _point(props.get("geo_point_2d"))
        bourg = ("", "")
        if props.get("x_centrbrg") and props.get("y_centrbrg"):
            blat, blon = cc48_to_wgs84(float(props["x_centrbrg"]), float(props["y_centrbrg"]))
            bourg = (f"{blat:.6f}", f"{blon:.6f}")
        postcodes = ";".join(p.strip() for p in str(props.get("code_postal") or "").split("#")
                             if p.strip())
        rows.append([insee, name[:1].upper() + name[1:], postcodes, lat, lon, *bourg, "", ""])
    if len(codes) != 43 or len(features) != 43 or "35238" not in codes:
        raise ReferenceError(f"{what}: expected the 43 communes with Rennes (35238), got "
                             f"{len(features)} features, {len(codes)} codes")
    rows.sort(key=lambda r: r[0])
    header = ["code_insee", "name", "postcodes", "centroid_lat", "centroid_lon", "bourg_lat",
              "bourg_lon", "mairie_lat", "mairie_lon"]
    return {"rennes_metropole_communes.geojson": _geojson(features),
            "rennes_metropole_communes.csv": _csv(header, rows)}


def _sentence(label: str) -> str:
    text = " ".join(label.split()).lower()
    return text[:1].upper() + text[1:]


def build_rna(raw: bytes) -> dict[str, bytes]:
    """The RNA theme nomenclature (``rna-nomenclature-waldec.csv``, semicolons) as the
    indexer's table: top levels in sentence case; a sub-theme whose official parent is not a
    theme of the file (``033000``, ``037000``) is attached to its own ``xxx000`` code."""
    what = "rna"
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252")
    reader = csv.reader(io.StringIO(text), delimiter=";")
    header = [h.strip() for h in next(reader, [])]
    if header != RNA_COLUMNS:
        raise ReferenceError(f"{what}: unexpected columns {header}; expected {RNA_COLUMNS}")
    entries = []
    for line in reader:
        if not any(cell.strip() for cell in line):
            continue
        if len(line) != 4 or not all(c.strip().isdigit() and len(c.strip()) == 6
                                     for c in (line[0], line[2])):
            raise ReferenceError(f"{what}: unreadable line {line}")
        entries.append([" ".join(c.split()) for c in line])
    tops = {code for parent, _, code, _ in entries if parent == code}
    rows = []
    for parent, parent_label, code, label in entries:
        if code in tops:
            rows.append([code, _sentence(label), "", 1, label, parent, parent_label])
            continue
        attached = parent if parent in tops else code[:3] + "000"
        if attached not in tops:
            raise ReferenceError(f"{what}: code {code} has no parent theme")
        rows.append([code, label, attached, 2, label, parent, parent_label])
    if len(rows) < 250 or len(tops) < 25:
        raise ReferenceError(f"{what}: {len(rows)} codes and {len(tops)} top levels; expected "
                             "about 300 and 29")
    rows.sort(key=lambda r: str(r[0]))
    header_out = ["code", "label", "parent_code", "level", "label_official",
                  "official_parent_code", "official_parent_label"]
    return {"association_themes_rna.csv": _csv(header_out, rows),
            "rna_nomenclature_waldec_raw.csv": raw}


def _metres(a: dict[str, float], b: dict[str, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (a["lat"], a["lon"], b["lat"], b["lon"]))
    h = (math.sin((lat2 - lat1) / 2) ** 2
         + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2)
    return 2 * 6_371_008.8 * math.asin(math.sqrt(h))


def build_streets(raw: bytes) -> dict[str, bytes]:
    """Named highways of Rennes (Overpass JSON with geometries), one row per street name:
    the length-weighted centre of its segments snapped to its nearest vertex (a point on the
    street), its length, number of ways, bounding box, Breton name and highway classes."""
    what = "streets"
    try:
        elements = json.loads(raw)["elements"]
    except (ValueError, KeyError, TypeError) as exc:
        raise ReferenceError(f"{what}: not an Overpass JSON answer ({exc})") from exc
    streets: dict[str, dict[str, Any]] = {}
    for way in elements:
        tags, geometry = way.get("tags") or {}, way.get("geometry") or []
        name = str(tags.get("name") or "").strip()
        if way.get("type") != "way" or not name or len(geometry) < 2:
            continue
        street = streets.setdefault(name, {"points": [], "length": 0.0, "sx": 0.0, "sy": 0.0,
                                           "ways": 0, "br": "", "highway": set()})
        street["ways"] += 1
        street["br"] = street["br"] or str(tags.get("name:br") or "")
        street["highway"].add(str(tags.get("highway")))
        street["points"].extend(geometry)
        for a, b in zip(geometry, geometry[1:], strict=False):
            length = _metres(a, b)
            street["length"] += length
            street["sx"] += length * (a["lon"] + b["lon"]) / 2
            street["sy"] += length * (a["lat"] + b["lat"]) / 2
    rows = []
    for name in sorted(streets):
        s = streets[name]
        if s["length"] <= 0:
            continue
        cx, cy = s["sx"] / s["length"], s["sy"] / s["length"]
        near = min(s["points"], key=lambda p: (p["lon"] - cx) ** 2 + (p["lat"] - cy) ** 2)
        if not (RENNES_BBOX[0] <= near["lon"] <= RENNES_BBOX[2]
                and RENNES_BBOX[1] <= near["lat"] <= RENNES_BBOX[3]):
            raise ReferenceError(f"{what}: {name} lies outside Rennes")
        lats = [p["lat"] for p in s["points"]]
        lons = [p["lon"] for p in s["points"]]
        rows.append([name, s["br"], ";".join(sorted(s["highway"])), f"{near['lat']:.6f}",
                     f"{near['lon']:.6f}", round(s["length"]), s["ways"], f"{min(lats):.6f}",
                     f"{min(lons):.6f}", f"{max(lats):.6f}", f"{max(lons):.6f}"])
    if len(rows) < 500:
        raise ReferenceError(f"{what}: {len(rows)} named streets; Rennes has about 1,500")
    header = ["name", "name_br", "highway", "lat", "lon", "length_m", "n_segments",
              "bbox_min_lat", "bbox_min_lon", "bbox_max_lat", "bbox_max_lon"]
    return {"rennes_streets_osm.csv": _csv(header, rows)}


# -- downloading ------------------------------------------------------------------------------

async def _plain(build: Callable[[bytes], dict[str, bytes]], get: Get, url: str
                 ) -> dict[str, bytes]:
    return build(await get(url))


async def _rna(get: Get, url: str) -> dict[str, bytes]:
    """Find the nomenclature among the dataset's resources (data.gouv.fr API), download it
    and check it against the SHA-1 data.gouv.fr publishes for it."""
    try:
        resources = json.loads(await get(url))["resources"]
        resource = next(r for r in resources
                        if RNA_FILE in (str(r.get("title", "")) + str(r.get("url", ""))))
    except (ValueError, KeyError, TypeError, StopIteration) as exc:
        raise ReferenceError(f"rna: {RNA_FILE} not found among the dataset's resources") from exc
    raw = await get(str(resource["url"]))
    checksum = resource.get("checksum") or {}
    if checksum.get("type") == "sha1" and checksum.get("value"):
        if hashlib.sha1(raw).hexdigest() != checksum["value"]:
            raise ReferenceError("rna: the file does not match the checksum data.gouv.fr "
                                 "publishes for it (sha1)")
    return build_rna(raw)


DATASETS: tuple[Dataset, ...] = (
    Dataset("quartiers", QUARTIERS_URL, lambda g, u: _plain(build_quartiers, g, u),
            "the 12 quartiers of Rennes (Rennes Métropole open data)"),
    Dataset("communes", COMMUNES_URL, lambda g, u: _plain(build_communes, g, u),
            "the 43 communes of Rennes Métropole (Rennes Métropole open data)"),
    Dataset("rna", RNA_URL, _rna, "the RNA theme nomenclature (data.gouv.fr)"),
    Dataset("streets", STREETS_URL, lambda g, u: _plain(build_streets, g, u),
            "named streets of Rennes (OpenStreetMap, ODbL)"),
)


#: Error kinds of a fetch that never reached the portal (no network, no DNS, a firewall).
UNREACHABLE = frozenset({"dns", "connection", "timeout", "tls"})


@dataclass
class Outcome:
    dataset: str
    ok: bool
    message: str
    kind: str = ""  # of the error, when it failed
    url: str = ""


def store(directory: Path, files: dict[str, bytes]) -> None:
    """Write ``files`` into ``directory``: each beside its target, then renamed over it once
    all are written (a failure leaves the previous files)."""
    directory.mkdir(parents=True, exist_ok=True)
    staged: list[tuple[str, Path]] = []
    try:
        for name, content in files.items():
            fd, raw_path = tempfile.mkstemp(dir=directory, prefix=f".{name}.")
            with os.fdopen(fd, "wb") as fh:
                fh.write(content)
                fh.flush()
                os.fsync(fh.fileno())
            staged.append((name, Path(raw_path)))
        for name, staged_path in staged:
            os.replace(staged_path, directory / name)
    finally:
        for _, leftover in staged:
            leftover.unlink(missing_ok=True)


async def fetch_all(fetcher: Fetcher, directory: Path, urls: dict[str, str] | None = None,
                    only: set[str] | None = None) -> list[Outcome]:
    """Fetch, check, convert and store every dataset (``urls`` overrides the official URLs,
    for tests); one :class:`Outcome` each. ``fetched.json`` records the successes."""
    async def get(url: str) -> bytes:
        return (await fetcher.fetch(url)).body

    manifest_path = directory / "fetched.json"
    try:
        manifest: dict[str, Any] = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        manifest = {}
    outcomes = []
    for dataset in DATASETS:
        if only and dataset.name not in only:
            continue
        url = (urls or {}).get(dataset.name, dataset.url)
        try:
            files = await dataset.build(get, url)
        except MaillageError as exc:
            outcomes.append(Outcome(dataset.name, False, exc.message, exc.kind, url))
            continue
        store(directory, files)
        manifest[dataset.name] = {
            "url": url, "fetched": datetime.now(UTC).isoformat(timespec="seconds"),
            "files": {name: hashlib.sha256(body).hexdigest() for name, body in files.items()}}
        outcomes.append(Outcome(dataset.name, True, ", ".join(sorted(files)), url=url))
    if any(o.ok for o in outcomes):
        store(directory, {"fetched.json": json.dumps(manifest, indent=2).encode()})
    return outcomes
