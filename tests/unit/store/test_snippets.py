"""Snippets mark exactly the words a token-by-token reading marks."""

from __future__ import annotations

import html
import random
import re

from shared.store.snippets import CONTEXT, Marker, _window, highlight, snippet, word_stem
from shared.store.sqlite_docs import index_text

PIECES = ["vélo", "Vélos", "VÉLO", "velo_", "_velo", "2vélo", "vélo2", "½vélo", "vélocipède",
          "réparation", "répare", "l'atelier", "d’été", "atelier", "<b>", "&amp;", "café",
          "x" * 30, "—", "…", "«", "»", ",", "!", "mot250", "mot2500"]


def reference(title: str, text: str, q: str) -> str:
    """Every ``\\w+`` token tested in turn (the former implementation, plainly)."""
    stems = index_text(q).split()

    def hit(word: str) -> bool:
        found = word_stem(word)
        return found is not None and (found[1] in stems[:-1] or found[1] == stems[-1]
                                      or found[1].startswith(stems[-1])
                                      or found[0].startswith(stems[-1]))

    def render(s: str, spans: list[tuple[int, int]], lo: int, hi: int) -> str:
        out, pos = "", lo
        for a, b in spans:
            out += html.escape(s[pos:a]) + "<mark>" + html.escape(s[a:b]) + "</mark>"
            pos = b
        return (("…" if lo > 0 else "") + out + html.escape(s[pos:hi])
                + ("…" if hi < len(s) else ""))

    text = " ".join(text.split())
    tokens = [m for m in re.finditer(r"\w+", text) if hit(m.group())]
    if tokens:
        lo, hi = _window(text, tokens[0].start())
        return render(text, [m.span() for m in tokens if lo <= m.start() < hi], lo, hi)
    marked = [m.span() for m in re.finditer(r"\w+", title) if hit(m.group())]
    if marked or not text:
        return render(title, marked, 0, len(title))
    lo, hi = _window(text, 0)
    return render(text, [], lo, hi)


def test_snippets_equal_a_token_by_token_reading() -> None:
    rng = random.Random(5)
    for q in ["velo", "vélo", "répar", "atelier velo", "mot250", "ete", "l atelier", "2"]:
        marker = Marker(index_text(q).split())  # shared by the page, as the stores do
        for _ in range(300):
            words = [rng.choice(PIECES) for _ in range(rng.randint(0, 80))]
            text = rng.choice([" ", "  ", "", "-"]).join(words)
            title = " ".join(rng.choice(PIECES) for _ in range(rng.randint(0, 4)))
            expected = reference(title, text, q)
            assert snippet(title, text, index_text(q).split(), marker) == expected, (q, text)


def test_a_page_is_marked_as_each_of_its_results_alone() -> None:
    # highlight() tests the words of the whole page at once, then looks for the page's
    # matching words in each result: a word of one result must not mark another
    rng = random.Random(11)
    for q in ["velo", "répar", "atelier velo", "mot250", "ete", "2"]:
        for _ in range(60):
            items = [{"title": " ".join(rng.choice(PIECES) for _ in range(rng.randint(0, 4))),
                      "description_text": rng.choice([" ", "-"]).join(
                          rng.choice(PIECES) for _ in range(rng.randint(0, 40)))}
                     for _ in range(rng.randint(1, 20))]
            highlight(items, index_text(q).split())
            for item in items:
                alone = {"title": item["title"], "description_text": item["description_text"]}
                assert item["snippet"] == reference(item["title"], item["description_text"], q)
                highlight([alone], index_text(q).split())
                assert (item["title_html"], item["snippet"]) == (
                    alone["title_html"], alone["snippet"]), (q, item)


def test_texts_seen_before_are_marked_as_new_ones() -> None:
    # each text's words are memoized with its title's: the same text under another title,
    # and the same title and text in a later search, are marked as if never seen
    items = [{"title": "Concert", "description_text": "Une soirée au centre"},
             {"title": "Chorale", "description_text": "Une soirée au centre"}]
    highlight(items, index_text("chorale").split())
    assert [i["title_html"] for i in items] == ["Concert", "<mark>Chorale</mark>"]
    again = [{"title": "Concert", "description_text": "Une soirée au centre"}]
    highlight(again, index_text("soiree concert").split())
    assert again[0]["title_html"] == "<mark>Concert</mark>"
    assert again[0]["snippet"] == "Une <mark>soirée</mark> au centre"


def test_snippet_centres_on_a_late_match_and_marks_whole_words_only() -> None:
    text = "début " + "remplissage " * 40 + "les vélos du vélodrome, vélo! salles"
    # "vélo" must match a whole stem ("velos" and "velodrom" are others), the last word
    # "sal" is a prefix
    out = snippet("", text, index_text("vélo sal").split())
    assert out.startswith("…") and len(out) < 2 * CONTEXT + 180
    assert out.endswith("les vélos du vélodrome, <mark>vélo</mark>! <mark>salles</mark>")


def test_title_is_marked_when_the_text_has_no_match() -> None:
    assert (snippet("Atelier <vélo>", "rien ici", ["velo"])
            == "Atelier &lt;<mark>vélo</mark>&gt;")


def marked_title(q: str, title: str, text: str = "") -> tuple[str, str]:
    item = {"title": title, "description_text": text}
    highlight([item], index_text(q).split())
    return item["title_html"], item["snippet"]


def test_titles_follow_the_search_rule() -> None:
    # stems and accents; the last word as a prefix; earlier words as whole stems
    assert marked_title("velo", "Deux Vélos")[0] == "Deux <mark>Vélos</mark>"
    assert marked_title("chor", "La Chorale")[0] == "La <mark>Chorale</mark>"
    assert (marked_title("chor concert", "chorale et concerts")[0]
            == "chorale et <mark>concerts</mark>")
    # stop words never match, a query of stop words marks nothing
    assert (marked_title("la fête", "la fête de la musique")[0]
            == "la <mark>fête</mark> de la musique")
    assert marked_title("de la", "de la musique")[0] == "de la musique"
    # elided articles, and escaping around the marks
    assert marked_title("école", "Fête à l’École")[0] == "Fête à l’<mark>École</mark>"
    assert (marked_title("jazz", "<b>jazz</b> & co")[0]
            == "&lt;b&gt;<mark>jazz</mark>&lt;/b&gt; &amp; co")


def test_highlight_gives_title_and_snippet_of_each_result() -> None:
    assert marked_title("vélo", "Atelier vélo", "Réparer son vélo") == (
        "Atelier <mark>vélo</mark>", "Réparer son <mark>vélo</mark>")
    # no match in the text: the snippet is the marked title
    assert marked_title("vélo", "Atelier vélo", "Réparer") == (
        "Atelier <mark>vélo</mark>", "Atelier <mark>vélo</mark>")
    # no match anywhere: the title as is, the start of the text
    assert marked_title("jazz", "Atelier", "Réparer son vélo") == ("Atelier", "Réparer son vélo")
