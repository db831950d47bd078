"""What people send about posts, and a post's searchable form on the board."""

from __future__ import annotations

import pytest
from multidict import MultiDict

from services.skills.model import CLOSED, IN_PROGRESS, NEED, PROJECT, STUDENT, Post
from services.skills.project import PROJECTIONS
from services.skills.validate import message_values, plain, post_values
from shared.errors import InvalidInput
from shared.records import Entry


def need(**extra: object) -> dict[str, object]:
    return {"title": "Graphiste pour l’affiche du festival", "skills": ["graphisme"],
            "description": "Une affiche A3 et une bannière.", **extra}


def test_a_form_with_repeated_fields_and_a_json_body_give_the_same_values() -> None:
    form = MultiDict([("title", "  Graphiste pour   l’affiche du festival "),
                      ("skills", "graphisme"), ("skills", "communication"),
                      ("modes", "distance"), ("keywords", "Affiche, festival, affiche"),
                      ("starts", "2027-01-10"), ("ends", "2027-03-31")])
    body = {"title": "Graphiste pour l’affiche du festival",
            "skills": ["graphisme", "communication"], "modes": ["distance"],
            "keywords": ["affiche", "festival"], "starts": "2027-01-10", "ends": "2027-03-31"}
    assert post_values(form, NEED) == post_values(body, NEED)
    assert post_values(form, NEED)["keywords"] == ["affiche", "festival"]


def test_each_refused_field_is_named_with_a_french_message() -> None:
    with pytest.raises(InvalidInput) as exc:
        post_values({"title": "abc", "skills": ["plomberie"], "modes": ["ailleurs"],
                     "starts": "2027-03-01", "ends": "2027-02-01"}, NEED)
    errors = exc.value.errors
    assert set(errors) == {"title", "skills", "modes", "ends"}
    assert "plomberie" in errors["skills"] and "après" in errors["ends"]
    with pytest.raises(InvalidInput) as exc:
        post_values(need(starts="15/01/2027"), NEED)
    assert "AAAA-MM-JJ" in exc.value.errors["starts"]


def test_a_student_says_what_they_study_and_what_kind_of_project() -> None:
    with pytest.raises(InvalidInput) as exc:
        post_values(need(), STUDENT)
    assert set(exc.value.errors) == {"studies", "project_kinds"}
    values = post_values(need(studies="BUT info-com", project_kinds=["projet_tutore"]),
                         STUDENT)
    assert values["project_kinds"] == ["projet_tutore"]
    with pytest.raises(InvalidInput):
        post_values(need(project_kinds=["service_civique"]), PROJECT)


def test_markup_is_dropped_from_descriptions_and_messages() -> None:
    values = post_values(need(description='<p>Une <b>affiche</b></p><script>x()</script>'
                                          '<img src=x onerror=alert(1)> &amp; plus'), NEED)
    assert values["description"] == "Une affiche & plus"
    assert plain("ligne 1\r\nligne   2") == "ligne 1\nligne 2"
    with pytest.raises(InvalidInput):
        message_values({"text": "<b></b>court"})
    assert message_values({"text": "Bonjour, je peux aider.", "share_address": "oui"}) == (
        "Bonjour, je peux aider.", True)
    assert message_values({"text": "Bonjour, je peux aider."})[1] is False


def post(**extra: object) -> Post:
    base = {"owner": "velo-solidaire", "id": "s1", "type": NEED,
            "title": "Graphiste pour l’affiche", "skills": ["graphisme"],
            "keywords": ["affiche"], "modes": ["distance"], "quartier": "Centre",
            "commune": "Rennes", "themes": ["mobilite"], "owner_name": "Vélo Solidaire",
            "author": "p_secret", "starts": "2027-01-10", "ends": "2027-03-31",
            "created": "2026-12-02T10:00:00+00:00", "updated": "2026-12-02T11:00:00+00:00"}
    return Post.from_record({**base, **extra})


def entry(p: Post, op: str = "update", seq: int = 7) -> Entry:
    return Entry(f"maillage.rec.skill.{p.owner}.{p.id}", seq, op, p.to_record())


def test_the_board_document_has_the_facets_and_never_the_author() -> None:
    message = PROJECTIONS["skill"](entry(post()), None)
    assert (message.kind, message.rid, message.seq) == ("skill", "velo-solidaire.s1", 7)
    doc = message.doc
    assert doc is not None and "p_secret" not in repr(doc)
    assert doc["facets"] == {"type": ["besoin"], "skill": ["graphisme"],
                             "theme": ["mobilite"], "mode": ["distance"],
                             "state": ["ouvert"], "quartier": ["Centre"],
                             "commune": ["Rennes"]}
    assert doc["starts"] == "2027-01-10T00:00:00+01:00"
    assert doc["ends"] == "2027-03-31T23:59:59+02:00"
    assert doc["owner"] == "velo-solidaire" and doc["id"] == "velo-solidaire.s1"
    assert "Graphisme" in doc["text"] and "Vélo Solidaire" in doc["text"]
    assert doc["updated"] == "2026-12-02T11:00:00+00:00"


def test_closed_and_deleted_posts_leave_the_board_in_progress_stays() -> None:
    assert PROJECTIONS["skill"](entry(post(state=CLOSED)), None).doc is None
    assert PROJECTIONS["skill"](entry(post(), op="delete"), None).doc is None
    kept = PROJECTIONS["skill"](entry(post(state=IN_PROGRESS)), None).doc
    assert kept is not None and kept["facets"]["state"] == ["en_cours"]


def test_a_students_profile_names_no_owner_on_the_board() -> None:
    profile = post(owner="p_abc", id="profil", type=STUDENT, owner_name="",
                   project_kinds=["stage"], studies="Master droit", starts="", ends="")
    doc = PROJECTIONS["skill"](entry(profile), None).doc
    assert doc is not None and "owner" not in doc and doc["association"] is None
    assert "starts" not in doc and doc["facets"]["project_kind"] == ["stage"]
    assert "p_abc" not in repr({k: v for k, v in doc.items() if k != "id"})


def test_control_characters_are_dropped_from_every_text() -> None:
    # kept, a BEL or ESC made the post's page invalid HTML (and reached the mails)
    out = post_values(need(title="Graphiste\x07 pour\x1b l’affiche",
                           description="Une affiche\x08 A3\nEt\x00 une bannière.",
                           keywords="af\x07fiche", effort="2 h\x1f", quartier="Centre\x0b"),
                      NEED)
    assert out["title"] == "Graphiste pour l’affiche"
    assert out["description"] == "Une affiche A3\nEt une bannière."
    assert (out["keywords"], out["effort"], out["quartier"]) == (["affiche"], "2 h", "Centre")
    assert message_values({"text": "Bonjour\x07, je peux aider\x1b."})[0] == (
        "Bonjour, je peux aider.")
