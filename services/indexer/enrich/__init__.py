"""Enrichment of harvested events before indexing: pure, offline, idempotent.

    enricher = Enricher(load_reference(reference_dir(os.environ)))   # once, ~0.5 s
    event = enricher.enrich(event)                                   # per event, < 1 ms

:meth:`Enricher.enrich` returns a copy of the event with

* ``description`` sanitized (safe HTML, :mod:`.sanitize`) and ``description_text`` its
  plain text (when the description is empty, the source's ``description_text`` is kept,
  whitespace-normalized);
* ``themes`` (:mod:`.themes`, taxonomy :mod:`shared.taxonomy`), each with its reason, from
  the text, the categories, the source's own keywords and, when the enricher is given an
  ``associations`` step (:class:`services.indexer.associations.AssociationContext`), the
  themes of the associations the event comes from (``extra["associations"]``,
  ``extra["association_themes"]``);
* ``keywords`` as normalized slugs (:mod:`.keywords`);
* ``location`` completed (:mod:`.geocode`): coordinates, commune, INSEE code, quartier,
  precision and reason; a ``moved_online`` event is treated as online;
* ``accessibility`` as one sorted set of :mod:`shared.vocab` codes (:mod:`.accessibility`);
* ``audience`` and ``is_free`` inferred from the text when it says so (:mod:`.audience`).

It never changes identity, dates, title, URL or the source's categories, and
``enrich(enrich(e)) == enrich(e)``.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import orjson

from shared.model import Event, Status
from shared.reference import Reference, load_reference, reference_dir

from .accessibility import AccessibilityMatcher
from .audience import infer_audience, infer_free
from .geocode import Geocoder
from .keywords import keywords_and_given
from .sanitize import html_to_text, plain_text, sanitize
from .themes import TextHits, assign_themes

__all__ = ["Enricher", "load_reference", "reference_dir"]


#: Enrichments remembered (the oldest dropped first): the occurrences of a series published
#: as separate events, and a source's boilerplate, repeat the same content.
MEMO_SIZE = 2048


class Enricher:
    """Holds the reference data and the indexes built from it; reuse one instance."""

    def __init__(self, reference: Reference, timezone: str = "Europe/Paris",
                 associations: Callable[[Event], Event] | None = None) -> None:
        self.reference = reference
        #: adds the associations the event comes from (``extra``), read by the themes
        self.associations = associations
        self.timezone = timezone  # reserved for date-dependent rules; none yet
        self.geocoder = Geocoder(reference)
        self.accessibility = AccessibilityMatcher(reference.accessibility)
        self._memo: OrderedDict[tuple[Any, ...], dict[str, Any]] = OrderedDict()
        self._texts: OrderedDict[tuple[str, str], tuple[str, str]] = OrderedDict()

    def enrich(self, event: Event) -> Event:
        if self.associations is not None:  # before the memo: its extra is part of the key
            event = self.associations(event)
        key = _content_key(event)
        fields = self._memo.get(key) if key is not None else None
        if fields is None:
            fields = self._enriched_fields(event)
            if key is not None:
                _remember(self._memo, key, fields)
        return event.with_(**fields)

    def _enriched_fields(self, event: Event) -> dict[str, Any]:
        """The fields :meth:`enrich` sets: a function of the content :func:`_content_key`
        reads (never of identity, dates, URL or organizer)."""
        description, text = self._text(event.description, event.description_text)
        hits = TextHits.of(event.title, text)
        full_text = "\n".join(p for p in (event.title, text) if p)
        location = event.location
        if location is not None:
            if event.status == Status.MOVED_ONLINE and not location.online:
                location = replace(location, online=True)
            location = self.geocoder.geocode(location)
        keywords, given = keywords_and_given(event.categories, event.keywords, event.title, hits)
        return {
            "description": description,
            "description_text": text,
            "themes": assign_themes(event.categories, event.extra, hits, given),
            "keywords": keywords,
            "location": location,
            "accessibility": self.accessibility.codes(event.accessibility, event.extra,
                                                      full_text),
            "audience": infer_audience(event.audience, "\n".join([full_text, *event.categories])),
            "is_free": infer_free(event.is_free, event.price, full_text),
        }

    def _text(self, description: str, description_text: str) -> tuple[str, str]:
        """(sanitized description, its plain text), memoized."""
        key = (description, description_text)
        out = self._texts.get(key)
        if out is None:
            clean = sanitize(description)
            out = (clean, html_to_text(clean) if clean else plain_text(description_text))
            _remember(self._texts, key, out)
        return out


def _content_key(event: Event) -> tuple[Any, ...] | None:
    """What enrichment reads of ``event``; None when its ``extra`` cannot be keyed."""
    extra: bytes = b""
    if event.extra:
        try:
            extra = orjson.dumps(event.extra, option=orjson.OPT_SORT_KEYS)
        except TypeError:
            return None
    return (event.title, event.description, event.description_text, event.categories,
            event.keywords, event.location, str(event.status), event.accessibility,
            event.audience, event.is_free, event.price, extra)


def _remember(memo: OrderedDict[Any, Any], key: Any, value: Any) -> None:
    memo[key] = value
    if len(memo) > MEMO_SIZE:
        memo.popitem(last=False)
