"""Offline geocoding of event locations against the reference data.

Order of attempts (the first that succeeds gives ``Location.precision``):

``source``
    The source's coordinates when plausible: inside Rennes Métropole, or at least in
    Ille-et-Vilaine. ``0,0`` is rejected; swapped latitude/longitude and a lost minus sign on
    the longitude are detected and fixed (the reason says so).
``venue``
    The location name (or one of its parts: ``"Antipode MJC - Rennes"``), else its address
    when that names a place rather than a street (``Salle du conseil, mairie de Chantepie``),
    matched against the names and aliases of ``rennes_venues.csv``: exact key, key without
    ``salle``/``espace``, a close spelling (difflib), then a known name contained in the text
    (not a generic word such as ``théâtre``).
``street``
    The address (or a name that is an address) matched to a street of Rennes
    (``rennes_streets_osm2013.csv``, Rennes only): the street's representative point.
    There is no house-number data, so the number is ignored. A town written after the
    street without a comma (``8 rue Legraverend Rennes``) is the town, not part of the
    street's name.
``commune``
    The commune from the city name, the postcode, or a town the location's text names
    (:mod:`.towns`: ``Salle des fêtes de Pacé``, ``Médiathèque, Saint-Jacques-de-la-Lande``):
    the commune's centroid, which stands for the whole commune. Such a location has its
    ``commune`` and ``insee`` (so the commune filter finds it) but no ``quartier``, and
    readers must not show the point as the event's place (:func:`shared.model.exact_point`).

Then, for a point that is the event's place, the commune and (in Rennes) the quartier are
set by point in polygon. A text that names a town outside Rennes Métropole (``Saint-Malo,
salle du Quai``) is matched to no Rennes venue or street and gets no quartier: the location
is left unplaced, with the reason. Online events are left unplaced with reason ``online``.
Results are memoized per input location.

Idempotence: coordinates that this module computed (precision ``venue``, ``street`` or
``commune``) are never read back as source coordinates, and when a second run places the
location at the same point with the same precision, the first run's reason is kept.
"""

from __future__ import annotations

import bisect
import difflib
import math
import re
from collections.abc import Iterable
from dataclasses import replace

from shared.model import Location
from shared.reference import RENNES_INSEE, Commune, Reference, Street, Venue

from .places import (
    ARTICLES,
    GENERIC_WORDS,
    commune_keys,
    parse_address,
    street_key,
    street_name_part,
    venue_key,
    words,
)
from .towns import TownFinder

ILLE_ET_VILAINE = (47.62, -2.30, 48.72, -1.00)  # min lat, min lon, max lat, max lon
COMPUTED = frozenset({"venue", "street", "commune"})
GENERIC = frozenset({"salle", "espace"})
_PARTS = re.compile(r"\s+[-–—|/]\s+|[,;:()\[\]]")
_CACHE_MAX = 8192
#: How close a spelling must be to a known venue's (difflib's ratio).
CLOSE = 0.88


def _in_box(box: tuple[float, float, float, float], lat: float, lon: float) -> bool:
    return box[0] <= lat <= box[2] and box[1] <= lon <= box[3]


class Geocoder:
    def __init__(self, reference: Reference) -> None:
        self.ref = reference
        minx, miny, maxx, maxy = reference.communes.bbox
        self.metro_box = (miny, minx, maxy, maxx)
        self.venues: dict[str, Venue] = {}
        self.venues_loose: dict[str, list[Venue]] = {}
        for venue in reference.venues:  # primary names win over aliases
            self.venues.setdefault(venue_key(venue.name), venue)
        for venue in reference.venues:
            for alias in venue.aliases:
                self.venues.setdefault(venue_key(alias), venue)
        for key, venue in self.venues.items():
            loose = " ".join(w for w in key.split() if w not in GENERIC)
            if loose and loose != key:
                self.venues_loose.setdefault(loose, []).append(venue)
        self._venue_keys = sorted(self.venues, key=len)
        self._key_lengths = [len(k) for k in self._venue_keys]
        self._close: dict[str, str | None] = {}
        self.streets: dict[str, Street] = {}
        self.street_names: dict[str, list[Street]] = {}
        for street in reference.streets:
            key = street_key(street.name)
            self.streets.setdefault(key, street)
            self.street_names.setdefault(street_name_part(key), []).append(street)
        self.communes: dict[str, Commune] = {}
        self.postcodes: dict[str, list[Commune]] = {}
        for commune in reference.commune_info.values():
            for key in commune_keys(commune.name):
                self.communes.setdefault(key, commune)
            for code in commune.postcodes:
                self.postcodes.setdefault(code, []).append(commune)
        self.towns = TownFinder(reference.commune_info.values())
        self._cache: dict[Location, Location] = {}

    # -- public -----------------------------------------------------------------------------

    def geocode(self, location: Location) -> Location:
        cached = self._cache.get(location)
        if cached is None:
            cached = self._geocode(location)
            if len(self._cache) >= _CACHE_MAX:
                self._cache.clear()
            self._cache[location] = cached
        return cached

    # -- steps ------------------------------------------------------------------------------

    def _geocode(self, loc: Location) -> Location:
        if loc.online:
            return replace(loc, lat=None, lon=None, quartier=None, precision=None, reason="online")
        notes: list[str] = []
        result = None
        has_source_point = (
            loc.precision not in COMPUTED and loc.lat is not None and loc.lon is not None
        )
        if has_source_point:
            assert loc.lat is not None and loc.lon is not None
            result = self._from_source(loc, loc.lat, loc.lon, notes)
        elsewhere = None if result else self._elsewhere(loc, has_source_point)
        if elsewhere is not None:
            # Outside Rennes Métropole: never match a Rennes venue or street by name.
            if has_source_point and loc.lat and loc.lon and not notes[-1:] == [
                "source coordinates 0,0 rejected"
            ]:
                return replace(loc, quartier=None, commune=None, insee=None, precision="source",
                               reason=f"source; {elsewhere}")
            return replace(loc, lat=None, lon=None, quartier=None, commune=None, insee=None,
                           precision=None, reason=elsewhere)
        city, how = self._commune_of(loc)
        if result is None:
            result = self._from_venue(loc, city, notes)
        if result is None and (city is None or city.insee == RENNES_INSEE):
            result = self._from_street(loc)
        if result is None and city is not None:
            placed = self._commune_level(loc, city, f"commune:{city.name}{how}", notes)
        elif result is None:
            notes.append("no venue, street or commune matched")
            placed = replace(loc, lat=None, lon=None, quartier=None, precision=None,
                             reason="; ".join(notes))  # fmt: skip
        else:
            lat, lon, precision, reason = result
            placed = self._place(loc, lat, lon, precision, "; ".join([reason, *notes]))
        if loc.reason and (placed.lat, placed.lon, placed.precision) == (
            loc.lat,
            loc.lon,
            loc.precision,
        ):
            placed = replace(placed, reason=loc.reason)
        return placed

    def _from_source(
        self, loc: Location, lat: float, lon: float, notes: list[str]
    ) -> tuple[float, float, str, str] | None:
        if abs(lat) < 1e-6 and abs(lon) < 1e-6:
            notes.append("source coordinates 0,0 rejected")
            return None
        for box, where in ((self.metro_box, ""), (ILLE_ET_VILAINE, " (outside Rennes Métropole)")):
            if _in_box(box, lat, lon):
                return lat, lon, "source", "source" + where
            if _in_box(box, lon, lat):
                return lon, lat, "source", "source (latitude and longitude swapped)" + where
            if _in_box(box, lat, -lon):
                return lat, -lon, "source", "source (longitude sign fixed)" + where
        notes.append(f"source coordinates {lat:.5f},{lon:.5f} outside Ille-et-Vilaine rejected")
        return None

    def _from_venue(
        self, loc: Location, city: Commune | None, notes: list[str]
    ) -> tuple[float, float, str, str] | None:
        venue = self.match_venue(loc.name, city) if loc.name else None
        if venue is None and loc.address and parse_address(loc.address).street is None:
            # "Salle du conseil, mairie de X": no close spelling (an address is no venue name)
            venue = self.match_venue(loc.address, city, fuzzy=False)
        if venue is None:
            return None
        if venue.lat is None or venue.lon is None:
            notes.append(f"venue {venue.name} has no coordinates")
            return None
        return venue.lat, venue.lon, "venue", f"venue:{venue.name}"

    def match_venue(
        self, name: str, city: Commune | None = None, fuzzy: bool = True
    ) -> Venue | None:
        """The known venue a location name refers to, if any (``fuzzy``: by a close spelling
        too)."""
        candidates = [name, *(p for p in _PARTS.split(name) if p and p.strip())]
        keys = [k for k in dict.fromkeys(venue_key(c) for c in candidates) if k]
        # "Mairie" in Cesson-Sévigné is "Mairie de Cesson-Sévigné"
        in_city = [venue_key(f"{c} {city.name}") for c in candidates] if city else []
        for key in [*in_city, *keys]:
            for venue in self._exact(key):
                if self._city_ok(venue, city):
                    return venue
        for key in keys if fuzzy else ():
            close = self._close_match(key)
            if close is not None and self._city_ok(self.venues[close], city):
                return self.venues[close]
        tokens = " " + " ".join(w for w in words(name) if w not in ARTICLES) + " "
        for key in reversed(self._venue_keys):  # longest first
            if (
                " " in key or (len(key) >= 6 and key not in GENERIC_WORDS)
            ) and f" {key} " in tokens:
                venue = self.venues[key]
                if self._city_ok(venue, city) and venue.kind != "espace_public":
                    return venue
        return None

    def _close_match(self, key: str) -> str | None:
        """The known venue key closest to ``key`` in spelling (difflib), memoized: the same
        name comes with many addresses and towns."""
        if key not in self._close:
            if len(self._close) >= _CACHE_MAX:
                self._close.clear()
            close = difflib.get_close_matches(key, self._similar_length(key), n=1, cutoff=CLOSE)
            self._close[key] = close[0] if close else None
        return self._close[key]

    def _similar_length(self, key: str) -> list[str]:
        """The venue keys long enough and short enough to be a close spelling of ``key``.

        difflib drops first every candidate whose lengths alone bound the ratio below the
        cutoff (``real_quick_ratio``: 2·min/(sum)); these bounds keep a few more than that,
        so the match is the same, for a fraction of the comparisons.
        """
        shortest = math.floor(len(key) * CLOSE / (2 - CLOSE))
        longest = math.ceil(len(key) * (2 - CLOSE) / CLOSE)
        return self._venue_keys[bisect.bisect_left(self._key_lengths, shortest):
                                bisect.bisect_right(self._key_lengths, longest)]

    def _exact(self, key: str) -> Iterable[Venue]:
        if key in self.venues:
            yield self.venues[key]
        loose = " ".join(w for w in key.split() if w not in GENERIC)
        if loose in self.venues:
            yield self.venues[loose]
        found = self.venues_loose.get(loose, [])
        if len({(v.lat, v.lon) for v in found}) == 1:
            yield found[0]

    @staticmethod
    def _city_ok(venue: Venue, city: Commune | None) -> bool:
        if city is None or not venue.city:
            return True
        return (
            city.name in (venue.city,)
            or commune_keys(city.name)[:1] == commune_keys(venue.city)[:1]
        )

    def _from_street(self, loc: Location) -> tuple[float, float, str, str] | None:
        for raw in (loc.address, loc.name):
            if not raw:
                continue
            parts = parse_address(raw)
            if parts.street is None:
                continue
            street = self._street(parts.street)
            if street is None:  # "rue legraverend rennes": the street, then its town
                ws = parts.street.split()
                after = self.towns.town_after_street(ws)
                if after is not None and after[0].commune is not None and (
                    after[0].commune.insee == RENNES_INSEE
                ):
                    street = self._street(" ".join(ws[: -after[1]]))
            if street is not None:
                return street.lat, street.lon, "street", f"street:{street.name}"
        return None

    def _street(self, key: str) -> Street | None:
        street = self.streets.get(key)
        if street is None:
            same_name = self.street_names.get(street_name_part(key), [])
            street = same_name[0] if len(same_name) == 1 else None
        return street

    def _elsewhere(self, loc: Location, has_source_point: bool) -> str | None:
        """Why the location is clearly outside Rennes Métropole, if it is.

        The city and postcode speak first: when they say Rennes Métropole, far-away source
        coordinates are a mistake and the usual steps run; when they name another place, or
        say nothing while the source's coordinates are elsewhere, the event is not in the
        metropole and must not be matched to a Rennes venue or street of the same name.
        """
        if loc.city:
            if self._city(loc.city) is not None:
                return None
            return f"city {loc.city!r} is outside Rennes Métropole"
        postcode = loc.postcode or (parse_address(loc.address).postcode if loc.address else None)
        if postcode:
            postcode = postcode.strip()
            if postcode in self.postcodes or re.fullmatch(r"350\d\d", postcode):
                return None
            return f"postcode {postcode} is outside Rennes Métropole"
        town = self.towns.find(loc.name, loc.address)
        if town is not None:
            if town.commune is None:
                return f"{town.name!r}, named in the location, is outside Rennes Métropole"
            return None
        if has_source_point and loc.lat and loc.lon:
            return "the source places it outside Ille-et-Vilaine"
        return None

    def _commune_of(self, loc: Location) -> tuple[Commune | None, str]:
        """The commune of the location and how it was found (for the reason)."""
        if loc.city and (commune := self._city(loc.city)) is not None:
            return commune, ""
        postcode = loc.postcode or (parse_address(loc.address).postcode if loc.address else None)
        if postcode:
            postcode = postcode.strip()
            found = self.postcodes.get(postcode, [])
            if len(found) == 1:
                return found[0], ""
            if re.fullmatch(r"350\d\d", postcode):  # Rennes CEDEX codes
                return self.ref.commune_info.get(RENNES_INSEE), ""
        town = self.towns.find(loc.name, loc.address)
        if town is not None and town.commune is not None:
            return town.commune, " (named in the location)"
        return None, ""

    def _city(self, city: str) -> Commune | None:
        """The commune of the Métropole a city field names, abbreviations read
        (``St-Grégoire``, ``Vern/Seiche``, ``Chartres de Bgne``)."""
        for key in commune_keys(city):
            if key in self.communes:
                return self.communes[key]
        town = self.towns.lookup([w for w in words(city) if w != "cedex" and not w.isdigit()])
        return town.commune if town is not None else None

    def _commune_level(
        self, loc: Location, commune: Commune, reason: str, notes: list[str]
    ) -> Location:
        """The location placed at its commune's centre: a commune, no quartier.

        ``city`` is left as the source gave it: a commune named in the text is already in
        the text ("Salle des fêtes de Pacé, Pacé" would say it twice).
        """
        lat, lon = commune.centre
        return replace(
            loc,
            lat=round(lat, 6),
            lon=round(lon, 6),
            quartier=None,
            commune=commune.name,
            insee=commune.insee,
            precision="commune",
            reason="; ".join([reason, *notes]),
        )

    def _place(
        self, loc: Location, lat: float, lon: float, precision: str, reason: str
    ) -> Location:
        commune = self.ref.commune_at(lat, lon)
        quartier = None
        if commune is not None and commune.insee == RENNES_INSEE:
            quartier = self.ref.quartier_at(lat, lon)
        return replace(
            loc,
            lat=round(lat, 6),
            lon=round(lon, 6),
            quartier=quartier,
            commune=commune.name if commune else None,
            insee=commune.insee if commune else None,
            city=loc.city or (commune.name if commune else None),
            precision=precision,
            reason=reason,
        )
