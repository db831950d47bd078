"""The domains that project records into the board (:mod:`shared.store.board_base`).

Each name in :data:`DOMAINS` is a module (a domain's ``project.py``, e.g.
``services.skills.project``) exposing ``PROJECTIONS``: ``{record kind: projection}``, where
the record kind is the ``<kind>`` of its subjects ``maillage.rec.<kind>.…`` and a projection
turns one :class:`~shared.records.Entry` of that kind (its whole new state, ``entry.seq``
its stream sequence) into a :class:`~shared.store.board_base.BoardMessage`, given the
indexer's geocoder (``None`` in tools that do not place things). A projection raises
``ValueError``, ``KeyError`` or ``TypeError`` for a record it cannot read: the board
consumer dead-letters it. The board consumer (:mod:`services.indexer.board_consumer`)
subscribes to exactly the kinds declared here; a domain adds its module name below.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable

from services.associations.project import Geocode
from shared.errors import ConfigError
from shared.records import Entry
from shared.store.board_base import BoardMessage

#: The modules whose ``PROJECTIONS`` the board consumer applies.
DOMAINS: tuple[str, ...] = (
    "services.applications.project",
    "services.network.project",
    "services.skills.project",
    "services.venues.project",
)

Projection = Callable[[Entry, Geocode | None], BoardMessage]

__all__ = ["DOMAINS", "Geocode", "Projection", "projections"]


def projections(domains: Iterable[str] | None = None) -> dict[str, Projection]:
    """``{record kind: projection}`` of ``domains`` (:data:`DOMAINS`); a kind two domains claim is a
    configuration error."""
    found: dict[str, Projection] = {}
    owner: dict[str, str] = {}
    for name in DOMAINS if domains is None else domains:
        module = importlib.import_module(name)
        for kind, projection in getattr(module, "PROJECTIONS", {}).items():
            if kind in found:
                raise ConfigError(f"record kind {kind!r} is projected by both "
                                  f"{owner[kind]} and {name}")
            found[kind], owner[kind] = projection, name
    return found
