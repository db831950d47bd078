"""Settings of the city agents' call form (in the site's settings table)."""

from __future__ import annotations

from shared.settings import Setting

CITY_CALLS_SETTINGS: tuple[Setting, ...] = (
    Setting("MAILLAGE_CITY_PUBLISHER", "ville-rennes",
            "Publisher of the calls for projects city agents publish with the site's form "
            "(/appels/publier); the same name as the city's push publisher merges both."),
)
