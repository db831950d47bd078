from services.indexer.enrich.themes import TextHits, assign_themes, match_terms
from shared.taxonomy import RNA_TOP, THEMES, rna_themes
from shared.text import stems


def themes(title="", text="", categories=(), extra=None):
    tags = assign_themes(categories, extra or {}, TextHits.of(title, text))
    return {t.code: t.reason for t in tags}


def test_taxonomy_has_about_twenty_themes_with_french_labels():
    assert 18 <= len(THEMES) <= 22
    assert all(t.label and t.label[0].isupper() for t in THEMES)


def test_every_rna_top_level_code_is_mapped(reference):
    tops = {c for c, t in reference.rna.items() if t.level == 1}
    assert tops <= set(RNA_TOP)


def test_every_mapped_theme_exists():
    codes = {t.code for t in THEMES}
    assert all(set(rna_themes(c)) <= codes for c in RNA_TOP)


def test_rna_subcode_override():
    assert rna_themes("009040") == ("seniors",)


def test_rna_unknown_subcode_falls_back_to_parent():
    assert rna_themes("019060") == rna_themes("019000") == ("solidarite",)


def test_rna_invalid_code_maps_to_nothing():
    assert rna_themes("abc") == ()


def test_category_assigns_theme_with_reason():
    assert themes("Soirée", categories=("Concert",)) == {"culture": "category:Concert"}


def test_category_naming_a_theme_label():
    assert "environnement" in themes("Rencontre", categories=("Environnement",))


def test_generic_category_assigns_nothing():
    assert themes("Rendez-vous", categories=("Atelier", "Divers")) == {}


def test_title_term_assigns_theme():
    assert themes("Repair café de printemps")["environnement"].startswith("lexicon:repair")


def test_single_ordinary_description_term_does_not_assign():
    assert "sport" not in themes("Après-midi conviviale", "Possibilité de venir à vélo.")


def test_two_description_terms_assign():
    assert "sport" in themes("Dimanche au parc", "Tournoi amical puis course des enfants.")


def test_strong_description_term_assigns_alone():
    assert "solidarite" in themes("Soirée du mardi", "Nous organisons une maraude.")


def test_longest_match_wins_over_its_words():
    hits = match_terms(stems("don du sang"))
    assert [e.term for e in hits] == ["don du sang"]


def test_weak_title_term_does_not_assign_alone():
    assert "patrimoine" not in themes("Une histoire de fous")


def test_rna_theme_alone_when_nothing_else():
    assert themes("Permanence du mardi", extra={"organizer_themes": ["024000"]}) == {
        "environnement": "rna:024000"
    }


def test_rna_theme_not_added_without_support_when_text_has_themes():
    out = themes("Concert de soutien", extra={"organizer_themes": ["024000"]})
    assert set(out) == {"culture"}


def test_rna_theme_added_when_text_supports_it():
    out = themes("Concert", "Sur les déchets.", extra={"organizer_themes": ["024000"]})
    assert out["environnement"] == "rna:024000"


def test_rna_codes_as_a_string():
    assert "seniors" in themes("Goûter", extra={"organizer_themes": "009040;009000"})


def test_themes_are_capped():
    title = "Concert, tournoi de football, maraude, repair café, don du sang, job dating"
    assert len(themes(title)) == 4


def test_reasons_list_matched_terms():
    assert themes("Concert de jazz")["culture"] == "lexicon:concert,jazz"
