"""Signing in by e-mailed link, sessions, CSRF, rate limits, no account enumeration, export
and erasure, through the real site on loopback with a real nats-server."""

from __future__ import annotations

import asyncio
import json
import re

import pytest

from services.accounts.web import SITE
from shared.bus import Bus
from shared.records import Records

from .conftest import CSRF, LINK, TOKEN, Site

pytestmark = pytest.mark.integration


async def test_a_newcomer_signs_in_from_the_outbox(site: Site, browser) -> None:
    b = await browser()
    status, html = await b.get("/")
    assert "Se connecter" in html and "Mon compte" not in html
    await b.sign_in(site, "Anne.Dupont@Exemple.fr")
    status, html = await b.get("/compte")
    assert status == 200 and "anne.dupont@exemple.fr" in html
    status, html = await b.get("/")
    assert "Mon compte" in html
    people = await Records(site.app[SITE].ready().bus.js).latest("maillage.rec.person.*")
    assert [p.record["email"] for p in people] == ["anne.dupont@exemple.fr"]


async def test_the_session_cookie_is_httponly_and_samesite(site: Site, browser) -> None:
    b = await browser()
    await b.sign_in(site, "anne@exemple.fr")
    cookie = next(c for c in b.session.cookie_jar if c.key == "maillage_session")
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and cookie["path"] == "/"
    assert not cookie["secure"]  # the site is http://127.0.0.1 here
    value = cookie.value
    stored = [k async for k in await _keys(site, "sessions")]
    assert value.split(".", 1)[1] not in " ".join(stored)  # only a digest is kept


async def _keys(site: Site, bucket: str):  # type: ignore[no-untyped-def]
    kv = await site.app[SITE].ready().bus.kv(bucket)

    async def gen():  # type: ignore[no-untyped-def]
        for key in await kv.keys():
            yield key
    return gen()


async def test_cookies_are_secure_behind_https(tmp_path, bus: Bus, nats_server) -> None:
    from .conftest import Browser, start_site

    running = await start_site(tmp_path / "s", bus, nats_server.url,
                               MAILLAGE_PUBLIC_URL="https://maillage.example")
    b = Browser(running.url)
    try:
        async with b.session.get(running.url + "/connexion") as resp:
            assert "Secure" in resp.headers["Set-Cookie"]
            assert "HttpOnly" in resp.headers["Set-Cookie"]
    finally:
        await b.close()
        await running.runner.cleanup()


async def test_a_link_works_once(site: Site, browser) -> None:
    b = await browser()
    resp = await b.post("/connexion", {"email": "anne@exemple.fr"}, token_from="/connexion")
    assert resp.status == 200
    link = await site.link_for("anne@exemple.fr")
    path = "/" + link.split("/", 3)[3]
    status, html = await b.get(path)
    token = TOKEN.search(html).group(1)  # type: ignore[union-attr]
    csrf = CSRF.search(html).group(1)  # type: ignore[union-attr]
    first, second = await asyncio.gather(
        b.post("/connexion/lien", {"jeton": token, "csrf": csrf}, follow=False),
        b.post("/connexion/lien", {"jeton": token, "csrf": csrf}, follow=False))
    assert sorted([first.status, second.status]) == [303, 410]
    again = await b.post("/connexion/lien", {"jeton": token}, token_from="/connexion")
    assert again.status == 410
    status, _ = await b.get(path)
    assert status == 410


async def test_opening_the_link_does_not_use_it(site: Site, browser) -> None:
    """Mail scanners open links: only the button (a POST) signs in."""
    b = await browser()
    await b.post("/connexion", {"email": "anne@exemple.fr"}, token_from="/connexion")
    path = "/" + (await site.link_for("anne@exemple.fr")).split("/", 3)[3]
    for _ in range(3):
        assert (await b.get(path))[0] == 200
    status, _ = await b.get("/compte", allow_redirects=False)
    assert status == 303


async def test_same_answer_whether_the_address_is_known_or_not(site: Site, browser) -> None:
    known = await browser()
    await known.sign_in(site, "connue@exemple.fr")
    answers = []
    for address in ("connue@exemple.fr", "inconnue@exemple.fr"):
        b = await browser()
        resp = await b.post("/connexion", {"email": address}, token_from="/connexion")
        page = re.sub(r'value="[^"]+"', "", (await resp.text()).replace(address, "ADDRESS"))
        answers.append((resp.status, page))
    assert answers[0] == answers[1]
    # and both got a link (the unknown one creates the account when used)
    await site.link_for("inconnue@exemple.fr")


async def test_the_confirmation_is_rendered_once_and_shows_the_address_as_typed(
        site: Site, browser) -> None:
    """The page that answers a sign-in request is rendered once for anonymous visitors (a
    burst's accepted requests do not each render it on the event loop) and the address put
    in it: escaped, never retouched by the French typography (an apostrophe stays one)."""
    pages = []
    for address in ("o'brien@exemple.fr", "<b>x</b>@exemple.fr", "anne@exemple.fr"):
        b = await browser()
        resp = await b.post("/connexion", {"email": address}, token_from="/connexion")
        pages.append((resp.status, await resp.text(), resp.headers))
    status, html, headers = pages[0]
    assert status == 200 and "<strong>o&#x27;brien@exemple.fr</strong>" in html
    assert "’brien" not in html and "Se connecter" in html
    assert headers["Cache-Control"] == "private, no-store"
    assert headers["Content-Security-Policy"] and headers["X-Content-Type-Options"] == "nosniff"
    assert pages[1][0] == 422  # not an address: the form again, with its error
    assert pages[2][1].replace("anne@exemple.fr", "o&#x27;brien@exemple.fr") == html
    assert len(site.app[SITE].rendered) == 1
    await site.link_for("o'brien@exemple.fr")


async def test_a_signed_in_person_asking_for_a_link_gets_their_own_page(
        site: Site, browser) -> None:
    b = await browser()
    await b.sign_in(site, "anne@exemple.fr")
    resp = await b.post("/connexion", {"email": "anne@exemple.fr"}, token_from="/compte")
    html = await resp.text()
    assert resp.status == 200 and "<strong>anne@exemple.fr</strong>" in html
    assert "Mon compte" in html and "Se connecter" not in html


async def test_a_post_without_a_valid_csrf_token_is_refused(site: Site, browser) -> None:
    b = await browser()
    await b.sign_in(site, "anne@exemple.fr")
    good = await b.token("/compte")
    cases = [
        ({"name": "Anne"}, {}),                                    # no token
        ({"name": "Anne", "csrf": "x" * 40}, {}),                  # a wrong one
        ({"name": "Anne", "csrf": good}, {"Origin": "https://evil.example"}),
        ({"name": "Anne", "csrf": good}, {"Sec-Fetch-Site": "cross-site"}),
    ]
    for data, headers in cases:
        resp = await b.post("/compte", data, headers=headers)
        assert resp.status == 403, (data, headers)
        assert "Demande refusée" in await resp.text() or "expiré" in await resp.text()
    json_resp = await b.post("/compte", {"name": "Anne"},
                             headers={"Accept": "application/json"})
    body = await json_resp.json()
    assert json_resp.status == 403 and body["error"]["code"] == "csrf_failed"
    assert set(body["error"]) == {"code", "message", "details"}
    ok = await b.post("/compte", {"name": "Anne", "csrf": good},
                      headers={"Origin": site.url, "Sec-Fetch-Site": "same-origin"})
    assert ok.status == 200 and "Anne" in await ok.text()


async def test_an_anonymous_form_needs_its_token_too(site: Site, browser) -> None:
    b = await browser()
    resp = await b.post("/connexion", {"email": "anne@exemple.fr"})
    assert resp.status == 403
    assert site.outbox_messages() == []


async def test_rate_limit_per_address_then_per_client(site: Site, browser) -> None:
    b = await browser()
    token = await b.token("/connexion")
    statuses = []
    for _ in range(6):
        resp = await b.post("/connexion", {"email": "anne@exemple.fr", "csrf": token})
        statuses.append(resp.status)
    assert statuses == [200] * 5 + [429]
    assert 1 <= int(resp.headers["Retry-After"]) <= 3600
    for n in range(24):  # 30 per client in 10 minutes, 6 spent above
        resp = await b.post("/connexion", {"email": f"p{n}@exemple.fr", "csrf": token})
        assert resp.status == 200
    resp = await b.post("/connexion", {"email": "autre@exemple.fr", "csrf": token},
                        headers={"Accept": "application/json"})
    assert resp.status == 429 and "Retry-After" in resp.headers
    assert (await resp.json())["error"]["code"] == "rate_limited"


async def test_requests_in_someone_s_name_cannot_lock_them_out(site: Site, browser) -> None:
    """Someone else asks for links to Anne's address until the per-address limit refuses:
    the links already sent still work (the limit's window is no longer than their life), so
    Anne signs in with the newest one, and with the oldest too."""
    from shared.bus import LIMITS

    window = LIMITS["LIMIT_SIGNIN_ADDRESS"].max_age_s
    assert window <= site.app[SITE].settings.signin_minutes * 60
    attacker = await browser()
    token = await attacker.token("/connexion")
    for _ in range(5):
        resp = await attacker.post("/connexion", {"email": "anne@exemple.fr", "csrf": token})
        assert resp.status == 200
    resp = await attacker.post("/connexion", {"email": "anne@exemple.fr", "csrf": token})
    assert resp.status == 429 and "ils restent valables" in await resp.text()
    assert int(resp.headers["Retry-After"]) <= window
    bodies = [m.get_body(preferencelist=("plain",)) for m in site.outbox_messages()]
    links = [LINK.findall(b.get_content())[0] for b in bodies if b is not None]
    assert len(links) == 5
    for link in (links[-1], links[0]):
        anne = await browser()
        path = "/" + link.split("/", 3)[3]
        status, html = await anne.get(path)
        jeton = TOKEN.search(html)
        assert status == 200 and jeton, html
        resp = await anne.post("/connexion/lien", {"jeton": jeton.group(1)}, token_from=path)
        assert resp.url.path == "/compte"


async def test_the_rest_of_a_burst_is_refused_in_french_without_reading_it(
        site: Site, browser) -> None:
    """Past the per-client limit, a browser gets the French page with Retry-After at once
    (this replica remembers the refusal): nothing is read from the form, so not even a
    CSRF token is needed to be refused, and no cookie is set."""
    b = await browser()
    token = await b.token("/connexion")
    statuses = [(await b.post("/connexion", {"email": f"r{n}@exemple.fr", "csrf": token})
                 ).status for n in range(31)]
    assert statuses == [200] * 30 + [429]
    for form in ({"email": "s@exemple.fr", "csrf": token}, {"n": "x" * 100}):
        resp = await b.post("/connexion", form)
        text = await resp.text()
        assert resp.status == 429 and "Trop de demandes" in text and 'lang="fr"' in text
        assert 1 <= int(resp.headers["Retry-After"]) <= 600
        assert "Set-Cookie" not in resp.headers
    assert len(site.outbox_messages()) <= 30


async def test_invalid_address_is_a_french_error(site: Site, browser) -> None:
    b = await browser()
    resp = await b.post("/connexion", {"email": "pas une adresse"}, token_from="/connexion")
    assert resp.status == 422
    assert "n’est pas valide" in await resp.text()


async def test_no_open_redirect_after_signing_in(site: Site, browser) -> None:
    b = await browser()
    token = await b.token("/connexion")
    await b.post("/connexion", {"email": "anne@exemple.fr", "csrf": token,
                                "suite": "//evil.example/"})
    path = "/" + (await site.link_for("anne@exemple.fr")).split("/", 3)[3]
    resp = await b.post("/connexion/lien", {"jeton": path.split("=", 1)[1]}, token_from=path,
                        follow=False)
    assert resp.headers["Location"] == "/compte"


async def test_the_link_in_the_mail_ignores_the_host_header(tmp_path, bus: Bus,
                                                            nats_server) -> None:
    from .conftest import Browser, start_site

    # a site that answers for any Host (MAILLAGE_ALLOWED_HOSTS=*): still not in the link
    running = await start_site(tmp_path / "s", bus, nats_server.url,
                               MAILLAGE_ALLOWED_HOSTS="*")
    b = Browser(running.url)
    try:
        token = await b.token("/connexion")
        resp = await b.post("/connexion", {"email": "anne@exemple.fr", "csrf": token},
                            headers={"Host": "evil.example"})
        assert resp.status == 200
        link = await running.link_for("anne@exemple.fr")
        assert link.startswith(running.url + "/connexion/lien")
    finally:
        await b.close()
        await running.runner.cleanup()


async def test_sign_out(site: Site, browser) -> None:
    b = await browser()
    await b.sign_in(site, "anne@exemple.fr")
    resp = await b.post("/deconnexion", {}, token_from="/compte", follow=False)
    assert resp.status == 303
    status, _ = await b.get("/compte", allow_redirects=False)
    assert status == 303


async def test_export_then_erase(site: Site, browser) -> None:
    b = await browser()
    await b.sign_in(site, "anne@exemple.fr")
    other = await browser()  # a second device
    await other.sign_in(site, "anne@exemple.fr")
    await b.post("/compte", {"name": "Anne D."}, token_from="/compte")
    await b.post("/associations/rejoindre", {"association": "velo-solidaire"},
                 token_from="/compte")
    async with b.session.get(site.url + "/compte/export") as resp:
        assert resp.status == 200 and "attachment" in resp.headers["Content-Disposition"]
        data = json.loads(await resp.text())
    pid = data["person"]["id"]
    assert data["person"]["email"] == "anne@exemple.fr"
    assert data["memberships"][0]["association"] == "velo-solidaire"
    assert any(c["record"] == f"person.{pid}" and c["op"] == "update"
               for c in data["changes_made"])
    assert any(c["record"] == f"membership.velo-solidaire.{pid}"
               for c in data["changes_made"])
    # read through the person's own subject of pointers, not by scanning every record
    records = site.app[SITE].ready().records
    pointed = {e.record["subject"] for e in await records.history(f"maillage.rec.by.{pid}")}
    assert {f"maillage.rec.person.{pid}",
            f"maillage.rec.membership.velo-solidaire.{pid}"} <= pointed

    resp = await b.post("/compte/supprimer", {}, token_from="/compte/supprimer")
    assert resp.status == 422  # the box was not ticked
    resp = await b.post("/compte/supprimer", {"confirmer": "oui"},
                        token_from="/compte/supprimer")
    assert resp.status == 200 and "supprimé" in await resp.text()
    assert await records.history(f"maillage.rec.person.{pid}") == []
    assert await records.history(f"maillage.rec.by.{pid}") == []
    assert await records.latest(f"maillage.rec.membership.*.{pid}") == []
    for device in (b, other):  # signed out everywhere
        status, _ = await device.get("/compte", allow_redirects=False)
        assert status == 303
    again = await browser()
    await again.sign_in(site, "anne@exemple.fr")  # the address is free: a new account
    async with again.session.get(site.url + "/compte/export") as resp:
        assert json.loads(await resp.text())["person"]["id"] != pid


async def test_without_the_store_of_record_accounts_answer_503_and_search_works(
        tmp_path) -> None:
    from aiohttp.test_utils import TestClient, TestServer

    from services.query.app import create_app
    from shared.store.sqlite import SqliteStore

    from .conftest import site_settings

    app = create_app(site_settings(tmp_path, 8080, "nats://127.0.0.1:1"),
                     SqliteStore(tmp_path / "index.sqlite"))  # no bus, no connection
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        form = await client.get("/connexion")  # a page that needs no store
        assert form.status == 200
        csrf = CSRF.search(await form.text()).group(1)  # type: ignore[union-attr]
        resp = await client.post("/connexion", data={"email": "a@exemple.fr", "csrf": csrf},
                                 headers={"Accept": "text/html"})
        assert resp.status == 503 and "indisponibles" in await resp.text()
        assert resp.headers["Retry-After"] == "30"
        resp = await client.get("/v1/associations/velo-solidaire")
        assert resp.status == 503 and (await resp.json())["error"]["code"] == "unavailable"
        assert (await client.get("/v1/events")).status == 200
        assert (await client.get("/")).status == 200
