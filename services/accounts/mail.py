"""Outgoing mail: over SMTP (aiosmtplib), or into an outbox directory of ``.eml`` files.

``MAILLAGE_SMTP_HOST`` set: each message goes to that server (STARTTLS, implicit TLS or none,
with a user and password when given). Empty: messages are written to ``<data dir>/outbox``
(one ``.eml`` file each, written then renamed, so a reader never sees half a message): the
demo shows them at ``/demo/courrier``, so that ``make run`` needs no mail server.

:class:`MailQueue` sends in the background: a request that asks for a sign-in link is
answered without waiting for the mail server (and in the same time whether the address is
known or not). A message that cannot be sent is tried again :data:`ATTEMPTS` times, then
logged (with its subject, never its recipient) and dropped: the person can ask again.

A request queues a :class:`Letter` (four strings); the message is composed by the queue's
task, with the ``compat32`` classes of :mod:`email` (about a sixth of the CPU of
``EmailMessage``, whose header registry parses every header it is given: composed in the
request, 30 sign-in mails of a burst held the event loop for a tenth of a second and the
searches of the same process waited behind them).
"""

from __future__ import annotations

import asyncio
import contextlib
import email.policy
import email.utils
import functools
import logging
import os
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from email.charset import QP, Charset
from email.header import Header
from email.message import Message
from email.mime.text import MIMEText
from pathlib import Path
from typing import Any, Protocol

import aiosmtplib

from shared.settings import Settings

log = logging.getLogger(__name__)

ATTEMPTS = 3
RETRY_PAUSE = 2.0
SMTP_TIMEOUT = 20.0
QUEUE_SIZE = 10_000
_CRLF = email.policy.compat32.clone(linesep="\r\n")


class Mailer(Protocol):
    async def send(self, message: Message) -> None: ...

    async def idle(self) -> None:
        """Nothing more to send for now (the queue is empty)."""


SEND_ERRORS = (OSError, aiosmtplib.SMTPException, TimeoutError)


@dataclass
class Smtp:
    """One connection to the SMTP server for all the messages queued together: opened by
    the first, closed (QUIT) once the queue is empty. A connection per message cost a TCP
    and TLS handshake, EHLO and login each time, so that the 30 mails of a sign-in burst
    waited for each other's handshakes."""

    host: str
    port: int
    tls: str = "starttls"
    user: str = ""
    password: str = ""
    client: aiosmtplib.SMTP | None = field(default=None, repr=False)

    async def send(self, message: Message) -> None:
        for last in (False, True):
            reused = self.client is not None and self.client.is_connected
            try:
                await (await self._connected()).send_message(message)
                return
            except SEND_ERRORS:
                await self.idle()  # the next attempt starts from a new connection
                if last or not reused:
                    raise
                # the server may have dropped the connection kept open: once more, afresh

    async def _connected(self) -> aiosmtplib.SMTP:
        if self.client is None or not self.client.is_connected:
            client = aiosmtplib.SMTP(
                hostname=self.host, port=self.port,
                username=self.user or None, password=self.password or None,
                use_tls=self.tls == "tls", start_tls=self.tls == "starttls",
                timeout=SMTP_TIMEOUT)
            await client.connect()
            self.client = client
        return self.client

    async def idle(self) -> None:
        client, self.client = self.client, None
        if client is not None and client.is_connected:
            try:
                await client.quit()
            except SEND_ERRORS:
                client.close()


@dataclass
class Outbox:
    directory: Path

    async def send(self, message: Message) -> None:
        await asyncio.to_thread(self._write, message)

    async def idle(self) -> None:
        pass

    def _write(self, message: Message) -> None:
        raw = message.as_bytes(policy=_CRLF)
        name = f"{time.time_ns()}-{secrets.token_hex(4)}.eml"
        tmp = self.directory / f".{name}.tmp"
        try:
            tmp.write_bytes(raw)
        except FileNotFoundError:  # the first message (or the directory was removed)
            self.directory.mkdir(parents=True, exist_ok=True)
            tmp.write_bytes(raw)
        os.replace(tmp, self.directory / name)

    def read(self, limit: int = 20) -> list[dict[str, Any]]:
        """The newest messages first: recipient, subject, date and text."""
        if not self.directory.is_dir():
            return []
        files = sorted((p for p in self.directory.glob("*.eml")), reverse=True)[:limit]
        out = []
        for path in files:
            with path.open("rb") as handle:
                parsed = email.message_from_binary_file(handle, policy=email.policy.default)
            body = parsed.get_body(preferencelist=("plain",))
            out.append({"to": str(parsed["To"]), "subject": str(parsed["Subject"]),
                        "date": str(parsed["Date"]), "name": path.name,
                        "text": body.get_content() if body is not None else ""})
        return out


def mailer_from(settings: Settings) -> Smtp | Outbox:
    if settings.smtp_host:
        return Smtp(settings.smtp_host, settings.smtp_port, settings.smtp_tls,
                    settings.smtp_user, settings.smtp_password)
    return Outbox(Path(settings.data_dir) / "outbox")  # made at the first message


@dataclass(frozen=True, slots=True)
class Letter:
    """A plain-text message to send: what a request hands to the queue."""

    sender: str
    to: str
    subject: str
    text: str


#: Quoted-printable UTF-8 bodies: readable as text, lines kept short.
_UTF8 = Charset("utf-8")
_UTF8.body_encoding = QP


def compose(letter: Letter) -> Message:
    message = MIMEText(letter.text, "plain", _UTF8)  # type: ignore[arg-type]
    sender, domain = _sender(letter.sender)
    message["From"] = sender
    message["To"] = letter.to
    message["Subject"] = _header(letter.subject)
    message["Date"] = email.utils.formatdate(localtime=False)
    message["Message-ID"] = email.utils.make_msgid(domain=domain)
    message["Auto-Submitted"] = "auto-generated"
    return message


@functools.lru_cache(maxsize=64)
def _header(text: str) -> str:
    """``text`` as an RFC 2047 header, encoded once: the site sends a handful of subjects,
    and encoding one (quoted-printable, line by line, in Python) was half of composing."""
    return Header(text, "utf-8").encode()


@functools.lru_cache(maxsize=8)
def _sender(sender: str) -> tuple[str, str]:
    """The From header of ``sender`` and the domain of its Message-IDs (once per sender)."""
    name, address = email.utils.parseaddr(sender)
    domain = address.rpartition("@")[2] or "maillage.invalid"
    return email.utils.formataddr((name, address), "utf-8"), domain


class MailQueue:
    """Messages sent one after the other by a background task (see the module's doc)."""

    def __init__(self, mailer: Mailer, retry_pause: float = RETRY_PAUSE) -> None:
        self.mailer = mailer
        self.retry_pause = retry_pause
        self.queue: asyncio.Queue[Letter] = asyncio.Queue(QUEUE_SIZE)
        self.sent = 0
        self.failed = 0

    def put(self, letter: Letter) -> bool:
        """Queue ``letter``; False when the queue is full (the mail server is down)."""
        try:
            self.queue.put_nowait(letter)
        except asyncio.QueueFull:
            log.error("mail queue full: message dropped", extra={"subject": letter.subject})
            return False
        return True

    async def run(self) -> None:
        while True:
            letter = await self.queue.get()
            try:
                await self._send(letter)
                if self.queue.empty():
                    await self.mailer.idle()
            finally:
                self.queue.task_done()

    async def _send(self, letter: Letter) -> None:
        message = compose(letter)
        for attempt in range(1, ATTEMPTS + 1):
            try:
                await self.mailer.send(message)
                self.sent += 1
                return
            except SEND_ERRORS as exc:
                log.warning("mail not sent (attempt %d of %d): %s", attempt, ATTEMPTS, exc,
                            extra={"subject": letter.subject})
                if attempt < ATTEMPTS:
                    await asyncio.sleep(self.retry_pause * attempt)
        self.failed += 1
        log.error("mail dropped after %d attempts", ATTEMPTS,
                  extra={"subject": letter.subject})

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[MailQueue]:
        task = asyncio.create_task(self.run())
        try:
            yield self
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await self.mailer.idle()
