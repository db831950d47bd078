"""The demo's joint applications, created when the site starts with ``MAILLAGE_DEMO`` on,
through the same storage code as everyone's; at each start it changes nothing when the
demo association already leads one (checked through its first application's claim)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from services.accounts.storage import Stores
from services.applications.storage import Applications
from services.applications.validate import deadline_of
from services.associations.storage import Associations

log = logging.getLogger(__name__)
ACTOR = "demo"
CLAIM = "demo-application"

#: (lead, partner or "", title, summary, wanted, themes, quartiers, skills, funder, days)
DEMO = (
    ("velo-solidaire", "", "Vélo-école pour les femmes du Blosne",
     "Des ateliers d’apprentissage du vélo pour les femmes du quartier, avec prêt de vélos "
     "pendant trois mois et une balade de fin de parcours.",
     "Une association du Blosne qui connaît les habitantes et peut accueillir les ateliers.",
     (), ("Le Blosne",), ("animation", "médiation"), "Fondation de France", 24),
    ("jardins-blosne", "choeur-arc-en-ciel", "Fête des récoltes en chansons",
     "Une fête de fin d’été dans les jardins partagés, avec un concert participatif et un "
     "repas préparé avec les légumes des parcelles.",
     "Des associations qui savent tenir une buvette ou installer une petite scène.",
     (), ("Le Blosne", "Bréquigny"), ("logistique", "sonorisation"), "Ville de Rennes", 40),
)


async def seed(stores: Stores) -> int:
    """Open the demo applications whose lead exists; returns how many were opened."""
    associations = Associations(stores)
    applications = Applications(stores)
    created = 0
    now = datetime.now(UTC)
    for lead, partner_id, title, summary, wanted, themes, quartiers, skills, funder, days in DEMO:
        found = await associations.get(lead)
        if found is None or not await stores.claims.take(CLAIM, title, ACTOR):
            continue
        values = {"title": title, "summary": summary, "wanted": wanted,
                  "themes": list(themes), "quartiers": list(quartiers),
                  "skills": list(skills), "funder": funder,
                  "deadline": deadline_of((now + timedelta(days=days)).date().isoformat()),
                  "link": "https://www.fondationdefrance.org/"}
        application = await applications.open(values, lead=found.id, lead_name=found.name,
                                              call=None, actor=ACTOR)
        partner = await associations.get(partner_id) if partner_id else None
        if partner is not None:
            await applications.invite(application, partner.id, partner.name, actor=ACTOR)
            await applications.decide(application.id, partner.id, True, side="partner",
                                      actor=ACTOR)
        created += 1
    if created:
        log.info("demo applications opened", extra={"count": created})
    return created
