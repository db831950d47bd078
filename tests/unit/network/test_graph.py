"""The network as nodes and edges, GeoJSON and CSV, from the board's documents."""

from __future__ import annotations

import csv
import io

from services.network.graph import edges_csv, geojson, graph, neighbourhood
from services.network.model import CONFIRMED, End, Link, link_id
from services.network.project import searchable

VELO = End("velo-solidaire", "Vélo solidaire", "Centre", "Rennes", ("mobilite",), 48.11, -1.68)
JARDINS = End("jardins-blosne", "Jardins du Blosne", "Le Blosne", "Rennes", (), 48.09, -1.66)
FEDE = End("fede-velo", "Fédération vélo", "", "Rennes")  # not placed


def doc(a: End, b: End, kind: str, note: str = "") -> dict:
    lid = link_id(a.id, b.id, kind)
    first, second = (a, b) if lid.startswith(a.id + ".") else (b, a)
    found = searchable(Link(lid, kind, first, second, a.id, b.id, CONFIRMED, note, "2020",
                            "2026-01-01", "2026-02-01"))
    assert found is not None
    return found


DOCS = [doc(VELO, JARDINS, "partnership", "Ateliers, « vélo » ; jardin"),
        doc(VELO, FEDE, "member")]


def test_nodes_are_the_ends_with_their_degree_and_edges_keep_direction() -> None:
    g = graph(DOCS)
    assert [(n["id"], n["degree"]) for n in g["nodes"]] == [
        ("fede-velo", 1), ("jardins-blosne", 1), ("velo-solidaire", 2)]
    member = next(e for e in g["edges"] if e["kind"] == "member")
    assert (member["source"], member["target"], member["directed"]) == (
        "velo-solidaire", "fede-velo", True)


def test_geojson_has_points_for_placed_associations_and_lines_between_two_placed() -> None:
    features = geojson(graph(DOCS))["features"]
    points = [f for f in features if f["geometry"]["type"] == "Point"]
    lines = [f for f in features if f["geometry"]["type"] == "LineString"]
    assert sorted(f["id"] for f in points) == ["jardins-blosne", "velo-solidaire"]
    assert len(lines) == 1  # the federation has no point: no line to it
    assert lines[0]["geometry"]["coordinates"] == [[-1.66, 48.09], [-1.68, 48.11]]


def test_the_csv_of_edges_reads_back_with_its_quotes() -> None:
    rows = list(csv.DictReader(io.StringIO(edges_csv(graph(DOCS)))))
    assert [r["Type"] for r in rows] == ["Undirected", "Directed"]
    assert rows[0]["Note"] == "Ateliers, « vélo » ; jardin"
    assert rows[1]["Source"] == "velo-solidaire" and rows[1]["Target name"] == "Fédération vélo"


def test_the_list_says_each_association_s_links_from_its_side() -> None:
    rows = {r["node"]["id"]: r for r in neighbourhood(graph(DOCS))}
    assert [(x["label"], x["other"]["id"]) for x in rows["velo-solidaire"]["links"]] == [
        ("membre de", "fede-velo"), ("partenariat", "jardins-blosne")]
    assert [x["label"] for x in rows["fede-velo"]["links"]] == ["a pour membre"]


def test_the_csv_of_edges_does_not_let_a_note_or_a_name_run_as_a_formula() -> None:
    evil = End("evil", "=HYPERLINK(\"http://x\")", "", "Rennes")
    rows = list(csv.DictReader(io.StringIO(edges_csv(graph(
        [doc(VELO, evil, "partnership", "=cmd|' /C calc'!A0")])))))
    assert rows[0]["Note"] == "'=cmd|' /C calc'!A0"
    assert rows[0]["Target name"] == "'=HYPERLINK(\"http://x\")" or (
        rows[0]["Source name"] == "'=HYPERLINK(\"http://x\")")
