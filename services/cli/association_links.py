"""``maillage associations links``: the links of organizers and sources to associations.

    maillage associations links refresh           link the organizers of the search store's
                                                  upcoming events and the registry's sources now
                                                  (the site does it by itself when they change)
    maillage associations links list [--all]      what is linked to which association, with the
                                                  confidence and the reason (--all: the
                                                  proposals waiting for review too)
    maillage associations links review            the queue: each uncertain link and its
                                                  candidates; at a terminal, asks for each which
                                                  one is right (a number, n for none, Enter to
                                                  skip, q to stop)
    maillage associations links decide LINK ASSOCIATION [--part PART]
                                                  settle one (ASSOCIATION ``none``: no
                                                  association)

Settings as for the other operator commands (the running stack's, else the environment).
Decisions are written with the actor ``cli`` and win over the linker's later proposals, as
the page ``/operateurs/liens`` does. Registered by :func:`register` in
:mod:`services.cli.main`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Callable
from typing import Any

from services.cli.opstools import connect, stack_environ, table
from shared.errors import MaillageError
from shared.settings import COMMON, Settings, load

ACTOR = "cli"


async def _stores(settings: Settings) -> Any:
    from services.accounts.storage import Stores

    bus = await connect(settings)
    return bus, await Stores.open(bus)


async def links_refresh(args: argparse.Namespace, settings: Settings) -> int:
    from services.associations import links
    from shared.store.factory import open_store

    store = open_store(settings)
    bus, stores = await _stores(settings)
    try:
        named = await links.named_in(store, await links.registry_sources(bus))
        counts = await links.refresh(stores.records, named, actor=ACTOR)
    finally:
        await bus.close()
        await store.close()
    print(f"{counts.seen} organizer(s) and source(s) read, {counts.written} link record(s) "
          f"written; {counts.linked} link(s) made, {counts.review} waiting for review")
    return 0


async def links_list(args: argparse.Namespace, settings: Settings) -> int:
    from services.associations import links

    bus, stores = await _stores(settings)
    try:
        found = await links.all_links(stores.records)
    finally:
        await bus.close()
    rows = []
    for record in sorted(found, key=lambda r: str(r.get("label", "")).casefold()):
        for e in links.effective(record):
            rows.append({"link": record["id"], "names": e["part"] or record.get("label"),
                         "association": e["association"], "confidence": e["confidence"],
                         "reason": e["reason"], "status": "linked"})
        if args.all:
            for p in links.pending(record):
                rows.append({"link": record["id"], "names": p["part"],
                             "association": p["association"], "confidence": p["confidence"],
                             "reason": p["reason"], "status": "review"})
    print(table(rows, ("link", "names", "association", "confidence", "reason", "status")))
    return 0


def _ask(prompt: str) -> str:
    try:
        return input(prompt).strip().lower()
    except EOFError:
        return "q"


async def links_review(args: argparse.Namespace, settings: Settings,
                       ask: Callable[[str], str] | None = None) -> int:
    from services.associations import links

    interactive = ask is not None or (sys.stdin.isatty() and not args.list)
    ask = ask or _ask
    bus, stores = await _stores(settings)
    try:
        waiting = await links.review_queue(stores.records)
        if not waiting:
            print("no link waiting for review")
            return 0
        decided = 0
        for record in waiting:
            for proposal in links.pending(record):
                print(f"\n{record['id']}  {proposal['part']!r}"
                      + (f"  (in {record.get('label')!r})"
                         if record.get("label") != proposal["part"] else ""))
                candidates = proposal.get("candidates") or []
                for n, c in enumerate(candidates, 1):
                    print(f"  {n}. {c['association']}  confidence {c['confidence']:.2f}  "
                          f"{c['reason']}")
                if not interactive:
                    continue
                answer = ask(f"  which one? [1-{len(candidates)}, n for none, Enter to skip, "
                             "q to stop] ")
                if answer == "q":
                    print(f"{decided} decision(s) recorded")
                    return 0
                if answer == "n":
                    choice = ""
                elif answer.isdigit() and 1 <= int(answer) <= len(candidates):
                    choice = candidates[int(answer) - 1]["association"]
                else:
                    continue
                await links.decide(stores.records, record["id"], proposal["part"], choice,
                                   actor=ACTOR)
                decided += 1
        if interactive:
            print(f"{decided} decision(s) recorded")
        else:
            print("\n(settle one with: maillage associations links decide LINK ASSOCIATION "
                  "[--part PART], ASSOCIATION 'none' for none)")
    finally:
        await bus.close()
    return 0


async def links_decide(args: argparse.Namespace, settings: Settings) -> int:
    from services.associations import links
    from services.associations.storage import Associations
    from shared.records import NotFound

    choice = "" if args.association.lower() in ("none", "aucune", "-") else args.association
    bus, stores = await _stores(settings)
    try:
        if choice and await Associations(stores).get(choice) is None:
            raise MaillageError(f"no association {choice!r}")
        entry = await stores.records.get(links.subject(stores.records, args.link))
        if entry is None:
            raise MaillageError(f"no link {args.link!r} (maillage associations links review)")
        parts = [p.get("part", "") for p in entry.record.get("links") or ()]
        part = args.part if args.part is not None else (parts[0] if len(parts) == 1 else None)
        if part is None:
            raise MaillageError(f"{args.link} names several organizers: say which with --part "
                                f"({', '.join(repr(p) for p in parts)})")
        try:
            await links.decide(stores.records, args.link, part, choice, actor=ACTOR)
        except NotFound:
            raise MaillageError(f"{args.link} has no part {part!r}") from None
    finally:
        await bus.close()
    print(f"{args.link} {part!r}: " + (f"linked to {choice}" if choice else "no association"))
    return 0


def _runner(command: Any, *, store: bool = False) -> Any:
    """``command`` run with the operator commands' settings (and the search store's with
    ``store``)."""
    def run(args: argparse.Namespace) -> int:
        table = COMMON
        if store:
            from services.indexer.settings import SETTINGS as table
        settings = load(table, stack_environ(os.environ))
        result: int = asyncio.run(command(args, settings))
        return result

    return run


def _subparsers(parser: argparse.ArgumentParser, dest: str) -> Any:
    """The sub-commands of ``parser`` (made when it has none yet: several modules add
    commands under ``maillage associations``)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    return parser.add_subparsers(dest=dest, required=True)


def register(subparsers: Any) -> None:
    parent = subparsers.choices.get("associations") or subparsers.add_parser(
        "associations", help="associations: links of organizers, imports")
    links = _subparsers(parent, "action").add_parser(
        "links", help="links of organizers and sources to associations")
    lsub = links.add_subparsers(dest="links_action", required=True)
    p = lsub.add_parser("refresh", help="link the organizers and sources now")
    p.set_defaults(func=_runner(links_refresh, store=True))
    p = lsub.add_parser("list", help="what is linked to which association")
    p.add_argument("--all", action="store_true", help="the proposals waiting for review too")
    p.set_defaults(func=_runner(links_list))
    p = lsub.add_parser("review", help="the uncertain links, one decision each")
    p.add_argument("--list", action="store_true", help="only list them, ask nothing")
    p.set_defaults(func=_runner(links_review))
    p = lsub.add_parser("decide", help="settle one uncertain link")
    p.add_argument("link", help="the link's id (from 'review')")
    p.add_argument("association", help="the association's id, or 'none'")
    p.add_argument("--part", help="which organizer of the link, when it names several")
    p.set_defaults(func=_runner(links_decide))
