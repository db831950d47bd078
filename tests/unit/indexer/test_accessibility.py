import pytest

from services.indexer.enrich.accessibility import AccessibilityMatcher


@pytest.fixture(scope="module")
def matcher(reference):
    return AccessibilityMatcher(reference.accessibility)


def test_openagenda_codes_are_kept(matcher):
    assert matcher.codes(["hi", "mi"], {}, "") == ("hi", "mi")


def test_openagenda_boolean_object(matcher):
    assert matcher.codes([], {"accessibility": {"vi": True, "mi": False}}, "") == ("vi",)


def test_schema_org_features(matcher):
    extra = {"accessibility_features": ["signLanguage", "audioDescription"]}
    assert matcher.codes([], extra, "") == ("hi", "vi", "lsf", "audiodescription")


def test_lsf_in_text_adds_family(matcher):
    assert matcher.codes([], {}, "Spectacle traduit en LSF") == ("hi", "lsf")


def test_pmr_in_text(matcher):
    assert matcher.codes([], {}, "Salle accessible PMR") == ("mi", "places_fauteuil")


def test_negated_pmr_is_ignored(matcher):
    assert matcher.codes([], {}, "Lieu non accessible aux PMR") == ()


def test_absent_device_is_ignored(matcher):
    assert matcher.codes([], {}, "Pas de boucle magnétique dans la salle") == ()


def test_language_subtitles_are_not_accessibility(matcher):
    assert matcher.codes([], {}, "Film en VO sous-titré") == ()


def test_subtitles_for_the_deaf_are_accessibility(matcher):
    assert "sous_titrage" in matcher.codes([], {}, "Séance en sous-titrage codé SME")


def test_blind_tasting_is_not_about_blindness(matcher):
    assert matcher.codes([], {}, "Dégustation de vins à l'aveugle") == ()


def test_falc(matcher):
    assert matcher.codes([], {}, "Programme en FALC") == ("ii", "falc")


def test_words_in_current_codes_are_mapped(matcher):
    assert matcher.codes(["Handicap moteur"], {}, "") == ("mi",)


def test_unknown_values_are_dropped(matcher):
    assert matcher.codes(["xyz"], {"accessibility_features": "nothing"}, "") == ()
