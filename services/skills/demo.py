"""A few believable posts of the demo associations, created at start with ``MAILLAGE_DEMO``
on, through the same storage code as everyone's; at each start again, it changes nothing
(an association that has posts already gets none)."""

from __future__ import annotations

import logging

from services.accounts.model import Person
from services.accounts.storage import Stores
from services.associations.storage import Associations
from services.skills.model import NEED, OFFER, PROJECT
from services.skills.storage import Skills

log = logging.getLogger(__name__)
ACTOR = Person(id="demo", email="demo@maillage.invalid")

POSTS = (
    ("velo-solidaire", OFFER, {
        "title": "Notre trésorière aide à monter un budget prévisionnel",
        "description": "Deux heures par mois, au local ou en visio : budget prévisionnel, "
                       "suivi de trésorerie, dossier de subvention.",
        "skills": ["comptabilite", "financements"], "modes": ["distance", "sur_place"],
        "effort": "2 h par mois", "keywords": ["budget", "subvention"]}),
    ("jardins-blosne", NEED, {
        "title": "Besoin d’un·e graphiste pour l’affiche de la fête des jardins",
        "description": "Une affiche A3 et une version pour les réseaux sociaux, avant mai.",
        "skills": ["graphisme", "communication"], "modes": ["distance"],
        "starts": "2027-02-01", "ends": "2027-04-15", "effort": "une journée",
        "keywords": ["affiche"]}),
    ("choeur-arc-en-ciel", PROJECT, {
        "title": "Projet tutoré : refaire le site web du chœur",
        "description": "Un petit site accessible avec l’agenda des concerts, pour une équipe "
                       "d’étudiant·es en numérique ou en communication.",
        "skills": ["numerique", "communication"], "modes": ["sur_place", "distance"],
        "project_kinds": ["projet_tutore"], "starts": "2027-01-11", "ends": "2027-03-26",
        "studies": "BUT MMI ou information-communication"}),
    ("repair-cafe-villejean", OFFER, {
        "title": "Prêt de bras et d’outils pour vos petits travaux",
        "description": "Nos bénévoles bricoleurs viennent aider à monter une estrade, "
                       "réparer des tables ou installer une étagère.",
        "skills": ["bricolage"], "modes": ["sur_place"], "effort": "un samedi matin"}),
)


async def seed(stores: Stores) -> int:
    """Create the demo posts of the demo associations that have none yet."""
    associations, skills = Associations(stores), Skills(stores)
    created = 0
    for aid, kind, values in POSTS:
        association = await associations.get(aid)
        if association is None or await skills.of_owner(aid):
            continue
        full = {"description": "", "keywords": [], "modes": [], "project_kinds": [],
                "studies": "", "starts": "", "ends": "", "effort": "", "quartier": "",
                "commune": "Rennes", **values}
        await skills.create(kind, full, author=ACTOR, association=association)
        created += 1
    if created:
        log.info("demo skills posts created", extra={"count": created})
    return created
