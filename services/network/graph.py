"""The network as a graph, from the board's ``network`` documents: nodes (the associations at
either end of a confirmed link, at their head office when the directory placed it) and
edges (the links), as the API, its GeoJSON variant, its CSV of edges and the map page show
them. Pure functions: the reads are in :mod:`.routes`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from typing import Any

from services.network.model import KINDS
from services.query.exports.csv import safe


def graph(docs: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """``{"nodes": [...], "edges": [...]}``: nodes sorted by name, edges as the board gave
    them; a node's ``degree`` is its number of links in this graph."""
    nodes: dict[str, dict[str, Any]] = {}
    edges = []
    for doc in docs:
        ends = doc.get("associations") or []
        if len(ends) != 2:
            continue
        for end in ends:
            node = nodes.setdefault(str(end["id"]), {
                "id": str(end["id"]), "name": end.get("name") or end["id"],
                "quartier": end.get("quartier") or None, "commune": end.get("commune") or None,
                "themes": list(end.get("themes") or ()), "lat": end.get("lat"),
                "lon": end.get("lon"), "url": f"/associations/{end['id']}", "degree": 0})
            node["degree"] += 1
        kind = str(doc.get("kind"))
        edges.append({"id": doc["id"], "kind": kind, "kind_label": KINDS.get(kind, kind),
                      "source": str(ends[0]["id"]), "target": str(ends[1]["id"]),
                      "directed": bool(doc.get("directed")), "note": doc.get("note"),
                      "since": doc.get("since"), "url": f"/reseau/liens/{doc['id']}"})
    return {"nodes": sorted(nodes.values(), key=lambda n: str(n["name"]).casefold()),
            "edges": edges}


def geojson(g: Mapping[str, Any]) -> dict[str, Any]:
    """A FeatureCollection: a Point per placed association, a LineString per link whose two
    ends are placed (GeoJSON's order: longitude, latitude)."""
    placed = {n["id"]: n for n in g["nodes"] if n.get("lat") is not None
              and n.get("lon") is not None}
    features: list[dict[str, Any]] = [
        {"type": "Feature", "id": n["id"], "geometry": {
            "type": "Point", "coordinates": [n["lon"], n["lat"]]},
         "properties": {"kind": "association", **{k: v for k, v in n.items()
                                                   if k not in ("lat", "lon")}}}
        for n in placed.values()]
    for e in g["edges"]:
        a, b = placed.get(e["source"]), placed.get(e["target"])
        if a is None or b is None:
            continue
        features.append({"type": "Feature", "id": e["id"], "geometry": {
            "type": "LineString", "coordinates": [[a["lon"], a["lat"]], [b["lon"], b["lat"]]]},
            "properties": {**e, "link": e["kind"], "kind": "link"}})
    return {"type": "FeatureCollection", "features": features}


EDGE_COLUMNS = ("source", "target", "source_name", "target_name", "kind", "kind_label",
                "directed", "since", "note", "id")


def edges_csv(g: Mapping[str, Any]) -> str:
    """The edges as CSV (``Source``/``Target`` first, as Gephi's import expects); a text
    cell a spreadsheet would read as a formula is prefixed with an apostrophe."""
    names = {n["id"]: n["name"] for n in g["nodes"]}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["Source", "Target", "Source name", "Target name", "Kind", "Label",
                     "Type", "Since", "Note", "Id"])
    for e in g["edges"]:
        writer.writerow([e["source"], e["target"], safe(str(names.get(e["source"], ""))),
                         safe(str(names.get(e["target"], ""))), e["kind"], e["kind_label"],
                         "Directed" if e["directed"] else "Undirected", e["since"] or "",
                         safe(str(e["note"] or "")), e["id"]])
    return out.getvalue()


def neighbourhood(g: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Per association of the graph (by name), its links: the other end and the kind, as
    the page's list (the map's alternative) shows them."""
    by_id = {n["id"]: n for n in g["nodes"]}
    of: dict[str, list[dict[str, Any]]] = {n["id"]: [] for n in g["nodes"]}
    for e in g["edges"]:
        for here, there in ((e["source"], e["target"]), (e["target"], e["source"])):
            if e["directed"]:
                label = "membre de" if here == e["source"] else "a pour membre"
            else:
                label = e["kind_label"]
            of[here].append({"other": by_id[there], "label": label, "edge": e})
    rows = []
    for node in g["nodes"]:
        links = sorted(of[node["id"]], key=lambda x: str(x["other"]["name"]).casefold())
        rows.append({"node": node, "links": links})
    return rows
