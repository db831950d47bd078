"""The directory /associations, an association's page and the inventory /outils, through the
site with a real nats-server, the real registry of sources and a real SQLite search store."""

from __future__ import annotations

import asyncio
import html as htmllib
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest

from services.accounts.web import SITE
from services.associations import links
from services.associations.directory_api import DIRECTORY
from services.associations.model import DISSOLVED
from services.associations.storage import Associations
from services.harvester.registry import SourceRegistry
from services.harvester.sources import parse_source
from services.indexer.associations import AssociationContext
from services.indexer.records_consumer import RecordsIndexer
from services.query.context import STORE
from shared.model import Event, EventMessage, Occurrence
from tests.directory_projection import project_directory

from .conftest import Site

pytestmark = pytest.mark.integration

LD = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)


async def populate(site: Site) -> None:
    stores = site.app[SITE].ready()
    associations = Associations(stores)
    await associations.create({
        "name": "Union Rennes Basket 35", "acronym": "URB 35", "rna": "W353009001",
        "siren": "775688732", "purpose": "Pratique du basket-ball en compétition et loisir.",
        "themes": ["sport"], "rna_themes": ["011000"], "website": "https://www.urb35.fr",
        "links": {"mastodon": "https://mastodon.social/@urb35"},
        "address": {"street": "6 cours des Alliés", "postcode": "35000", "city": "Rennes"},
        "quartiers": ["Bréquigny"], "tools": ["helloasso"]},
        actor="test", aid="urb35")
    await associations.create({
        "name": "Ciné-club des Lices", "themes": ["culture"], "purpose": "Projections.",
        "address": {"city": "Cesson-Sévigné", "postcode": "35510"}},
        actor="test", aid="cine-lices", state=DISSOLVED)
    await SourceRegistry(stores.bus).add(parse_source({
        "id": "urb35-agenda", "organizer": "URB 35",
        "url": "https://calendar.google.com/calendar/ical/urb35/public/basic.ics"}, "test"),
        actor="test")
    start = datetime.now(UTC) + timedelta(days=5)
    await site.app[STORE].apply([EventMessage.upsert(Event.create(
        source_id="urb35-agenda", source_uid="j5", title="[M15] Journée 5", organizer="URB 35",
        occurrences=(Occurrence(start=start),),
        extra={"associations": ["urb35", "gone"]}), 1)])  # as the indexer links it
    named = await links.named_in(site.app[STORE], await links.registry_sources(stores.bus))
    await links.refresh(stores.records, named, actor="test")
    await project_directory(stores.bus, site.app[DIRECTORY])


async def test_directory_search_filters_and_facets(site: Site, browser) -> None:
    await populate(site)
    b = await browser()
    status, page = await b.get("/associations")
    assert status == 200, page
    assert "Union Rennes Basket 35" in page and "Roazhon Vélo Solidaire" in page  # + the demo
    assert "Dissoute" in page  # the dissolved one is listed, marked
    status, page = await b.get("/associations?q=basket")
    assert "1 association" in page and "Union Rennes Basket 35" in page
    assert "Roazhon Vélo Solidaire" not in page
    status, page = await b.get("/associations?q=URB+35")
    assert "Union Rennes Basket 35" in page
    status, page = await b.get("/associations?a_venir=oui")
    assert "1 association" in page and "Union Rennes Basket 35" in page
    status, page = await b.get("/associations?outil=google-agenda")  # seen in its source
    assert "Union Rennes Basket 35" in page and "3 associations" in page  # 2 of the demo
    status, page = await b.get("/associations?commune=Cesson-S%C3%A9vign%C3%A9")
    assert "Ciné-club des Lices" in page and "1 association" in page
    status, page = await b.get("/associations?theme=sport&quartier=Br%C3%A9quigny")
    assert "1 association" in page
    # a facet counts its values among what the other filters keep: in Bréquigny, one for
    # sport, none for culture (not offered)
    themes = page[page.index("<legend>Thèmes</legend>"):]
    themes = themes[:themes.index("</fieldset>")]
    assert re.search(r'value="sport" checked>\s*<label[^>]*>Sport[^<]*<span class="n">\(1<',
                     themes), themes
    assert 'value="culture"' not in themes
    status, page = await b.get("/associations?quartier=Br%C3%A9quigny")
    quartiers = page[page.index("<legend>Quartiers</legend>"):]
    assert re.search(r'Bréquigny <span class="n">\(1<', quartiers[:quartiers.index("</fieldset>")])
    status, page = await b.get("/associations?q=zzzz")
    assert status == 200 and "Aucune association ne correspond" in page


#: The same searches as the page's parameters and as the API's.
SAME_SEARCHES = [
    ({}, {}),
    ({"q": "basket"}, {"q": "basket"}),
    ({"q": "URB 35"}, {"q": "URB 35"}),
    ({"a_venir": "oui"}, {"has_events": "true"}),
    ({"outil": "google-agenda"}, {"tool": "google-agenda"}),
    ({"theme": ["sport", "culture"]}, {"theme": ["sport", "culture"]}),
    ({"theme": "sport", "quartier": "Bréquigny"}, {"theme": "sport", "quartier": "Bréquigny"}),
    ({"commune": "Cesson-Sévigné"}, {"commune": "Cesson-Sévigné"}),
    ({"q": "vélo", "outil": "helloasso", "a_venir": "oui"},
     {"q": "vélo", "tool": "helloasso", "has_events": "true"}),
    ({"q": "zzzz"}, {"q": "zzzz"}),
]
FACET_OF = {"Thèmes": "theme", "Quartiers": "quartier", "Communes": "commune",
            "Outils utilisés": "tool"}


def as_query(params: dict[str, Any]) -> list[tuple[str, str]]:
    return [(k, v) for k, values in params.items()
            for v in (values if isinstance(values, list) else [values])]


def read_page(page: str) -> dict[str, Any]:
    """What the directory page shows: the number found, the associations listed (in order),
    and each filter's counts."""
    count = re.search(r'<p class="count">(Aucune|\d+) association', page)
    listed = page[page.index('<div class="results">'):]
    facets: dict[str, dict[str, int]] = {}
    for legend, name in FACET_OF.items():
        if f"<legend>{legend}</legend>" not in page:
            facets[name] = {}
            continue
        box = page[page.index(f"<legend>{legend}</legend>"):]
        box = box[:box.index("</fieldset>")]
        facets[name] = {htmllib.unescape(v): int(n) for v, n in re.findall(
            r'value="([^"]+)"[^>]*>\s*<label[^>]*>[^<]*<span class="n">\((\d+)', box)}
    upcoming = re.search(r'id="a-venir"[^>]*>\s*<label[^>]*>[^<]*<span class="n">\((\d+)',
                         page)
    assert count and upcoming, page
    return {"total": 0 if count.group(1) == "Aucune" else int(count.group(1)),
            "ids": re.findall(r'<h2 class="title"><a href="/associations/([^"]+)">', listed),
            "facets": facets, "upcoming": int(upcoming.group(1))}


async def test_the_page_and_the_api_give_the_same_results_and_counts(site: Site,
                                                                     browser) -> None:
    await populate(site)
    b = await browser()
    for page_params, api_params in SAME_SEARCHES:
        status, page = await b.get("/associations?" + urlencode(as_query(page_params)))
        assert status == 200, page
        shown = read_page(page)
        status, text = await b.get("/v1/associations?" + urlencode(
            [*as_query(api_params), ("facets", "true"), ("limit", "20")]))
        api = json.loads(text)
        assert shown["total"] == api["total"], page_params
        assert shown["ids"] == [i["id"] for i in api["items"]], page_params
        for name, counted in shown["facets"].items():
            expected = {f["value"]: f["count"] for f in api["facets"][name]}
            chosen = api_params.get(name, [])
            chosen = chosen if isinstance(chosen, list) else [chosen]
            # the page also offers the chosen values when they have no result (count 0)
            assert counted == {**{v: 0 for v in chosen}, **expected}, (page_params, name)
        having = {f["value"]: f["count"] for f in api["facets"]["has_events"]}
        assert shown["upcoming"] == having.get("true", 0), page_params
    assert read_page((await b.get("/associations?outil=google-agenda"))[1])["total"] == 3
    # what the API refuses, the page refuses too: in French, for a browser
    status, page = await b.get("/associations?theme=inconnu",
                               headers={"Accept": "text/html"})
    assert status == 400 and '<html lang="fr">' in page, page
    status, text = await b.get("/v1/associations?theme=inconnu")
    assert status == 400 and json.loads(text)["error"]["details"]["parameter"] == "theme"


async def test_association_page_shows_events_identity_sources_tools(site: Site,
                                                                  browser) -> None:
    from services.associations import interests

    from .test_interests import a_call

    await populate(site)
    records = site.app[SITE].ready().records
    teamed, hidden = await a_call(site), await a_call(site, joint=False)
    for cid in (teamed, hidden):
        await interests.declare(records, cid, "urb35", "Union Rennes Basket 35", "contact",
                                "Un gymnase", actor="test", association_id="urb35")
    await interests.hide(records, hidden, "urb35", actor="test")
    b = await browser()
    status, page = await b.get("/associations/urb35")
    assert status == 200, page
    assert "[M15] Journée 5" in page  # upcoming, from the agenda
    assert "Pratique du basket-ball" in page and "Bréquigny" in page
    assert "https://annuaire-entreprises.data.gouv.fr/rechercher?terme=W353009001" in page
    assert "https://annuaire-entreprises.data.gouv.fr/entreprise/775688732" in page
    assert "calendar.google.com" in page and "Google Agenda" in page  # source and tool
    assert "HelloAsso" in page and "repéré par Maillage" in page  # declared and detected
    calls = page[page.index("Appels à projets où elle cherche des partenaires"):]
    assert f'href="/appels/{teamed}">Jardins partagés' in calls
    assert f'/appels/{hidden}"' not in calls  # the publisher hid that one
    data = json.loads(htmllib.unescape(LD.search(page).group(1)))  # type: ignore[union-attr]
    assert data["@type"] == "NGO" and data["name"] == "Union Rennes Basket 35"
    assert {"@type": "PropertyValue", "propertyID": "RNA", "value": "W353009001"} in data[
        "identifier"]
    assert {i["propertyID"] for i in data["identifier"]} == {"RNA", "SIREN"}
    assert "https://www.urb35.fr" in data["sameAs"]
    assert data["address"]["addressLocality"] == "Rennes"
    # and the event's page links to the association's
    event = re.search(r'<a href="/evenement/([^"]+)">\[M15\] Journée 5</a>', page)
    assert event, page
    status, event_page = await b.get(f"/evenement/{event.group(1)}")
    assert status == 200
    assert '<dt>Association</dt><dd><a href="/associations/urb35">Union Rennes Basket 35</a>' \
        in event_page  # an id the directory does not know is left out


async def test_tools_inventory(site: Site, browser) -> None:
    await populate(site)
    b = await browser()
    status, page = await b.get("/outils")
    assert status == 200, page
    cells = r'</a></th>\s*<td data-label="Associations">'
    row = re.search(r'<a href="/associations\?outil=google-agenda">Google Agenda' + cells
                    + r"(\d+)", page)
    assert row and row.group(1) == "3"  # 2 demo associations declare it, 1 is seen
    assert re.search(r'outil=google-agenda">Google Agenda' + cells + r'3 <span class="hint">'
                     r"\(2 déclarées, 1 repérée\)</span></td>\s*"
                     r'<td data-label="Moissonnées par Maillage">1 ', page)  # harvested
    assert "Rejoindre Maillage" in page
    helloasso = re.search(r'outil=helloasso">HelloAsso' + cells + r'3 <span class="hint">'
                          r"\(3 déclarées, 0 repérée\)", page)
    assert helloasso, page


async def until(check: Any, what: str, within_s: float = 15) -> Any:
    """Poll ``check()`` until it gives something (a bounded wait, not a timing test)."""
    deadline = asyncio.get_running_loop().time() + within_s
    while not (found := await check()):
        assert asyncio.get_running_loop().time() < deadline, what
        await asyncio.sleep(0.1)
    return found


async def test_the_indexer_projects_new_associations_and_their_new_links(site: Site,
                                                                        browser) -> None:
    """The indexer's records projection running as in a stack: a new association reaches the
    page; a link an operator makes afterwards projects it again, with its organizer name, so
    that its events count as its own in the filters."""
    stores = site.app[SITE].ready()
    directory = site.app[DIRECTORY]
    context = AssociationContext()
    indexer = RecordsIndexer(stores.bus, directory, None, context=context, batch_size=64)
    tasks = [asyncio.create_task(indexer.run(idle_timeout=0.2)),
             asyncio.create_task(context.follow(stores.bus, every_s=0.1))]
    try:
        start = datetime.now(UTC) + timedelta(days=2)
        await site.app[STORE].apply([EventMessage.upsert(Event.create(
            source_id="s-thabor", source_uid="1", title="Fête des fleurs",
            organizer="Fête du Thabor", occurrences=(Occurrence(start=start),)), 1)])
        await Associations(stores).create({"name": "Les Amis du Thabor"}, actor="test",
                                          aid="amis-thabor")
        await until(lambda: directory.get("amis-thabor"), "not projected")
        b = await browser()
        assert "Les Amis du Thabor" in (await b.get("/associations?q=thabor"))[1]
        status, page = await b.get("/associations?a_venir=oui&q=thabor")
        assert "Aucune association ne correspond" in page  # not its name, not linked yet
        lid = links.link_id(links.ORGANIZER, "Fête du Thabor")
        await stores.records.create(links.subject(stores.records, lid), {
            "id": lid, "kind": links.ORGANIZER, "value": "Fête du Thabor", "label": "",
            "links": [], "decisions": {"Fête du Thabor": "amis-thabor"}}, actor="operator")

        async def linked() -> bool:
            doc = await directory.get("amis-thabor")
            return doc is not None and "Fête du Thabor" in doc["organizers"]

        await until(linked, "not projected again after the link")
        status, page = await b.get("/associations?a_venir=oui&q=thabor")
        assert "1 association" in page and "Les Amis du Thabor" in page, page
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def test_an_association_declares_its_tools_on_its_form(site: Site, browser) -> None:
    from .test_associations import operator

    b = await operator(site, browser)
    status, form = await b.get("/associations/velo-solidaire/modifier")
    assert status == 200 and 'name="tools" value="google-agenda" checked' in form  # the demo's
    version = re.search(r'name="version" value="(\d+)"', form)
    assert version
    base = {"name": "Roazhon Vélo Solidaire", "website": "https://velo-solidaire.test/",
            "organizers": "Roazhon Vélo Solidaire", "version": version.group(1)}
    refused = await b.post("/associations/velo-solidaire/modifier", {
        **base, "name": "", "tools": ["paheko", "loomio"]},  # type: ignore[dict-item]
        token_from="/associations/velo-solidaire/modifier")
    text = await refused.text()
    assert refused.status == 422
    assert 'value="paheko" checked' in text and 'value="loomio" checked' in text
    assert 'value="google-agenda" checked' not in text
    bad = await b.post("/associations/velo-solidaire/modifier", {
        **base, "tools": ["paheko", "minitel"]},  # type: ignore[dict-item]
        token_from="/associations/velo-solidaire/modifier")
    assert bad.status == 422 and "Choisissez les outils" in await bad.text()
    done = await b.post("/associations/velo-solidaire/modifier", {
        **base, "tools": ["loomio", "paheko"]},  # type: ignore[dict-item]
        token_from="/associations/velo-solidaire/modifier")
    assert done.status == 200, await done.text()
    found = await Associations(site.app[SITE].ready()).get("velo-solidaire")
    assert found is not None and found.tools == ("paheko", "loomio")  # the vocabulary's order
    status, page = await b.get("/associations/velo-solidaire")
    assert "Paheko (ex-Garradin)" in page and "Loomio" in page


async def test_a_dissolved_association_has_its_page_marked_dissolved(site: Site,
                                                                    browser) -> None:
    """Issue 20: the directory lists a dissolved association, the API gives it: its page is
    no 404, it says when it was dissolved (a French date), and an operator is not told it
    waits for approval."""
    from .test_associations import operator

    await Associations(site.app[SITE].ready()).create({
        "name": "Amicale des Anciens du Colombier", "rna": "W353000042",
        "dissolved_on": "2015-09-30"}, actor="test", aid="amicale-colombier",
        state=DISSOLVED)
    await project_directory(site.app[SITE].ready().bus, site.app[DIRECTORY])
    b = await browser()
    status, page = await b.get("/associations/amicale-colombier")
    assert status == 200, page
    assert "Dissoute le 30 septembre 2015" in page and "2015-09-30</p>" not in page
    assert "attend la validation" not in page
    data = json.loads(htmllib.unescape(LD.search(page).group(1)))  # type: ignore[union-attr]
    assert data["dissolutionDate"] == "2015-09-30"
    ops = await operator(site, browser)
    status, page = await ops.get("/associations/amicale-colombier")
    assert status == 200 and "Dissoute le 30 septembre 2015" in page
    assert "attend la validation" not in page
    assert "/associations/amicale-colombier/rejoindre" not in page  # no joining it
    refused = await ops.post("/associations/amicale-colombier/rejoindre", {},
                             token_from="/associations/nouvelle",
                             headers={"Accept": "text/html"})
    text = await refused.text()
    assert refused.status == 409 and "Cette association est dissoute\u00a0: on ne peut plus" \
        in text and "attend encore la validation" not in text
    # a missing one is still a 404, which leads back to the directory
    status, page = await b.get("/associations/nulle-part", headers={"Accept": "text/html"})
    assert status == 404 and 'href="/associations">Retour à l’annuaire' in page
    assert "Retour à l’agenda" not in page


async def test_a_refused_filter_says_which_and_stays_removable(site: Site, browser) -> None:
    """Issue 20: as on the agenda, a theme or a tool that does not exist, a commune outside
    Rennes Métropole, is named in French and its chip can be removed; the API refuses the
    same values."""
    await populate(site)
    b = await browser()
    for params, message, chip in (
            ("theme=nope", "Un des thèmes demandés n’existe pas.", "Thème\u00a0: nope"),
            ("outil=zzz", "Un des outils demandés n’existe pas.", "Outil\u00a0: zzz"),
            ("commune=Saint-Malo", "Une des communes demandées n’est pas dans Rennes "
             "Métropole.", "Commune\u00a0: Saint-Malo")):
        status, page = await b.get(f"/associations?q=basket&{params}",
                                   headers={"Accept": "text/html"})
        assert status == 400, page
        assert message in page and "Annuaire des associations" in page
        assert f'<li><a href="/associations?q=basket">{chip}' in page, page
        assert "Aucune association ne correspond" not in page
    status, text = await b.get("/v1/associations?tool=zzz")
    assert status == 400 and json.loads(text)["error"]["details"]["parameter"] == "tool"
    status, text = await b.get("/v1/associations?commune=Saint-Malo")
    assert status == 400 and json.loads(text)["error"]["details"]["parameter"] == "commune"
    status, text = await b.get("/v1/associations?tool=google-agenda&commune=Acign%C3%A9")
    assert status == 200  # a commune of the Métropole with no association is no error


async def test_a_page_past_the_last_says_so_and_links_to_the_last(site: Site,
                                                                  browser) -> None:
    await populate(site)
    b = await browser()
    for number in ("4", "99999999999999999999", "9" * 5000):
        status, page = await b.get(f"/associations?q=basket&page={number}")
        if number == "9" * 5000:  # not a number Python reads: the first page
            assert status == 200 and "Union Rennes Basket 35" in page
            continue
        assert status == 404, page
        assert "Cette page n’existe pas" in page and "La liste s’arrête à la page 1." in page
        assert '<a href="/associations?q=basket">Aller à la dernière page</a>' in page
        assert "Aucune association ne correspond" not in page


async def test_filter_counts_of_zero_and_one_are_singular(site: Site, browser) -> None:
    await populate(site)
    b = await browser()
    status, page = await b.get("/associations?theme=sport&quartier=Br%C3%A9quigny"
                               "&theme=education")
    assert status == 200, page
    assert '(0<span class="sr-only"> association</span>)' in page
    assert '(1<span class="sr-only"> association</span>)' in page
    assert '(0<span class="sr-only"> associations</span>)' not in page


async def test_a_source_added_without_format_counts_as_harvested(site: Site,
                                                                 browser) -> None:
    """Issue 20: most sources are added without a format (the harvester detects it), as the
    demo's: the inventory counts their tool as harvested and the API names it."""
    stores = site.app[SITE].ready()
    await SourceRegistry(stores.bus).add(parse_source({
        "id": "urb35-matchs", "organizer": "URB 35",
        "url": "http://127.0.0.1:9/urb35/matchs.ics"}, "test"), actor="test")
    await site.app[STORE].apply([EventMessage.upsert(Event.create(
        source_id="urb35-matchs", source_uid="m1", title="Match amical", organizer="URB 35",
        occurrences=(Occurrence(start=datetime.now(UTC) + timedelta(days=3)),)), 1)])
    await populate(site)
    b = await browser()
    status, text = await b.get("/v1/associations?q=basket")
    sources = {s["id"]: s for s in json.loads(text)["items"][0]["sources"]}
    assert sources["urb35-matchs"]["format"] is None
    assert sources["urb35-matchs"]["tool"] == "autre-agenda"
    status, page = await b.get("/outils")
    assert status == 200, page
    assert re.search(r'outil=autre-agenda">Autre agenda</a></th>\s*<td data-label='
                     r'"Associations">1 [^\n]*</td>\s*<td data-label="Moissonnées par '
                     r'Maillage">1', page), page
