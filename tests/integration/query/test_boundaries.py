"""The map's base layer ``/carte/limites.geojson``: quartier and commune outlines of the
reference directory, simplified without gaps between neighbours, cached for good."""

from __future__ import annotations

import json
import math
import os
import re
from pathlib import Path
from typing import Any

import pytest
from shapely.geometry import Point, shape
from shapely.ops import unary_union

from services.query.web.boundaries import build_layer
from shared.reference import reference_dir

from .conftest import MakeClient


def wiggle(n: int) -> list[list[float]]:
    """A north-south border of ``n`` points with metre-scale wiggles (what simplification
    removes), from (-1.68, 48.10) to (-1.68, 48.12)."""
    return [[-1.68 + 0.00001 * math.sin(i), 48.10 + 0.02 * i / (n - 1)] for i in range(n)]


def square(west: float, east: float, border: list[list[float]], border_east: bool
           ) -> dict[str, Any]:
    """A closed polygon between ``west`` and ``east`` whose east (or west) side is ``border``."""
    if border_east:  # border runs south to north on the east side
        ring = [[west, 48.10], *border, [west, 48.12], [west, 48.10]]
    else:
        ring = [[east, 48.12], *reversed(border), [east, 48.10], [east, 48.12]]
    return {"type": "Polygon", "coordinates": [ring]}


def write_reference(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    border = wiggle(400)
    west = square(-1.70, -1.68, border, border_east=True)
    east = square(-1.68, -1.66, border, border_east=False)
    quartiers = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"nuquart": 1, "nom": "Centre"}, "geometry": west},
        {"type": "Feature", "properties": {"nuquart": 2, "nom": "Thabor - Saint-Hélier"},
         "geometry": east},
    ]}
    commune = {"type": "Polygon", "coordinates": [[[-1.71, 48.09], [-1.65, 48.09],
                                                   [-1.65, 48.13], [-1.71, 48.13],
                                                   [-1.71, 48.09]]]}
    communes = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code_insee": 35238.0, "nom": "Rennes"},
         "geometry": commune},
    ]}
    (directory / "rennes_quartiers.geojson").write_text(json.dumps(quartiers))
    (directory / "rennes_metropole_communes.geojson").write_text(json.dumps(communes))
    return directory


def vertices(geometry: dict[str, Any]) -> int:
    return sum(len(ring) for ring in geometry["coordinates"])


def test_layer_is_simplified_labelled_and_leaves_no_gap_between_neighbours(
        tmp_path: Path) -> None:
    layer = build_layer(write_reference(tmp_path / "ref"))
    assert layer is not None
    data = json.loads(layer.body)
    by_name = {f["properties"]["name"]: f for f in data["features"]}
    assert [f["properties"]["kind"] for f in data["features"]] == [
        "commune", "quartier", "quartier"]  # communes drawn first, quartiers over them
    assert by_name["Rennes"]["properties"]["code"] == "35238"
    centre, thabor = by_name["Centre"], by_name["Thabor - Saint-Hélier"]
    assert vertices(centre["geometry"]) < 20  # from 404: the wiggles are gone
    a, b = shape(centre["geometry"]), shape(thabor["geometry"])
    assert a.intersection(b).area < 1e-12  # no overlap ...
    whole = shape({"type": "Polygon", "coordinates": [[[-1.70, 48.10], [-1.66, 48.10],
                                                       [-1.66, 48.12], [-1.70, 48.12],
                                                       [-1.70, 48.10]]]})
    assert abs(unary_union([a, b]).area - whole.area) < 1e-9  # ... and no gap
    for feature in data["features"]:
        label = Point(feature["properties"]["label"])
        assert shape(feature["geometry"]).buffer(1e-9).contains(label)


def test_no_quartier_file_means_no_layer(tmp_path: Path) -> None:
    assert build_layer(tmp_path) is None


async def test_page_links_the_layer_which_is_cached_for_good(
        make_client: MakeClient, tmp_path: Path) -> None:
    client = await make_client(MAILLAGE_REFERENCE_DIR=str(write_reference(tmp_path / "ref")))
    page = await (await client.get("/?vue=carte")).text()
    url = re.search(r'data-boundaries="([^"]+)"', page)
    assert url and url.group(1).startswith("/carte/limites.geojson?v=")
    response = await client.get(url.group(1).replace("&amp;", "&"))
    assert response.status == 200
    assert response.content_type == "application/geo+json"
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert {f["properties"]["name"] for f in (await response.json(content_type=None))[
        "features"]} == {"Rennes", "Centre", "Thabor - Saint-Hélier"}
    again = await client.get(url.group(1), headers={"If-None-Match": response.headers["ETag"]})
    assert again.status == 304
    # without the version (an old link, a hand-typed URL): served, but not cached for good
    unversioned = await client.get("/carte/limites.geojson?v=ancienne")
    assert unversioned.status == 200
    assert "immutable" not in unversioned.headers["Cache-Control"]


async def test_without_reference_data_the_map_has_no_layer(
        make_client: MakeClient, tmp_path: Path) -> None:
    client = await make_client(MAILLAGE_REFERENCE_DIR=str(tmp_path / "absent"),
                               MAILLAGE_TILE_URL="")
    page = await (await client.get("/?vue=carte")).text()
    assert 'id="carte"' not in page  # neither tiles nor outlines: the list of places only
    response = await client.get("/carte/limites.geojson")
    assert response.status == 404
    assert (await response.json())["error"]["details"]["setting"] == "MAILLAGE_REFERENCE_DIR"


def test_official_polygons_become_a_small_layer() -> None:
    directory = reference_dir(os.environ)
    if not (directory / "rennes_quartiers.geojson").is_file():
        pytest.skip(f"reference data not found at {directory} (set MAILLAGE_REFERENCE_DIR)")
    layer = build_layer(directory)
    assert layer is not None
    kinds = [f["properties"]["kind"] for f in json.loads(layer.body)["features"]]
    assert kinds.count("quartier") == 12 and kinds.count("commune") == 43
    assert len(layer.body) < 200_000  # from 3.2 MB of official GeoJSON
