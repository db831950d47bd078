"""``maillage token``: operators issue, list and revoke association tokens.

    maillage token issue "Nom de l'association"   prints the token once
    maillage token list                           id, association, created, revoked
    maillage token revoke ID

Tokens live in the call store (MAILLAGE_CALLS_SQLITE_PATH, default <data dir>/calls.sqlite)
of the stack that runs (:func:`services.cli.opstools.stack_environ`), whatever directory the
command is run from; only a hash of each secret is kept. Registered by
:func:`add_token_parser` in :mod:`services.cli.main`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

from services.cli.opstools import stack_environ
from services.ingest.settings import SETTINGS
from shared.errors import MaillageError
from shared.settings import load
from shared.store.calls_base import CallsStore
from shared.store.factory import open_call_store


def _store() -> CallsStore:
    return open_call_store(load(SETTINGS, stack_environ(os.environ)))


def cmd_token(args: argparse.Namespace) -> int:
    store = _store()
    try:
        if args.action == "issue":
            name = args.association.strip()
            if not name:
                raise MaillageError("the association name must not be empty")
            token_id, token = store.issue_token(name)
            print(f"token {token_id} issued for {name!r}; give it to the association, "
                  "it is not shown again:", file=sys.stderr)
            print(token)
        elif args.action == "list":
            for row in store.list_tokens():
                state = f"revoked {row['revoked']}" if row["revoked"] else "active"
                print(f"{row['token_id']}\t{row['association']}\t{row['created']}\t{state}")
        elif args.action == "revoke":
            if not store.revoke_token(args.token_id):
                raise MaillageError(f"no active token {args.token_id!r}")
            print(f"token {args.token_id} revoked", file=sys.stderr)
    finally:
        asyncio.run(store.close())
    return 0


def add_token_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    token = sub.add_parser("token", help="issue, list or revoke association tokens")
    actions = token.add_subparsers(dest="action", required=True)
    issue = actions.add_parser("issue", help="issue a token to an association")
    issue.add_argument("association", help="the association's name, shown on call pages")
    actions.add_parser("list", help="list tokens")
    revoke = actions.add_parser("revoke", help="revoke a token")
    revoke.add_argument("token_id")
    token.set_defaults(func=cmd_token)
