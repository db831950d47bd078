"""Reference data (open data about Rennes) loaded once from a directory.

The directory is the setting ``MAILLAGE_REFERENCE_DIR`` (default ``../shared/reference``
relative to the repository, where development copies live); its ``SOURCES.md`` documents the
provenance and columns of every file. :func:`load_reference` reads it all and returns a frozen
:class:`Reference`; a missing required file, or any unreadable one, raises
:class:`~shared.errors.ConfigError` naming the file and where to get it officially.

The quartier and commune files are required; the venues, streets, RNA themes and
accessibility vocabulary are read when present (``maillage reference fetch`` builds all but
the venues and the vocabulary, which are edited files). ``maillage reference fetch`` writes
under ``<data dir>/reference``, which ``maillage run`` uses when present.

Point lookups: :meth:`Reference.quartier_at` and :meth:`Reference.commune_at` (see
:mod:`shared.geo`).
"""

from __future__ import annotations

import csv
import json
import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shared.errors import ConfigError
from shared.geo import Area, AreaIndex
from shared.settings import Setting

log = logging.getLogger(__name__)

RENNES_INSEE = "35238"
REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_REFERENCE_DIR = "../shared/reference"

REFERENCE_SETTING = Setting(
    "MAILLAGE_REFERENCE_DIR",
    DEFAULT_REFERENCE_DIR,
    "Directory of the reference data (quartiers, communes, venues, streets, RNA themes, "
    "accessibility vocabulary); relative paths are resolved from the repository root.",
)

#: file name -> where to get it officially (shown when the file is missing).
OFFICIAL_SOURCES: Mapping[str, str] = {
    "rennes_quartiers.geojson": "data.rennesmetropole.fr, dataset "
    "'perimetres-des-12-quartiers-de-la-ville-de-rennes' (export GeoJSON)",
    "rennes_metropole_communes.geojson": "data.rennesmetropole.fr, dataset "
    "'limites-communales-referentielles-de-rennes-metropole-polygones' (export GeoJSON)",
    "rennes_metropole_communes.csv": "built from the communes dataset above plus the town-hall "
    "points of Rennes Métropole (see SOURCES.md §2)",
    "rennes_venues.csv": "the Maillage reference bundle (see SOURCES.md §3)",
    "rennes_streets_osm2013.csv": "OpenStreetMap (named highways of Rennes, ODbL), "
    "see SOURCES.md §4",
    "rennes_streets_osm.csv": "OpenStreetMap (named highways of Rennes, ODbL), built by "
    "'maillage reference fetch'",
    "association_themes_rna.csv": "data.gouv.fr, dataset 'Répertoire National des "
    "Associations', file rna-nomenclature-waldec.csv (see SOURCES.md §5)",
    "accessibility_vocabulary.csv": "the Maillage reference bundle (see SOURCES.md §6)",
}


@dataclass(frozen=True, slots=True)
class Venue:
    name: str
    aliases: tuple[str, ...]
    address: str
    postcode: str
    city: str
    lat: float | None
    lon: float | None
    kind: str
    coord_precision: str
    quartier: str = ""  # as computed by the data's author ("1 - Centre"), for evaluation


@dataclass(frozen=True, slots=True)
class Street:
    name: str
    lat: float
    lon: float
    length_m: float
    name_br: str = ""


@dataclass(frozen=True, slots=True)
class Commune:
    insee: str
    name: str
    postcodes: tuple[str, ...]
    lat: float  # the town hall when known, else the polygon centroid
    lon: float
    centroid_lat: float | None = None  # the polygon centroid (geo_point_2d)
    centroid_lon: float | None = None

    @property
    def centre(self) -> tuple[float, float]:
        """The point that stands for the whole commune: its centroid, else its town hall."""
        if self.centroid_lat is not None and self.centroid_lon is not None:
            return self.centroid_lat, self.centroid_lon
        return self.lat, self.lon


@dataclass(frozen=True, slots=True)
class RnaTheme:
    code: str
    label: str
    parent_code: str | None
    level: int


@dataclass(frozen=True, slots=True)
class AccessTerm:
    scheme: str
    code: str
    label_fr: str
    openagenda_code: str
    keywords: tuple[str, ...]


@dataclass(frozen=True)
class Reference:
    quartiers: AreaIndex
    communes: AreaIndex
    commune_info: Mapping[str, Commune]
    venues: tuple[Venue, ...]
    streets: tuple[Street, ...]
    rna: Mapping[str, RnaTheme]
    accessibility: tuple[AccessTerm, ...]
    directory: Path = field(default=Path("."))

    @classmethod
    def empty(cls, directory: Path) -> Reference:
        """No reference data: events are enriched but never placed (see the README for
        where the official datasets are downloaded)."""
        return cls(AreaIndex(()), AreaIndex(()), {}, (), (), {}, (), directory)

    def quartier_at(self, lat: float, lon: float) -> str | None:
        """The name of the Rennes quartier holding the point, if any."""
        area = self.quartiers.locate(lat, lon)
        return area.name if area else None

    def commune_at(self, lat: float, lon: float) -> Commune | None:
        """The Rennes Métropole commune holding the point, if any."""
        area = self.communes.locate(lat, lon)
        return self.commune_info.get(area.code) if area else None


def reference_dir(environ: Mapping[str, str]) -> Path:
    """The reference directory named by ``MAILLAGE_REFERENCE_DIR`` (relative to the repo)."""
    raw = environ.get(REFERENCE_SETTING.name) or DEFAULT_REFERENCE_DIR
    path = Path(raw)
    return path if path.is_absolute() else (REPO_ROOT / path).resolve()


#: The streets file ``maillage reference fetch`` writes, then the older one of the bundle.
STREET_FILES = ("rennes_streets_osm.csv", "rennes_streets_osm2013.csv")


def directory_stamp(directory: Path) -> tuple[tuple[str, int, int], ...]:
    """Name, size and modification time of every file of ``directory`` (empty when it does
    not exist): a reader compares two stamps to know whether to load the data again."""
    try:
        entries = sorted(p for p in Path(directory).iterdir() if p.is_file())
    except OSError:
        return ()
    stamp = []
    for path in entries:
        try:
            info = path.stat()
        except OSError:
            continue
        stamp.append((path.name, info.st_size, info.st_mtime_ns))
    return tuple(stamp)


def _present(directory: Path, name: str) -> bool:
    if (directory / name).is_file():
        return True
    log.warning("reference file %s not found in %s: done without it (%s)", name, directory,
                OFFICIAL_SOURCES.get(name, "see SOURCES.md"))
    return False


def _path(directory: Path, name: str) -> Path:
    path = directory / name
    if not path.is_file():
        raise ConfigError(
            f"reference file {name} not found in {directory} "
            f"(set MAILLAGE_REFERENCE_DIR); get it from {OFFICIAL_SOURCES.get(name, 'SOURCES.md')}"
        )
    return path


def _rows(directory: Path, name: str) -> Iterator[dict[str, str]]:
    path = _path(directory, name)
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            yield from csv.DictReader(fh)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ConfigError(f"reference file {name} cannot be read: {exc}") from exc


def _geojson(directory: Path, name: str) -> list[dict[str, Any]]:
    path = _path(directory, name)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return list(data["features"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"reference file {name} is not valid GeoJSON: {exc}") from exc


def _float(raw: str | None) -> float | None:
    try:
        return float(raw) if raw not in (None, "") else None
    except ValueError:
        return None


def _insee(raw: Any) -> str:
    return str(int(float(raw))).zfill(5)


def _split(raw: str | None, sep: str = ";") -> tuple[str, ...]:
    return tuple(p.strip() for p in (raw or "").split(sep) if p.strip())


def _areas(features: list[dict[str, Any]], code_key: str, name_key: str) -> AreaIndex:
    areas = []
    for feat in features:
        props = feat.get("properties") or {}
        areas.append(
            Area.from_geometry(str(props[code_key]), str(props[name_key]), feat["geometry"])
        )
    return AreaIndex(areas)


def area_features(directory: Path, kind: str) -> list[tuple[str, str, dict[str, Any]]]:
    """``(code, name, GeoJSON geometry)`` of each ``quartier`` or ``commune`` of the directory
    (the commune codes are INSEE codes of five digits)."""
    name, code_key = (("rennes_quartiers.geojson", "nuquart") if kind == "quartier"
                      else ("rennes_metropole_communes.geojson", "code_insee"))
    out = []
    for feat in _geojson(directory, name):
        props = feat.get("properties") or {}
        code = _insee(props[code_key]) if kind == "commune" else str(props[code_key])
        out.append((code, str(props["nom"]), feat["geometry"]))
    return out


def _communes(directory: Path) -> tuple[AreaIndex, dict[str, Commune]]:
    features = _geojson(directory, "rennes_metropole_communes.geojson")
    for feat in features:
        feat["properties"]["code_insee"] = _insee(feat["properties"]["code_insee"])
    index = _areas(features, "code_insee", "nom")
    info: dict[str, Commune] = {}
    for row in _rows(directory, "rennes_metropole_communes.csv"):
        lat = lon = None
        for point in ("mairie", "bourg", "centroid"):  # the town hall, else the bourg, ...
            if lat is None or lon is None:
                lat, lon = _float(row.get(f"{point}_lat")), _float(row.get(f"{point}_lon"))
        if lat is None or lon is None:
            continue
        insee = row["code_insee"].zfill(5)
        info[insee] = Commune(
            insee,
            row["name"],
            _split(row.get("postcodes")),
            lat,
            lon,
            _float(row.get("centroid_lat")),
            _float(row.get("centroid_lon")),
        )
    return index, info


def metropole_communes(directory: Path) -> dict[str, str]:
    """INSEE code → name of the communes of Rennes Métropole, from the communes CSV alone
    (what an import keeps; cheaper than :func:`load_reference`)."""
    return {row["code_insee"].zfill(5): row["name"]
            for row in _rows(Path(directory), "rennes_metropole_communes.csv")
            if row.get("code_insee")}


def rna_theme_codes(directory: Path) -> frozenset[str]:
    """The RNA ``objet_social`` codes of ``association_themes_rna.csv`` (empty without it)."""
    return frozenset(_rna(Path(directory)))


def _venues(directory: Path) -> tuple[Venue, ...]:
    if not _present(directory, "rennes_venues.csv"):
        return ()
    return tuple(
        Venue(
            name=row["name"].strip(),
            aliases=_split(row.get("aliases")),
            address=(row.get("address") or "").strip(),
            postcode=(row.get("postcode") or "").strip(),
            city=(row.get("city") or "").strip(),
            lat=_float(row.get("lat")),
            lon=_float(row.get("lon")),
            kind=(row.get("kind") or "").strip(),
            coord_precision=(row.get("coord_precision") or "").strip(),
            quartier=(row.get("quartier") or "").strip(),
        )
        for row in _rows(directory, "rennes_venues.csv")
        if row.get("name")
    )


def _streets(directory: Path) -> tuple[Street, ...]:
    name = next((n for n in STREET_FILES if (directory / n).is_file()), None)
    if name is None:
        _present(directory, STREET_FILES[0])
        return ()
    streets = []
    for row in _rows(directory, name):
        lat, lon = _float(row.get("lat")), _float(row.get("lon"))
        if lat is None or lon is None or not row.get("name"):
            continue
        length = _float(row.get("length_m")) or 0.0
        streets.append(Street(row["name"], lat, lon, length, row.get("name_br") or ""))
    return tuple(streets)


def _rna(directory: Path) -> dict[str, RnaTheme]:
    if not _present(directory, "association_themes_rna.csv"):
        return {}
    return {
        row["code"].zfill(6): RnaTheme(
            row["code"].zfill(6),
            row["label"],
            row.get("parent_code") or None,
            int(row.get("level") or 1),
        )
        for row in _rows(directory, "association_themes_rna.csv")
    }


def _accessibility(directory: Path) -> tuple[AccessTerm, ...]:
    if not _present(directory, "accessibility_vocabulary.csv"):
        return ()
    return tuple(
        AccessTerm(
            row["scheme"],
            row["code"],
            row.get("label_fr") or "",
            row.get("openagenda_code") or "",
            _split(row.get("keywords_fr")),
        )
        for row in _rows(directory, "accessibility_vocabulary.csv")
    )


def load_reference(directory: Path) -> Reference:
    """Read every reference file of ``directory`` (a few hundred ms; do it once)."""
    directory = Path(directory)
    if not directory.is_dir():
        raise ConfigError(f"reference directory {directory} not found (set MAILLAGE_REFERENCE_DIR)")
    quartiers = _areas(_geojson(directory, "rennes_quartiers.geojson"), "nuquart", "nom")
    communes, commune_info = _communes(directory)
    return Reference(
        quartiers=quartiers,
        communes=communes,
        commune_info=commune_info,
        venues=_venues(directory),
        streets=_streets(directory),
        rna=_rna(directory),
        accessibility=_accessibility(directory),
        directory=directory,
    )
