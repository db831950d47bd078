"""shared.store.suggest.respell: keyword slugs spelled as the events' texts write them."""

from shared.store.suggest import respell


def test_slug_words_take_the_accents_of_the_texts() -> None:
    texts = ["Atelier d’autoréparation de vélos", "Réparer son VÉLO à l’atelier vélo"]
    assert respell("velo", texts) == "vélo"
    assert respell("atelier-velo", texts) == "atelier vélo"
    assert respell("fest-noz", ["Grand Fest-Noz de la Saint-Martin"]) == "fest-noz"


def test_a_slug_no_text_has_stays_as_it_is() -> None:
    assert respell("velo", ["Concert", "Vélos d’occasion"]) == "velo"
