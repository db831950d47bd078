from services.indexer.enrich.themes import TextHits, assign_themes, match_terms
from shared.taxonomy import RNA_TOP, THEMES, rna_themes
from shared.text import stems
from shared.theme_words import theme_stems


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
    assert "sport" in themes("Dimanche au parc", "Entraînement puis course des enfants.")


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


# -- independent calendars (issue 16.2): each failure class seen on real French calendars ------


def test_civic_meetings_are_citoyennete():
    assert set(themes("Réunion de quartier – Maurepas")) == {"citoyennete"}
    assert set(themes("Conseil municipal de Rennes – mars 2026")) == {"citoyennete"}
    assert set(themes("Conseil communautaire de Liffré-Cormier Communauté")) == {"citoyennete"}


def test_a_march_with_a_cause_is_citoyennete_a_walk_is_sport():
    assert "citoyennete" in themes("Marche blanche en hommage à Léa")
    assert "citoyennete" in themes("Marche pour le climat", "Venez avec vos pancartes.")
    out = themes("Marche afghane", "Marche synchronisée avec la respiration, 8 km.")
    assert "sport" in out and "citoyennete" not in out


def test_programming_meetups_are_numerique():
    assert set(themes("Meetup Python Rennes #42 : typage statique")) == {"numerique"}
    assert set(themes("Rennes DevOps : Kubernetes en production")) == {"numerique"}
    assert set(themes("Data science : introduction à pandas")) == {"numerique"}


def test_cplusplus_and_csharp_are_words():
    assert set(themes("C++ Rennes : les coroutines en C++20")) == {"numerique"}
    assert set(themes("Meetup .NET Rennes : C# 13")) == {"numerique"}


def test_geek_conventions_are_leisure_not_numerique():
    out = themes("Geek Convention de Saint-Malo")
    assert "loisirs" in out and "numerique" not in out
    assert "numerique" not in themes("Tournoi de jeux vidéo rétro")


def test_a_religious_retreat_is_not_for_seniors():
    out = themes("Retraite spirituelle à l'abbaye", "Trois jours de silence et de prière.")
    assert set(out) == {"spiritualite"}
    out = themes("Retraite de Carême", "Chaque soir, méditation de l'Évangile.")
    assert set(out) == {"spiritualite"}


def test_retirement_is_for_seniors():
    assert "seniors" in themes("Réunion d'information : préparer sa retraite")
    assert "seniors" in themes("Club des retraités : après-midi belote")


def test_retreat_alone_assigns_nothing():
    assert themes("Pot de départ en retraite de Martine") == {}


def test_one_word_in_a_long_description_adds_no_theme():
    text = (
        "La chorale interprète Fauré et Barbara sous la direction de Claire Morin. "
        "À l'issue du concert, un repas est proposé : vous pourrez manger avec les choristes. "
        "Le lendemain, randonnée avec la chorale."
    )
    assert set(themes("Concert de printemps de la chorale", text)) == {"culture"}


def test_description_only_theme_needs_more_when_the_title_has_a_subject():
    assert set(themes("Messe du dimanche", "Messe animée par la chorale paroissiale.")) == {
        "spiritualite"
    }
    # without a subject in the title, the same evidence decides
    assert "culture" in themes("Dimanche matin", "Répétition de la chorale.")


def test_practical_sentences_count_for_nothing():
    text = "Championnat de Nationale 3. Buvette sur place : bière, vin et repas chaud."
    assert set(themes("Match : CPB Rennes – US Laval", text)) == {"sport"}
    text = "Bilan de la saison. Garde des enfants et des bébés assurée par des parents."
    assert set(themes("Assemblée générale", text)) == {"vie-associative"}


def test_words_the_stemmer_merges_are_kept_apart():
    assert "alimentation" not in themes("Salon du manga et de la BD")
    assert "famille" not in themes("Signature de la pétition")
    assert "culture" not in themes("Réunion de concertation")
    assert "solidarite" not in themes("Abri vélo", "Construction d'un abri de jardin.")
    assert "solidarite" in themes("Maraude", "Soupe chaude pour les sans-abri.")
    assert "spiritualite" not in themes("Soirée des jeunes")
    assert "spiritualite" in themes("Iftar solidaire", "Rupture du jeûne ouverte à tous.")


def test_a_market_is_food_only_when_it_is_the_subject():
    assert "alimentation" in themes("Marché des Lices", "Producteurs et maraîchers du pays.")
    assert "alimentation" not in themes("Signature de la pétition sur le marché")
    assert "alimentation" not in themes("Marche pour la paix")


def test_a_tournament_of_cards_is_not_sport():
    out = themes("Tournoi de tarot", "Concours en cinq donnes.")
    assert set(out) == {"loisirs"}
    assert "sport" in themes("Tournoi de futsal", "Huit équipes, matchs de 10 minutes.")


def test_age_ranges_give_the_audience_theme():
    assert themes("Stage de Pâques", "Pour les 6-12 ans.")["jeunesse"] == "age:6-12 ans"
    assert "famille" in themes("Comptines", "Pour les 0-3 ans.")
    assert "famille" in themes("Visite-atelier", "Pour les 6-10 ans et leurs parents.")
    assert "seniors" in themes("Gym douce", "Pour les plus de 60 ans.")
    assert "jeunesse" in themes("Entraînement U13 annulé")


def test_an_open_age_range_gives_no_audience_theme():
    out = themes("Spectacle de cirque", "Tout public dès 5 ans. De 2 à 5 ans d'expérience.")
    assert set(out) == {"culture"}


def test_a_context_word_with_no_clue_takes_its_default_in_a_bare_title():
    assert set(themes("Repas de fin de saison")) == {"loisirs"}


def test_a_context_word_never_decides_alone_in_a_description():
    assert themes("Dimanche au parc", "Venez avec votre vélo.") == {}


def test_calendar_words_match_no_term():
    words = (
        "janvier février mars avril mai juin juillet août septembre octobre novembre "
        "décembre lundi mardi mercredi jeudi vendredi samedi dimanche"
    )
    found = {w: match_terms(theme_stems(w)) for w in words.split()}
    assert found == dict.fromkeys(words.split(), [])
