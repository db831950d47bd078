from services.indexer.enrich.keywords import MAX_KEYWORDS, make_keywords
from services.indexer.enrich.themes import TextHits


def kw(title="", text="", categories=(), keywords=()):
    return make_keywords(categories, keywords, title, TextHits.of(title, text))


def test_categories_come_first_as_slugs():
    assert kw("x", categories=("Musique", "Spectacle vivant"))[:2] == (
        "musique",
        "spectacle-vivant",
    )


def test_source_keywords_split_and_folded():
    assert kw("x", keywords=("Zéro déchet; Réemploi",)) == ("zero-dechet", "reemploi")


def test_duplicates_are_dropped():
    assert kw("Concert", categories=("Concert",), keywords=("concert",)) == ("concert",)


def test_salient_terms_from_title_lexicon():
    assert "repair-cafe" in kw("Repair Café du Blosne")


def test_filler_words_are_not_salient():
    assert "samedi" not in kw("Grande soirée du samedi")


def test_keywords_are_capped():
    out = kw("x", keywords=tuple(f"mot{i}" for i in range(30)))
    assert len(out) == MAX_KEYWORDS


def test_keywords_are_idempotent():
    first = kw("Concert jazz et maraude", "Tournoi", categories=("Musique",), keywords=("Live",))
    again = kw("Concert jazz et maraude", "Tournoi", categories=("Musique",), keywords=first)
    assert again == first


def test_overlong_tags_are_dropped():
    assert kw("x", keywords=("a" * 60,)) == ()
