"""Opendatasoft records APIs: v1 (``records[].fields``, ``nhits``, start/rows paging), v2.0
(``records[].record.fields``, ``links``) and v2.1 (``results``, ``total_count``, offset/limit).

Fields are mapped generically, with the OpenAgenda-derived datasets in mind
(``title_fr``, ``firstdate_begin``, ``timings`` as a JSON string, ``location_coordinates``...).
Each logical field is looked up under several usual names, French suffix first.
"""

from __future__ import annotations

from typing import Any

from shared.errors import ParseError
from shared.model import Skipped, Status

from .assemble import emit, occurrence, status_from
from .base import ParseContext, ParseResult
from .jsonutil import (
    absolute,
    accessibility_codes,
    age_audience,
    as_float,
    as_list,
    dig,
    free_from_text,
    json_field,
    load_json,
    location_or_none,
    parse_dt,
    pick,
    pick_list,
    query_int,
    stable_uid,
    text,
    uniq,
    with_query,
)
from .openagenda import STATUS_CODES

FORMAT = "opendatasoft"
MAX_V2_WINDOW = 10_000  # offset + limit must stay below this in the v2 API

NAMES: dict[str, tuple[str, ...]] = {
    "uid": ("uid", "id", "identifiant", "event_id", "id_evenement"),
    "title": ("title", "titre", "nom", "name", "intitule", "libelle"),
    "description": ("longdescription", "description", "descriptif", "resume", "summary"),
    "start": ("date_start", "date_debut", "datedebut", "start_date", "dtstart", "debut", "date"),
    "end": ("date_end", "date_fin", "datefin", "end_date", "dtend", "fin"),
    "place": ("location_name", "lieu", "nom_du_lieu", "nom_lieu", "venue", "place"),
    "address": ("location_address", "adresse", "address", "adresse_complete"),
    "city": ("location_city", "ville", "commune", "city"),
    "postcode": ("location_postalcode", "code_postal", "codepostal", "cp", "postcode"),
    "district": ("location_district", "quartier", "district"),
    "insee": ("location_insee", "code_insee", "insee"),
    "coords": ("location_coordinates", "coordonnees", "geo_point_2d", "geolocalisation", "geo"),
    "keywords": ("keywords", "mots_cles", "tags"),
    "categories": ("categories", "categorie", "thematique", "thematiques", "type"),
    "price": ("conditions", "tarif", "tarifs", "prix", "price"),
    "image": ("image", "originalimage", "image_url", "thumbnail", "visuel"),
    "url": ("canonicalurl", "url", "lien", "link", "site_web", "website"),
    "organizer": ("organisateur", "organizer", "organiser"),
    "updated": ("updatedat", "updated_at", "date_maj", "date_de_mise_a_jour"),
}


def matches(doc: Any) -> bool:
    if not isinstance(doc, dict):
        return False
    records = doc.get("records")
    if isinstance(records, list):
        if "nhits" in doc or "total_count" in doc:
            return True
        first = records[0] if records else None
        return isinstance(first, dict) and ("fields" in first or "record" in first)
    return isinstance(doc.get("results"), list) and "total_count" in doc


def parse(body: bytes, ctx: ParseContext) -> ParseResult:
    doc = load_json(body, "Opendatasoft")
    if not matches(doc):
        if isinstance(doc, dict) and text(doc.get("error")):
            raise ParseError(f"Opendatasoft error response: {text(doc.get('error'))}")
        raise ParseError("unrecognized JSON: not an Opendatasoft records response")
    result = ParseResult(format=FORMAT)
    rows: list[tuple[dict[str, Any], Any, Any]] = []
    if isinstance(doc.get("records"), list):
        for rec in doc["records"]:
            inner = rec.get("record") if isinstance(rec, dict) and "record" in rec else rec
            if isinstance(inner, dict) and isinstance(inner.get("fields"), dict):
                rows.append(
                    (
                        inner["fields"],
                        inner.get("recordid") or inner.get("id"),
                        inner.get("geometry"),
                    )
                )
            else:
                result.skipped.append(Skipped("record without fields"))
        result.next_url = _next_v1(doc, ctx.url) if "nhits" in doc else _next_v2(doc, ctx.url)
    else:
        for rec in doc["results"]:
            if isinstance(rec, dict):
                rows.append((rec, None, None))
            else:
                result.skipped.append(Skipped("result is not an object"))
        result.next_url = _next_v2(doc, ctx.url)
    for fields, record_id, geometry in rows:
        _record(fields, record_id, geometry, ctx, result)
    return result


def _next_v1(doc: dict[str, Any], url: str | None) -> str | None:
    count, total = len(as_list(doc.get("records"))), doc.get("nhits")
    start = query_int(url, "start")
    if start is None:
        start = int(as_float(dig(doc, "parameters", "start")) or 0)
    if not url or not count or not isinstance(total, int) or start + count >= total:
        return None
    return with_query(url, ("start",), [("start", str(start + count))])


def _next_v2(doc: dict[str, Any], url: str | None) -> str | None:
    for link in as_list(doc.get("links")):
        if isinstance(link, dict) and link.get("rel") == "next" and text(link.get("href")):
            return absolute(url, link["href"])
    rows = doc.get("results") if isinstance(doc.get("results"), list) else doc.get("records")
    count, total = len(as_list(rows)), doc.get("total_count")
    offset = query_int(url, "offset") or 0
    limit = query_int(url, "limit") or count
    if not url or not count or not isinstance(total, int) or offset + count >= total:
        return None
    if offset + count + limit >= MAX_V2_WINDOW:
        return None  # the API refuses to page further; an export endpoint is needed
    return with_query(url, ("offset",), [("offset", str(offset + count))])


def _get(fields: dict[str, Any], key: str) -> Any:
    """The first non-empty value among the usual names of ``key``, French suffix first."""
    for base in NAMES[key]:
        for name in (f"{base}_fr", base, f"{base}_en"):
            value = fields.get(name)
            if value not in (None, "", [], {}):
                return value
    return None


def _record(
    fields: dict[str, Any], record_id: Any, geometry: Any, ctx: ParseContext, result: ParseResult
) -> None:
    title = pick(_get(fields, "title"))
    status = _status(fields.get("status"))
    occs = _occurrences(fields, ctx, status)
    first = occs[0].start.isoformat() if occs and occs[0] else None
    uid = text(_get(fields, "uid")) or text(record_id) or stable_uid(title, first)
    price = pick(_get(fields, "price"))
    online = dig(json_field(fields.get("attendancemode")), "id") == 2
    lat, lon = _coords(_get(fields, "coords"), geometry)
    extra: dict[str, Any] = {}
    for key, name in (("originagenda_title", "agenda"), ("daterange_fr", "date_range")):
        if value := text(fields.get(key)):
            extra[name] = value
    registration = json_field(fields.get("registration"))
    if isinstance(registration, list):
        values = [text(r.get("value")) for r in registration if isinstance(r, dict)]
        extra["registration"] = [v for v in values if v]
    if fields.get("timings") in (None, "") and "firstdate_begin" in fields:
        extra["timings_partial"] = True
    emit(
        result,
        ctx,
        uid=uid,
        title=title,
        occurrences=occs,
        description=pick(_get(fields, "description")) or "",
        url=absolute(ctx.url, pick(_get(fields, "url"))),
        location=location_or_none(
            name=pick(_get(fields, "place")),
            address=pick(_get(fields, "address")),
            postcode=text(_get(fields, "postcode")),
            city=pick(_get(fields, "city")),
            quartier=pick(_get(fields, "district")),
            insee=text(_get(fields, "insee")),
            lat=lat,
            lon=lon,
            online=online or status == Status.MOVED_ONLINE,
        ),
        organizer=pick(_get(fields, "organizer")),
        keywords=uniq(pick_list(_get(fields, "keywords"))),
        categories=uniq(pick_list(_get(fields, "categories"))),
        accessibility=accessibility_codes(fields.get("accessibility")),
        audience=age_audience(fields.get("age_min"), fields.get("age_max")),
        price=price,
        is_free=free_from_text(price),
        image=_image(_get(fields, "image"), ctx.url),
        status=status,
        source_format=FORMAT,
        updated=parse_dt(_get(fields, "updated"), ctx.timezone),
        extra=extra,
    )


def _occurrences(fields: dict[str, Any], ctx: ParseContext, status: str) -> list[Any]:
    tz = ctx.timezone
    timings = json_field(fields.get("timings"))
    if isinstance(timings, list) and timings:
        return [
            occurrence(t.get("begin") or t.get("start"), t.get("end"), tz=tz, status=status)
            for t in timings
            if isinstance(t, dict)
        ]
    if fields.get("firstdate_begin"):
        pairs = [("firstdate_begin", "firstdate_end"), ("lastdate_begin", "lastdate_end")]
        return [occurrence(fields.get(b), fields.get(e), tz=tz, status=status) for b, e in pairs]
    return [occurrence(_get(fields, "start"), _get(fields, "end"), tz=tz, status=status)]


def _status(value: Any) -> str:
    value = json_field(value)
    code = value.get("id") if isinstance(value, dict) else value
    if isinstance(code, int) and code in STATUS_CODES:
        return STATUS_CODES[code]
    if isinstance(code, str) and code.isdigit() and int(code) in STATUS_CODES:
        return STATUS_CODES[int(code)]
    return status_from(pick(dig(value, "label")) if isinstance(value, dict) else code) or (
        Status.SCHEDULED
    )


def _coords(value: Any, geometry: Any) -> tuple[float | None, float | None]:
    lat = lon = None
    if isinstance(value, dict):
        lat, lon = as_float(value.get("lat")), as_float(value.get("lon") or value.get("lng"))
    elif isinstance(value, list) and len(value) == 2:
        lat, lon = as_float(value[0]), as_float(value[1])
    elif isinstance(value, str) and "," in value:
        lat, lon = (as_float(p) for p in value.split(",", 1))
    elif isinstance(geometry, dict) and isinstance(geometry.get("coordinates"), list):
        coords = geometry["coordinates"]
        if len(coords) == 2:  # GeoJSON order is lon, lat
            lon, lat = as_float(coords[0]), as_float(coords[1])
    if lat is None or lon is None or abs(lat) > 90 and abs(lon) > 90:
        return None, None
    if abs(lat) > 90:
        lat, lon = lon, lat
    return lat, lon


def _image(value: Any, base: str | None) -> str | None:
    if isinstance(value, dict):
        value = value.get("url")
    return absolute(base, pick(value))
