"""Pooled skills and students looking for projects (the workshop's shared skills
sponsorship): associations post what they can lend (``offre``), what they need
(``besoin``) and projects for students (``projet_etudiant``); a student posts their profile
(``etudiant``). Records in ``RECORDS`` (:mod:`.model`, :mod:`.storage`), searched on the
board (:mod:`.project`, :mod:`.search`), pages under ``/competences`` (:mod:`.pages`), the
API under ``/v1/skills`` (:mod:`.routes`).

``setup(app)`` (after :func:`services.associations.setup`) mounts them and registers with
accounts: the account page's part, erasure and export, the demo posts.
"""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from services.accounts import SITE, add_templates
from services.skills import demo, pages, routes
from services.skills.storage import erase_skills, export_skills

HERE = Path(__file__).parent


def setup(app: web.Application) -> None:
    state = app[SITE]
    add_templates(app, HERE / "templates")
    pages.add_routes(app)
    routes.add_routes(app)
    state.account_sections.append(pages.account_section)
    state.hooks.erasers.append(erase_skills)
    state.hooks.exporters.append(export_skills)
    if state.settings.demo:
        state.on_ready.append(demo.seed)
