"""The site's information pages, for associations and visitors.

``/participer``     how an association gets its events into the agenda (the formats that are
                    read, the guides, the self-service form once signed in)
``/contact``        whom to write to, and the forms that reach the operators
``/accessibilite``  the accessibility statement (déclaration d'accessibilité, RGAA 4.1)
``/entraide``       the hub of what associations share with each other (the workshop's
                    domains, each in its own package under ``services/``)

Their text is in the templates; the contact address is ``MAILLAGE_CONTACT_EMAIL``.
"""

from __future__ import annotations

from aiohttp import web

from services.query.context import SETTINGS

from .respond import render

#: The checks the browser tests run on every page (tests/e2e), said in the statement.
CHECKED_ON = "décembre 2026"


def contact_email(request: web.Request) -> str:
    return str(getattr(request.app[SETTINGS], "contact_email", "") or "")


def info_page(template: str):  # type: ignore[no-untyped-def]
    async def handler(request: web.Request) -> web.Response:
        return render(request, template, contact=contact_email(request), checked_on=CHECKED_ON)

    handler.__name__ = template.removesuffix(".html")
    return handler


#: The hub's entries: (page, title, what it is), in the order the workshop asked for them.
HUB = (
    ("/competences", "Compétences partagées",
     "Les associations prêtent leurs compétences, disent ce qui leur manque et proposent "
     "des projets aux étudiant·es ; les étudiant·es y disent ce qu’elles et ils cherchent."),
    ("/salles", "Salles et locaux à louer",
     "Les salles que des associations et la Ville mettent à disposition, leurs tarifs et "
     "leurs créneaux libres, et la demande de réservation."),
    ("/candidatures", "Candidatures communes",
     "Répondre à plusieurs à un appel à projets : les candidatures ouvertes qui "
     "cherchent des partenaires, et celle que votre association peut monter."),
    ("/reseau", "Le réseau des associations",
     "Qui travaille avec qui : les liens que les associations déclarent entre elles, "
     "sur une carte et en liste."),
)


async def entraide(request: web.Request) -> web.Response:
    hub = [{"url": url, "title": title, "text": text} for url, title, text in HUB]
    return render(request, "entraide.html", hub=hub)


def setup_info(app: web.Application) -> None:
    app.router.add_get("/entraide", entraide)
    app.router.add_get("/participer", info_page("participer.html"))
    app.router.add_get("/contact", info_page("contact.html"))
    app.router.add_get("/accessibilite", info_page("accessibilite.html"))
