"""``maillage accounts``: operators grant and revoke site-wide roles.

    maillage accounts grant ROLE EMAIL     operator or city-agent; the account is created if
                                           the person never signed in (bootstrap the first
                                           operator this way)
    maillage accounts revoke ROLE EMAIL
    maillage accounts list                 people with a site-wide role
    maillage accounts export EMAIL         everything kept about a person, as JSON (what
                                           /compte/export gives them), read by subject

Settings come from the environment as for the services (``MAILLAGE_NATS_URL``, else the URL
the running ``maillage run`` wrote under its data directory). Changes are written to the store
of record with the actor ``cli``. Registered by :func:`register` in
:mod:`services.cli.main`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from typing import Any

from services.cli.opstools import connect, stack_environ, table
from shared.errors import InvalidInput, MaillageError
from shared.settings import COMMON, Settings, load

ACTOR = "cli"
#: Command-line spellings of the roles.
ROLE_NAMES = {"operator": "operator", "operateur": "operator", "city-agent": "city_agent",
              "city_agent": "city_agent", "agent": "city_agent"}


async def _set_role(args: argparse.Namespace, settings: Settings, granted: bool) -> int:
    from services.accounts.storage import Stores
    from services.accounts.validate import email_address

    role = ROLE_NAMES.get(args.role)
    if role is None:
        raise MaillageError(f"unknown role {args.role!r}: operator or city-agent")
    try:
        email = email_address(args.email)
    except InvalidInput:
        raise MaillageError(f"not an e-mail address: {args.email!r}") from None
    bus = await connect(settings)
    try:
        stores = await Stores.open(bus)
        person = await stores.people.set_role(email, role, granted, actor=ACTOR)
    finally:
        await bus.close()
    verb = "granted to" if granted else "revoked from"
    print(f"{role} {verb} {email} ({person.id}); roles now: {', '.join(person.roles) or '-'}")
    return 0


async def accounts_list(args: argparse.Namespace, settings: Settings) -> int:
    from services.accounts.model import ROLES
    from services.accounts.storage import Stores

    bus = await connect(settings)
    try:
        stores = await Stores.open(bus)
        rows: list[dict[str, Any]] = []
        seen = set()
        for role in ROLES:
            for person in await stores.people.with_role(role):
                if person.id not in seen:
                    seen.add(person.id)
                    rows.append({"id": person.id, "email": person.email,
                                 "roles": ",".join(person.roles), "created": person.created})
    finally:
        await bus.close()
    if not rows:
        print("no one has a site-wide role yet (maillage accounts grant operator EMAIL)",
              file=sys.stderr)
        return 0
    print(table(rows, ("id", "email", "roles", "created")))
    return 0


async def accounts_export(args: argparse.Namespace, settings: Settings) -> int:
    """The person's data as their own export gives it: their records, their memberships and
    the changes they made (through ``maillage.rec.by.<person>``, never a scan of RECORDS)."""
    import json

    from services.accounts.storage import Hooks, Stores
    from services.associations.storage import export_memberships

    bus = await connect(settings)
    try:
        stores = await Stores.open(bus, Hooks(exporters=[export_memberships]))
        person = await stores.people.by_email(args.email)
        if person is None:
            raise MaillageError(f"no account for {args.email!r}")
        data = await stores.people.export(person.id)
    finally:
        await bus.close()
    print(json.dumps(data, ensure_ascii=False, indent=2))
    return 0


def _runner(command: Any) -> Any:
    def run(args: argparse.Namespace) -> int:
        settings = load(COMMON, stack_environ(os.environ))
        result: int = asyncio.run(command(args, settings))
        return result

    return run


async def accounts_grant(args: argparse.Namespace, settings: Settings) -> int:
    return await _set_role(args, settings, True)


async def accounts_revoke(args: argparse.Namespace, settings: Settings) -> int:
    return await _set_role(args, settings, False)


def register(subparsers: Any) -> None:
    accounts = subparsers.add_parser("accounts", help="grant or revoke site-wide roles")
    asub = accounts.add_subparsers(dest="action", required=True)
    for name, fn, text in (("grant", accounts_grant, "give a person a role"),
                           ("revoke", accounts_revoke, "take a role back")):
        p = asub.add_parser(name, help=text)
        p.add_argument("role", help="operator or city-agent")
        p.add_argument("email")
        p.set_defaults(func=_runner(fn))
    p = asub.add_parser("list", help="people with a site-wide role")
    p.set_defaults(func=_runner(accounts_list))
    p = asub.add_parser("export", help="everything kept about a person, as JSON")
    p.add_argument("email")
    p.set_defaults(func=_runner(accounts_export))
