"""French typography of every page (services.query.web.fr.typo / typo_html)."""

from __future__ import annotations

from datetime import datetime

from services.query.web.fr import NBSP, NNBSP, clock, typo, typo_html


def test_apostrophes_become_curly() -> None:
    assert typo("l'agenda d'aujourd'hui") == "l’agenda d’aujourd’hui"


def test_guillemets_hold_their_words_with_no_break_spaces() -> None:
    assert typo("« poésie »") == f"«{NBSP}poésie{NBSP}»"
    assert typo("«poésie»") == f"«{NBSP}poésie{NBSP}»"


def test_high_punctuation_gets_no_break_spaces() -> None:
    assert typo("Quand ? Vite ! Date limite : demain ; ensuite") == (
        f"Quand{NNBSP}? Vite{NNBSP}! Date limite{NBSP}: demain{NNBSP}; ensuite")


def test_times_and_amounts_do_not_split() -> None:
    assert typo("de 12 h 30 à 14 h, 12 €") == f"de 12{NBSP}h{NBSP}30 à 14{NBSP}h, 12{NBSP}€"
    assert clock(datetime(2026, 12, 5, 20, 30)) == f"20{NBSP}h{NBSP}30"


def test_urls_times_and_code_are_left_alone() -> None:
    for text in ("https://example.org:8080/a?b=c", "12:30", "a;b", "x?y=1"):
        assert typo(text) == text


def test_typo_is_idempotent() -> None:
    text = "l'atelier : « vélo » ! 9 h 30 ?"
    assert typo(typo(text)) == typo(text)


def test_html_text_is_typeset_but_not_tags_scripts_or_code() -> None:
    html = ('<p title="l\'a : b">l&#39;a : b</p><script>x = a ? 1 : 2</script>'
            '<pre>c : d</pre><code>e ?</code><input value="f : g"> fin ?')
    assert typo_html(html) == (
        f'<p title="l\'a : b">l’a{NBSP}: b</p><script>x = a ? 1 : 2</script>'
        f'<pre>c : d</pre><code>e ?</code><input value="f : g"> fin{NNBSP}?')


def test_place_pieces_are_said_once() -> None:
    from services.query.web.fr import join_place, place_label

    item = {"location": {"name": "Parc des Hautes-Ourmes",
                         "address": "Parc des Hautes-Ourmes, 35200 Rennes", "city": "Rennes"}}
    assert place_label(item) == "Parc des Hautes-Ourmes, 35200 Rennes"
    assert join_place("Salle de la Cité", "10 rue Saint-Louis", "Rennes") == (
        "Salle de la Cité, 10 rue Saint-Louis, Rennes")
    assert join_place("La Petite Rennes", "4 rue Saint-Malo", "Rennes") == (
        "La Petite Rennes, 4 rue Saint-Malo, Rennes")  # a name is not a city
    assert join_place("Le Triangle", "le triangle", "35200  rennes", "Rennes") == (
        "Le Triangle, 35200 rennes")
    assert place_label({"location": {"online": True}}) == "En ligne"


def test_texts_no_rule_changes_are_skipped_and_only_those() -> None:
    """typo() skips a text without any rule's trigger (most of a page): it gives what every
    rule applied in turn gives, for texts that each trigger one rule."""
    from services.query.web.fr import _TYPO

    samples = ["l'agenda", "l&#39;agenda", "l&#x27;agenda", "«poésie", "poésie »",
               "Date limite : demain", "Quand ?", "Vite !", "a ; b", "de 9 h 30", "à 14 h",
               "12 €", "50 %", "  ", "Bréquigny", "Sport et plein air", "Union 35"]
    for text in samples:
        every = text
        for pattern, replacement in _TYPO:
            every = pattern.sub(replacement, every)
        assert typo(text) == every, text
