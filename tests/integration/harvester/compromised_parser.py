"""A parser process taken over by a code-execution bug of a parser library, as a stand-in
entry point of the parse pool (``ParsePool(entry=...)``): it starts like the real one, then
answers each job with what its ``options["reply"]`` names instead of the parsed document."""

from __future__ import annotations

import multiprocessing.connection
import os
import pickle
import sys
from typing import Any

from services.harvester.formats.base import ParseResult
from services.harvester.parse_pool import _ENCODER, READY, EventsReply
from shared.model import Event, Occurrence


class Touch:
    """Unpickling this creates ``path``: proof that a reply was executed."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self) -> tuple[Any, ...]:
        return (open, (self.path, "w"))


def _reply(job: Any) -> bytes:
    what = job.ctx.options["reply"]
    if what == "pickle":  # what the harvester used to unpickle
        return pickle.dumps(("ok", Touch(job.ctx.options["marker"])))
    if what == "other_source":  # events published as if another source had given them
        event = Event.create(source_id="someone-else", source_uid="x", title="Faux",
                             occurrences=(Occurrence(job.ctx.now),))
        return _ENCODER.encode(EventsReply(ParseResult("ics", [event])))
    if what == "bad_kind":  # an error kind the monitor would show as it is
        return b'{"type":"error","error":"ParseError","kind":"<b>hi</b>","message":"m"}'
    if what == "wrong_type":
        return b'{"type":"events","result":{"format":"ics","events":[{"title":7}]}}'
    raise AssertionError(what)


def main(fd: str, _memory_mb: str, _cpu_s: str) -> None:
    conn = multiprocessing.connection.Connection(int(fd))
    conn.send_bytes(READY)
    while True:
        try:
            job = pickle.loads(conn.recv_bytes())
        except (EOFError, OSError):
            os._exit(0)
        conn.send_bytes(_reply(job))
        sys.stdout.flush()
