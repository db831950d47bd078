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
        self.peers: list[object] = []  # the client's (address, port): one per connection

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]  # noqa: N802
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        self.peers.append(session.peer)
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


async def test_mails_queued_together_go_over_one_connection() -> None:
    """The mails of a burst share one SMTP connection (no handshake, EHLO and login per
    mail); it is closed once the queue is empty, and the next mails open another."""
    port = free_port()
    controller, inbox = smtp_server(port)
    queue = MailQueue(Smtp("127.0.0.1", port, tls="none"))
    try:
        async with queue.running():
            for n in range(10):
                queue.put(Letter("a@maillage.example", f"p{n}@exemple.fr", "Essai", "Bonjour"))
            await received(inbox, 10)
            await queue.queue.join()
            assert queue.mailer.client is None  # type: ignore[attr-defined]  # QUIT sent
            for n in range(3):
                queue.put(Letter("a@maillage.example", f"q{n}@exemple.fr", "Essai", "Bonjour"))
            await received(inbox, 13)
    finally:
        controller.stop()
    assert [r for _, (r,), _ in inbox.messages] == (
        [f"p{n}@exemple.fr" for n in range(10)] + [f"q{n}@exemple.fr" for n in range(3)])
    assert len(set(inbox.peers[:10])) == 1 and len(set(inbox.peers)) == 2
    assert queue.sent == 13 and queue.failed == 0

async def test_a_kept_connection_the_server_dropped_is_opened_again() -> None:
    port = free_port()
    controller, inbox = smtp_server(port)
    smtp = Smtp("127.0.0.1", port, tls="none")
    letter = Letter("a@maillage.example", "b@exemple.fr", "Essai", "Bonjour")
    try:
        await smtp.send(compose(letter))
        assert smtp.client is not None and smtp.client.is_connected  # kept for the next
        controller.stop()  # the server restarts: the kept connection is gone
        controller, inbox = smtp_server(port)
        await smtp.send(compose(letter))  # sent at the first attempt, afresh
        assert len(inbox.messages) == 1
    finally:
        await smtp.idle()
        controller.stop()
    assert smtp.client is None

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
