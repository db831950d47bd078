"""Outgoing mail over SMTP (aiosmtplib) to a real SMTP server on loopback (aiosmtpd)."""

from __future__ import annotations

import asyncio
import email
import email.policy
import shutil
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from services.accounts.mail import Letter, MailQueue, Outbox, Smtp, compose
from shared.bus import Bus
from shared.natsserver import NatsServer, free_port

from .conftest import Browser, start_site

pytestmark = pytest.mark.integration


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]  # noqa: N802
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"


def smtp_server(port: int) -> tuple[Controller, Inbox]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    return controller, inbox


async def received(inbox: Inbox, count: int = 1) -> None:
    for _ in range(200):
        if len(inbox.messages) >= count:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("no mail reached the SMTP server")


async def test_the_sign_in_link_goes_out_over_smtp(tmp_path: Path, bus: Bus,
                                                   nats_server: NatsServer) -> None:
    port = free_port()
    controller, inbox = smtp_server(port)
    site = await start_site(tmp_path / "site", bus, nats_server.url,
                            MAILLAGE_SMTP_HOST="127.0.0.1", MAILLAGE_SMTP_PORT=str(port),
                            MAILLAGE_SMTP_TLS="none",
                            MAILLAGE_MAIL_FROM="Maillage <bonjour@maillage.example>")
    b = Browser(site.url)
    try:
        resp = await b.post("/connexion", {"email": "anne@exemple.fr"},
                            token_from="/connexion")
        assert resp.status == 200
        await received(inbox)
        sender, recipients, raw = inbox.messages[0]
        assert sender == "bonjour@maillage.example" and recipients == ["anne@exemple.fr"]
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert message["Subject"] == "Votre lien de connexion à Maillage"
        body = message.get_body(preferencelist=("plain",))
        assert body is not None and f"{site.url}/connexion/lien?jeton=" in body.get_content()
        assert not (tmp_path / "site" / "outbox").exists()  # no outbox with SMTP set
    finally:
        await b.close()
        await site.runner.cleanup()
        controller.stop()


async def test_a_mail_server_down_for_a_moment_gets_the_mail_later() -> None:
    port = free_port()
    queue = MailQueue(Smtp("127.0.0.1", port, tls="none"), retry_pause=0.3)
    async with queue.running():
        queue.put(Letter("a@maillage.example", "b@exemple.fr", "Essai", "Bonjour"))
        await asyncio.sleep(0.2)  # the first attempt is refused: nothing listens yet
        controller, inbox = smtp_server(port)
        try:
            await received(inbox)
        finally:
            controller.stop()
    assert queue.sent == 1 and queue.failed == 0


def test_headers_encoded_once_stay_each_message_s_own() -> None:
    """Subjects and senders are encoded once and reused: every message still reads its own
    (accented names and subjects decode back), with its own Date and Message-ID."""
    letters = [Letter("Maillage Rennes é <bonjour@maillage.example>", "a@exemple.fr",
                      "Votre lien de connexion à Maillage", "Bonjour"),
               Letter("Équipe <equipe@autre.example>", "b@exemple.fr", "Demande reçue", "Oui"),
               Letter("Maillage Rennes é <bonjour@maillage.example>", "c@exemple.fr",
                      "Votre lien de connexion à Maillage", "Encore")]
    read = [email.message_from_bytes(compose(letter).as_bytes(), policy=email.policy.default)
            for letter in letters]
    assert [(m["From"].addresses[0].display_name, m["From"].addresses[0].addr_spec,
             m["To"], m["Subject"]) for m in read] == [
        ("Maillage Rennes é", "bonjour@maillage.example", "a@exemple.fr",
         "Votre lien de connexion à Maillage"),
        ("Équipe", "equipe@autre.example", "b@exemple.fr", "Demande reçue"),
        ("Maillage Rennes é", "bonjour@maillage.example", "c@exemple.fr",
         "Votre lien de connexion à Maillage")]
    assert read[0]["Message-ID"].endswith("@maillage.example>")
    assert read[1]["Message-ID"].endswith("@autre.example>")
    assert len({m["Message-ID"] for m in read}) == 3
    assert [m.get_content().strip() for m in read] == ["Bonjour", "Oui", "Encore"]


async def test_the_outbox_is_made_at_the_first_message_and_again_if_removed(
        tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "var" / "outbox")
    letter = Letter("a@maillage.example", "b@exemple.fr", "Essai", "Bonjour")
    await outbox.send(compose(letter))
    assert [m["to"] for m in outbox.read()] == ["b@exemple.fr"]
    shutil.rmtree(tmp_path / "var")
    await outbox.send(compose(letter))
    await outbox.send(compose(letter))
    assert len(outbox.read()) == 2
    assert not list((tmp_path / "var" / "outbox").glob(".*"))  # no temporary file left
