"""The demo's venues, created when the site starts with ``MAILLAGE_DEMO`` on, through the same
storage code as everyone's: two rooms of demo associations and one of the city, each with
free slots in the coming weeks (a weekly evening and a few Saturdays). Again at each start,
it changes nothing (each venue is created only when its id is free; its slots with it)."""

from __future__ import annotations

import logging
from datetime import date, time, timedelta

from services.accounts.storage import Stores
from services.venues.model import CITY, CITY_NAME
from services.venues.storage import Venues
from services.venues.validate import occurrence
from shared.records import Conflict

log = logging.getLogger(__name__)
ACTOR = "demo"

#: (id, owner, owner's name, values, weekly evening (weekday, start, end) or None)
VENUES = (
    ("atelier-des-allies", "velo-solidaire", "Roazhon Vélo Solidaire", {
        "name": "L’atelier des Alliés", "street": "6 cours des Alliés", "postcode": "35000",
        "city": "Rennes", "capacity": 25, "surface": 60,
        "description": "Un atelier vélo au rez-de-chaussée, avec un coin réunion : établis, "
                       "outils et une grande table pour vingt personnes.",
        "equipment": ["tables", "wifi", "sanitaires", "parking-velo"],
        "accessibility": ["mi", "places_fauteuil"],
        "rates": [{"unit": "soiree", "audience": "associations", "cents": 0},
                  {"unit": "demi-journee", "audience": "particuliers", "cents": 3000}],
        "conditions": "Rangement et balayage en partant. Pas de repas chaud."},
     (2, time(18), time(22))),
    ("maison-du-blosne", "jardins-blosne", "Les Jardins Partagés du Blosne", {
        "name": "La maison du jardin du Blosne", "street": "7 boulevard de Yougoslavie",
        "postcode": "35200", "city": "Rennes", "capacity": 40, "surface": 90,
        "description": "Une salle claire ouverte sur le jardin partagé, avec une cuisine "
                       "équipée : idéale pour un atelier, un repas partagé ou une AG.",
        "equipment": ["cuisine", "tables", "exterieur", "sanitaires", "parking-velo"],
        "accessibility": ["mi"],
        "rates": [{"unit": "heure", "audience": "associations", "cents": 800},
                  {"unit": "journee", "audience": "associations", "cents": 5000},
                  {"unit": "journee", "audience": "particuliers", "cents": 9000},
                  {"unit": "journee", "audience": "reduit", "cents": 2500}],
        "conditions": "Caution de 150 € par chèque. Accès au jardin jusqu’à 21 h."},
     (4, time(18, 30), time(21, 30))),
    ("salle-de-la-cite", CITY, CITY_NAME, {
        "name": "Salle de la Cité", "street": "10 rue Saint-Louis", "postcode": "35000",
        "city": "Rennes", "capacity": 300, "surface": 400,
        "description": "Grande salle de spectacle et de réunion du centre-ville, avec "
                       "scène, régie son et lumière.",
        "equipment": ["scene", "sono", "micro", "eclairage", "videoprojecteur", "ecran",
                      "vestiaire", "sanitaires"],
        "accessibility": ["mi", "places_fauteuil", "boucle_magnetique"],
        "rates": [{"unit": "soiree", "audience": "associations", "cents": 12000},
                  {"unit": "journee", "audience": "associations", "cents": 25000},
                  {"unit": "journee", "audience": "particuliers", "cents": 60000}],
        "conditions": "Réservée aux associations rennaises et aux événements ouverts au "
                      "public. Régisseur de la Ville obligatoire (compris dans le tarif)."},
     None),
)


async def seed(stores: Stores, *, today: date | None = None) -> int:
    """Create the demo venues that do not exist yet, with their slots; returns how many."""
    venues = Venues(stores)
    today = today or date.today()
    created = 0
    for vid, owner, owner_name, values, weekly in VENUES:
        if await venues.records.last(venues.subject(vid)) is not None:
            continue
        try:
            venue = await venues.create(values, owner=owner, owner_name=owner_name,
                                        actor=ACTOR, vid=vid)
        except Conflict:  # another replica created it just now
            continue
        created += 1
        slots = []
        if weekly is not None:
            weekday, start, end = weekly
            first = today + timedelta(days=(weekday - today.weekday()) % 7 or 7)
            slots += [occurrence(first + timedelta(weeks=w), start, end) for w in range(6)]
        saturday = today + timedelta(days=(5 - today.weekday()) % 7 or 7)
        slots += [occurrence(saturday + timedelta(weeks=w), time(14), time(18))
                  for w in (0, 2, 3)]
        slots += [occurrence(saturday + timedelta(weeks=w), time(19), time(0))
                  for w in (1, 3)]
        await venues.publish(venue, sorted(slots), actor=ACTOR)
    if created:
        log.info("demo venues created", extra={"count": created})
    return created
