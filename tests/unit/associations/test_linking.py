"""Linking organizer strings to association records (services/associations/linking.py)."""

from __future__ import annotations

import pytest

from services.associations.linking import LINKED, TO_REVIEW, Linker, name_key, split_parts

ASSOCIATIONS = [
    {"id": "velo", "name": "Roazhon Vélo Solidaire", "acronym": "RVS", "rna": "W353001001",
     "website": "https://www.roazhon-velo.fr/", "organizers": ["Atelier Vélo du mardi"]},
    {"id": "alb", "name": "Amicale Laïque du Blosne", "acronym": "AL"},
    {"id": "alc", "name": "Amicale Laïque de Cleunay", "acronym": "AL",
     "website": "https://alcleunay.wordpress.com"},
    {"id": "choeur", "name": "Chœur Arc-en-Ciel de Rennes"},
    {"id": "waiting", "name": "Club en attente", "state": "pending"},
]


@pytest.fixture(scope="module")
def linker() -> Linker:
    return Linker(ASSOCIATIONS)


def one(links: list) -> tuple[str, str, str]:
    assert len(links) == 1, links
    return links[0].association, links[0].status, links[0].reason


def test_name_key_sets_articles_legal_forms_and_case_aside() -> None:
    assert name_key("L'Association Chœur ARC-EN-CIEL") == "arc choeur ciel"
    assert name_key("Chœur Arc-en-Ciel de Rennes", places=False) == "arc choeur ciel"


def test_declared_organizer_name_links_for_sure(linker: Linker) -> None:
    (link,) = linker.link("ATELIER VÉLO DU MARDI")
    assert (link.association, link.status, link.confidence) == ("velo", LINKED, 1.0)


def test_name_written_otherwise_links(linker: Linker) -> None:
    assert one(linker.link("Association Roazhon Velo Solidaire"))[:2] == ("velo", LINKED)
    assert one(linker.link("Le Chœur Arc en Ciel"))[:2] == ("choeur", LINKED)


def test_rna_number_in_the_page_links(linker: Linker) -> None:
    links = linker.link("Club de vélo", context=["Association loi 1901, RNA W353001001."])
    assert one(links) == ("velo", LINKED, "rna")


def test_website_domain_links_but_a_shared_host_says_nothing(linker: Linker) -> None:
    assert one(linker.link("mailto:contact@roazhon-velo.fr")) == ("velo", LINKED, "domain")
    assert linker.link("Atelier", context=["https://alcleunay.wordpress.com/agenda"]) == []
    assert linker.link("mailto:jean.martin@gmail.com") == []


def test_acronym_shared_by_two_goes_to_review(linker: Linker) -> None:
    links = linker.link("AL")
    assert [lk.status for lk in links] == [TO_REVIEW]
    assert {c.association for c in links[0].candidates} == {"alb", "alc"}
    assert one(linker.link("RVS"))[:2] == ("velo", LINKED)


def test_uncertain_names_wait_for_review_and_unknown_ones_are_not_guessed(linker: Linker
                                                                           ) -> None:
    assert one(linker.link("Roazhon Vélo Solidaire Atelier de la Touche")) == (
        "velo", LINKED, "contains")
    assert linker.link("Roazhon Velo Solidair")[0].status == TO_REVIEW  # a typo
    assert linker.link("Amicale Laïque de Chantepie") == []
    assert linker.link("Ville de Rennes") == []
    assert linker.link("Club en attente") == []  # not approved yet


def test_co_organizers_are_linked_each(linker: Linker) -> None:
    assert split_parts("Amicale Laïque du Blosne / Roazhon Vélo Solidaire") == [
        "Amicale Laïque du Blosne", "Roazhon Vélo Solidaire"]
    links = linker.link("Amicale Laïque du Blosne & Roazhon Vélo Solidaire")
    assert [(lk.association, lk.status) for lk in links] == [("alb", LINKED), ("velo", LINKED)]


@pytest.mark.parametrize(("split", "rows", "precision", "recall"), [
    ("heldout", 60, 0.95, 0.8),
    # written after the rules, run once, never tuned on: precision 0.96, recall 0.69 (7 of the
    # 8 links sent to review proposed the right association)
    ("heldout2", 40, 0.95, 0.65),
])
def test_labelled_set_held_out_precision_and_recall(script, split: str, rows: int,
                                                    precision: float, recall: float) -> None:
    """The measured figures (scripts/eval_links.py) must not fall: on ``heldout`` precision
    0.95 and recall 0.84 when this was written."""
    score = script("eval_links").evaluate(split)
    assert score.rows >= rows
    assert score.precision >= precision
    assert score.recall >= recall
