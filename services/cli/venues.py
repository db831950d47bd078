"""``maillage venues import``: the city's venues from the reference directory
(``MAILLAGE_REFERENCE_DIR``, file ``rennes_venues.csv``) into the store of record, as venues
of the city that operators complete (:mod:`services.venues.importer`). Again, it changes
nothing."""

from __future__ import annotations

import argparse
import asyncio
import os
from typing import Any

from services.cli.opstools import connect, stack_environ
from shared.errors import MaillageError
from shared.settings import COMMON, Settings, load

ACTOR = "cli"


async def _import(settings: Settings, values: list[dict[str, Any]], skipped: int) -> int:
    from services.accounts.storage import Stores
    from services.venues.importer import import_venues

    bus = await connect(settings)
    try:
        summary = await import_venues(await Stores.open(bus), values, skipped, actor=ACTOR)
    finally:
        await bus.close()
    print(summary.report())
    return 0


def run(args: argparse.Namespace) -> int:
    from services.venues.importer import FILE, read
    from shared.reference import reference_dir

    environ = stack_environ(os.environ)
    directory = reference_dir(environ)
    try:
        values, skipped = read(directory)
    except OSError as exc:
        raise MaillageError(f"cannot read {directory / FILE}: {exc.strerror or exc} "
                            "(set MAILLAGE_REFERENCE_DIR)") from exc
    result: int = asyncio.run(_import(load(COMMON, environ), values, skipped))
    return result


def register(subparsers: Any) -> None:
    venues = subparsers.add_parser("venues", help="venues: import the city's from the "
                                                  "reference data")
    vsub = venues.add_subparsers(dest="action", required=True)
    vsub.add_parser("import", help="the venues of rennes_venues.csv in the reference "
                                  "directory, as the city's").set_defaults(func=run)
