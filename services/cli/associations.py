"""``maillage associations``: import the official registers into the store of record.

    maillage associations import-rna FILE     the national register's bulk file (RNA
                                              "waldec", UTF-8 or Latin-1), kept to the
                                              communes of Rennes Métropole
    maillage associations import-city FILE    the city's organisations layer (CSV or JSON)

Both show a progress bar and end with a summary (added, updated, unchanged, rejected with
reasons, skipped); ``--json`` prints the summary as JSON. A second import of the same file
changes nothing. Settings come from the environment as for the services
(``MAILLAGE_NATS_URL``, else the running stack's; ``MAILLAGE_REFERENCE_DIR`` for the
communes kept). Where the files are downloaded: README, "Associations".
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
from pathlib import Path
from typing import Any

from services.cli.opstools import Progress, connect, stack_environ
from shared.errors import MaillageError
from shared.settings import COMMON, Settings, load

ACTOR = "cli"


def _rows(path: Path, source: str, environ: dict[str, str]) -> tuple[list[Any], str]:
    from services.associations.model import RNA_IMPORT
    from services.associations.registers import city_rows, rna_rows
    from shared.reference import metropole_communes, reference_dir, rna_theme_codes

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise MaillageError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if source == RNA_IMPORT:
        directory = reference_dir(environ)
        return rna_rows(data, metropole_communes(directory), rna_theme_codes(directory))
    return city_rows(data)


async def _import(name: str, rows: list[Any], encoding: str, source: str,
                  settings: Settings, as_json: bool) -> int:
    from services.accounts.storage import Stores
    from services.associations.importer import Importer, Summary

    summary = Summary(source, encoding)
    bus = await connect(settings)
    try:
        stores = await Stores.open(bus)
        progress = Progress(len(rows), f"importing {name}")
        await Importer(stores, source, actor=ACTOR).run(rows, summary, progress.advance)
        progress.finish()
    finally:
        await bus.close()
    print(json.dumps(summary.as_dict(), ensure_ascii=False, indent=2) if as_json
          else summary.report())
    return 0


def _runner(source: str) -> Any:
    def run(args: argparse.Namespace) -> int:
        environ = stack_environ(os.environ)
        settings = load(COMMON, environ)
        path = Path(args.file)
        rows, encoding = _rows(path, source, environ)
        result: int = asyncio.run(_import(path.name, rows, encoding, source, settings,
                                          args.json))
        return result

    return run


def register(subparsers: Any) -> None:
    from services.associations.model import CITY_IMPORT, RNA_IMPORT

    associations = subparsers.add_parser(
        "associations", help="import the official registers of associations")
    asub = associations.add_subparsers(dest="action", required=True)
    for name, source, text in (
            ("import-rna", RNA_IMPORT, "the national register's bulk file (RNA waldec, "
                                       "semicolon-separated, UTF-8 or Latin-1)"),
            ("import-city", CITY_IMPORT, "the city's organisations layer (CSV or JSON)")):
        p = asub.add_parser(name, help=text)
        p.add_argument("file", metavar="FILE")
        p.add_argument("--json", action="store_true", help="print the summary as JSON")
        p.set_defaults(func=_runner(source))
