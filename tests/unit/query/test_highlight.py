"""Highlighted snippets follow the search rule: folded stems, last word as a prefix."""

from __future__ import annotations

from services.query.highlight import Highlighter, highlight_item


def test_stem_matches_plural_and_accents() -> None:
    assert Highlighter("velo").mark("Deux Vélos") == "Deux <mark>Vélos</mark>"


def test_last_word_matches_as_prefix() -> None:
    assert Highlighter("chor").mark("La Chorale") == "La <mark>Chorale</mark>"


def test_earlier_words_must_match_whole_stems() -> None:
    marked = Highlighter("chor concert").mark("chorale et concerts")
    assert marked == "chorale et <mark>concerts</mark>"


def test_text_is_escaped_around_marks() -> None:
    assert Highlighter("jazz").mark("<b>jazz</b> & co") == (
        "&lt;b&gt;<mark>jazz</mark>&lt;/b&gt; &amp; co")


def test_stop_words_are_never_marked() -> None:
    assert Highlighter("la fête").mark("la fête de la musique") == (
        "la <mark>fête</mark> de la musique")


def test_query_of_stop_words_marks_nothing() -> None:
    assert Highlighter("de la").mark("de la musique") == "de la musique"


def test_apostrophe_elision_still_matches() -> None:
    assert Highlighter("école").mark("Fête à l’École") == "Fête à l’<mark>École</mark>"


def test_snippet_of_short_text_is_whole_text() -> None:
    assert Highlighter("vélo").snippet("Atelier vélo") == "Atelier <mark>vélo</mark>"


def test_snippet_centres_on_first_match_with_ellipses() -> None:
    text = "mot " * 100 + "chorale " + "fin " * 100
    snippet = Highlighter("chorale").snippet(text, width=80)
    assert snippet.startswith("… ") and snippet.endswith(" …")
    assert "<mark>chorale</mark>" in snippet
    assert len(snippet) < 80 + 40


def test_snippet_without_match_starts_at_the_beginning() -> None:
    snippet = Highlighter("vélo").snippet("début " + "texte " * 60, width=50)
    assert snippet.startswith("début") and snippet.endswith(" …")


def test_highlight_item_adds_title_html_and_snippet() -> None:
    item = {"title": "Atelier vélo", "description_text": "Réparer son vélo"}
    highlight_item(item, Highlighter("vélo"))
    assert item["title_html"] == "Atelier <mark>vélo</mark>"
    assert item["snippet"] == "Réparer son <mark>vélo</mark>"


def test_highlight_item_keeps_the_store_snippet() -> None:
    item = {"title": "Atelier vélo", "snippet": "du <mark>store</mark>"}
    highlight_item(item, Highlighter("vélo"))
    assert item["snippet"] == "du <mark>store</mark>"
