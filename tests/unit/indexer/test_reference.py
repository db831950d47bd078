import shutil
from pathlib import Path

import pytest

from shared.errors import ConfigError
from shared.geo import Area
from shared.reference import load_reference, reference_dir


def test_reference_loads_every_dataset(reference):
    assert len(reference.quartiers) == 12
    assert len(reference.communes) == 43
    assert len(reference.venues) > 50
    assert len(reference.streets) > 1000
    assert "009000" in reference.rna
    assert any(t.code == "lsf" for t in reference.accessibility)


def test_quartier_of_the_champs_libres_is_centre(reference):
    assert reference.quartier_at(48.105436, -1.674857) == "Centre"


def test_quartier_of_the_triangle_is_le_blosne(reference):
    assert reference.quartier_at(48.088668, -1.659912) == "Le Blosne"


def test_point_outside_rennes_has_no_quartier(reference):
    assert reference.quartier_at(48.182359, -1.640262) is None  # Betton town hall


def test_commune_of_a_town_hall_point(reference):
    commune = reference.commune_at(48.182359, -1.640262)
    assert commune is not None and (commune.name, commune.insee) == ("Betton", "35024")


def test_point_far_away_has_no_commune(reference):
    assert reference.commune_at(48.8566, 2.3522) is None  # Paris


def test_missing_required_file_raises_config_error_naming_it(tmp_path: Path, reference):
    for path in reference.directory.iterdir():
        if path.name != "rennes_metropole_communes.csv":
            shutil.copy(path, tmp_path / path.name)
    with pytest.raises(ConfigError, match="rennes_metropole_communes.csv"):
        load_reference(tmp_path)


def test_missing_optional_files_are_done_without(tmp_path: Path, reference, caplog):
    """Venues and the accessibility vocabulary are edited files 'maillage reference fetch'
    cannot download: without them the quartiers and communes still place events."""
    optional = {"rennes_venues.csv", "accessibility_vocabulary.csv"}
    for path in reference.directory.iterdir():
        if path.name not in optional:
            shutil.copy(path, tmp_path / path.name)
    loaded = load_reference(tmp_path)
    assert (loaded.venues, loaded.accessibility) == ((), ())
    assert loaded.quartier_at(48.1105, -1.6795) is not None
    assert "rennes_venues.csv not found" in caplog.text


def test_missing_directory_raises_config_error(tmp_path: Path):
    with pytest.raises(ConfigError, match="MAILLAGE_REFERENCE_DIR"):
        load_reference(tmp_path / "nowhere")


def test_missing_file_error_says_where_to_download(tmp_path: Path):
    with pytest.raises(ConfigError, match="data.rennesmetropole.fr"):
        load_reference(tmp_path)


def test_reference_dir_relative_setting_is_resolved_from_the_repo():
    path = reference_dir({"MAILLAGE_REFERENCE_DIR": "some/dir"})
    assert path.is_absolute() and path.parts[-2:] == ("some", "dir")


def test_reference_dir_absolute_setting_is_kept(tmp_path: Path):
    assert reference_dir({"MAILLAGE_REFERENCE_DIR": str(tmp_path)}) == tmp_path


SQUARE_WITH_HOLE = {
    "type": "Polygon",
    "coordinates": [
        [[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]],
        [[4, 4], [6, 4], [6, 6], [4, 6], [4, 4]],
    ],
}


def test_point_in_polygon_body():
    assert Area.from_geometry("a", "A", SQUARE_WITH_HOLE).contains(2, 2)


def test_point_in_polygon_hole_is_outside():
    assert not Area.from_geometry("a", "A", SQUARE_WITH_HOLE).contains(5, 5)


def test_point_in_second_part_of_multipolygon():
    geometry = {
        "type": "MultiPolygon",
        "coordinates": [
            [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]],
            [[[5, 5], [6, 5], [6, 6], [5, 6], [5, 5]]],
        ],
    }
    area = Area.from_geometry("m", "M", geometry)
    assert area.contains(5.5, 5.5) and not area.contains(3, 3)


def test_point_in_concave_polygon_notch_is_outside():
    u_shape = {
        "type": "Polygon",
        "coordinates": [[[0, 0], [3, 0], [3, 3], [2, 3], [2, 1], [1, 1], [1, 3], [0, 3], [0, 0]]],
    }
    area = Area.from_geometry("u", "U", u_shape)
    assert area.contains(0.5, 2.5) and not area.contains(1.5, 2.5)
