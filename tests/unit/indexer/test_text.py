from shared.text import fold, slug, stems, tokens


def test_fold_removes_accents_and_case():
    assert fold("Fête à l’École") == "fete a l'ecole"


def test_fold_expands_ligatures():
    assert fold("Œuvre cœur") == "oeuvre coeur"


def test_fold_keeps_ascii_text_unchanged_apart_from_case():
    assert fold("Repair Cafe 2025") == "repair cafe 2025"


def test_tokens_drop_stop_words_and_elided_articles():
    assert tokens("L'atelier de la Maison des jeunes") == ["atelier", "maison", "jeunes"]


def test_tokens_split_on_hyphens_and_punctuation():
    assert tokens("ciné-débat : zéro déchet!") == ["cine", "debat", "zero", "dechet"]


def test_stems_are_accent_insensitive():
    assert stems("solidarité") == stems("SOLIDARITE")


def test_stems_conflate_singular_and_plural():
    assert stems("concerts") == stems("concert")


def test_stems_of_empty_text_is_empty():
    assert stems("   ") == []


def test_slug_joins_folded_words_with_hyphens():
    assert slug("  Repair Café (Blosne) ") == "repair-cafe-blosne"


def test_slug_is_idempotent():
    assert slug(slug("Jeux de société !")) == slug("Jeux de société !")
