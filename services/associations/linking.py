"""Linking what feeds name (an event's organizer, a source) to association records.

Pure and offline: :class:`Linker` is built from association records (their JSON form, so
that it reads the record whatever fields it has grown) and answers, for an organizer string
as a feed writes it and what else is known (URLs, e-mail addresses, page text), the
associations it names, each with a confidence and a reason:

==========  ===========================================================  ==========
reason      evidence                                                     confidence
==========  ===========================================================  ==========
declared    one of the association's declared organizer names            1.00
rna         its RNA number written in the text or the page               0.99
name        its name, once articles, legal forms and case are set aside  0.95
domain      an address or a link at its website's registrable domain     0.93
alias       one of its other names (aliases, the RNA's short title)      0.92
name        its name without the town (``… de Rennes``)                  0.90
acronym     its acronym, alone or set apart (``CRVA``, ``Le CRVA -``);    0.90
            0.60 when several associations share it
contains    its full name, with more words (``<nom> - atelier``)          0.75
similar     a name close to its name (a typo, a word more or less)       0.55-0.80
==========  ===========================================================  ==========

Two pieces of evidence for the same association add up (the best one, plus a third of the
distance to 1 for each other kind). A part is *linked* when its best association reaches
:data:`AUTO` and leads the next by :data:`MARGIN`; it goes to the operators' review queue
(*review*) from :data:`REVIEW` on, with its candidates; below, nothing is guessed.

An organizer string may name several organizers (``Vélo Solidaire / Jardins du Blosne``):
each part is linked on its own (:func:`split_parts`).

Measured on ``tests/data/links_labelled.jsonl`` by ``scripts/eval_links.py``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from rapidfuzz import fuzz, process

from services.associations.validate import SHARED_DOMAINS, registrable_domain
from shared.text import fold

#: Confidence from which a link is made without asking anyone.
AUTO = 0.85
#: Confidence from which an operator is asked; below, no link.
REVIEW = 0.55
#: How far the best association must lead the next one to be linked without review.
MARGIN = 0.1
#: A word held by more names than this is too common to find close names by.
SIMILAR_POOL = 500

LINKED = "linked"
TO_REVIEW = "review"

REASONS_FR = {
    "declared": "nom d’organisateur déclaré par l’association",
    "rna": "numéro RNA cité",
    "name": "même nom",
    "domain": "adresse au domaine de son site",
    "alias": "autre nom de l’association",
    "acronym": "sigle",
    "contains": "contient son nom complet",
    "similar": "nom proche",
    "operator": "décision d’un opérateur",
}

#: Words that say what kind of body it is, not which one.
LEGAL_WORDS = frozenset(
    "association asso assoc ass loi 1901 l asbl".split()
)
#: Words of the place every association here shares; a name is compared with and without.
PLACE_WORDS = frozenset("rennes rennais rennaise 35 metropole ille vilaine".split())
_WORD = re.compile(r"[a-z0-9]+")
_ARTICLES = frozenset("le la les l de des du d et en a au aux un une".split())
_RNA = re.compile(r"\b(W\d{9})\b", re.IGNORECASE)
_EMAIL = re.compile(r"[\w.+-]+@([\w-]+(?:\.[\w-]+)+)")
_URL = re.compile(r"(?:https?://|www\.)[^\s<>\"')]+", re.IGNORECASE)
_MAILTO = re.compile(r"^\s*mailto:\S*\s*$", re.IGNORECASE)
#: Separators between co-organizers (a plain comma or ``et`` are too common inside names).
_PARTS = re.compile(r"\s+(?:/|&|\+|×|x)\s+|\s*;\s*|\s*\|\s*|\s+avec\s+|\s+en partenariat avec\s+",
                    re.IGNORECASE)
#: A name and what follows it (``CRVA - Centre de ressources``, ``Le Jardin (asso)``).
_SEGMENTS = re.compile(r"\s+[-–—:]\s+|[()\[\]]|,\s+")


@dataclass(frozen=True, slots=True)
class Evidence:
    association: str
    confidence: float
    reason: str
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Link:
    """The association a part of an organizer string names (or may name)."""

    part: str
    association: str
    confidence: float
    reason: str
    status: str  # linked | review
    candidates: tuple[Evidence, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {"part": self.part, "association": self.association,
                "confidence": round(self.confidence, 3), "reason": self.reason,
                "status": self.status,
                "candidates": [{"association": c.association,
                                "confidence": round(c.confidence, 3), "reason": c.reason,
                                "detail": c.detail} for c in self.candidates]}


#: Abbreviations feeds use for words of names.
ABBREVIATIONS = {"cie": "compagnie", "gym": "gymnastique", "ul": "unite locale",
                 "st": "saint", "ste": "sainte", "fc": "football club", "tc": "tennis club",
                 "cc": "comite"}


def words(text: str) -> list[str]:
    """Folded words, abbreviations spelled out (``Cie`` → ``compagnie``)."""
    out: list[str] = []
    for w in _WORD.findall(fold(text)):
        out += ABBREVIATIONS.get(w, w).split()
    return out


def name_key(text: str, *, places: bool = True) -> str:
    """A name as sorted distinct words without articles and legal forms (``L'Association
    Chœur Arc-en-Ciel`` → ``arc choeur ciel``); without the town's words when not
    ``places``."""
    drop = _ARTICLES | LEGAL_WORDS | (frozenset() if places else PLACE_WORDS)
    return " ".join(sorted({w for w in words(text) if w not in drop}))


def acronym_key(text: str) -> str:
    """An acronym as written in a name: letters and digits only, upper-cased (``C.R.V.A.`` →
    ``CRVA``)."""
    return re.sub(r"[^A-Z0-9]", "", fold(text).upper())


def domain_of(address: str) -> str | None:
    """The registrable domain of a URL, an e-mail address or a bare host; ``None`` for the
    domains many unrelated people share (free mail, site hosts)."""
    text = address.strip()
    if "@" in text and "://" not in text:
        host = text.rpartition("@")[2]
    else:
        host = urlsplit(text if "://" in text else "http://" + text).hostname or ""
    domain = registrable_domain(host) if host else None
    return domain if domain and domain not in SHARED_DOMAINS else None


def addresses(text: str) -> list[str]:
    """The URLs and e-mail domains written in ``text``."""
    return [m.group(0) for m in _URL.finditer(text)] + [m.group(1) for m in _EMAIL.finditer(text)]


def split_parts(organizer: str) -> list[str]:
    """The organizers an organizer string names (``A / B``, ``A & B``, ``A ; B``)."""
    text = " ".join(organizer.split())
    if _MAILTO.match(text):
        return [text]
    parts = [p.strip(" ,.-") for p in _PARTS.split(text)]
    return [p for p in parts if p] or [text]


@dataclass(slots=True)
class _Entry:
    id: str
    name: str
    rna: tuple[str, ...]
    keys: dict[str, str] = field(default_factory=dict)


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value] if value.strip() else []
    if isinstance(value, Iterable) and not isinstance(value, Mapping):
        return [str(v) for v in value if isinstance(v, str) and v.strip()]
    return []


class Linker:
    """The associations' names, acronyms, aliases, domains and RNA numbers, indexed."""

    def __init__(self, records: Iterable[Mapping[str, Any]]) -> None:
        self.entries: dict[str, _Entry] = {}
        self.declared: dict[str, set[str]] = defaultdict(set)
        self.names: dict[str, set[str]] = defaultdict(set)
        self.bare_names: dict[str, set[str]] = defaultdict(set)
        self.aliases: dict[str, set[str]] = defaultdict(set)
        self.bare_aliases: dict[str, set[str]] = defaultdict(set)
        self.prefixes: dict[str, set[str]] = defaultdict(set)
        self.acronyms: dict[str, set[str]] = defaultdict(set)
        self.domains: dict[str, set[str]] = defaultdict(set)
        self.rna: dict[str, str] = {}
        self._choices: list[str] = []
        self._owners: list[str] = []
        #: word -> the choices holding it: close names are looked for among those only
        self._holding: dict[str, list[int]] = defaultdict(list)
        self._by_prefix: dict[str, list[str]] | None = None
        for record in records:
            self._add(record)

    def _add(self, r: Mapping[str, Any]) -> None:
        if r.get("state") in ("pending", "deleted"):
            return
        aid = str(r["id"])
        name = str(r.get("name") or "")
        numbers = tuple(n.upper() for n in _strings(r.get("rna")) + _strings(r.get("rna_old")))
        self.entries[aid] = _Entry(aid, name, numbers)
        for number in numbers:
            self.rna[number] = aid
        for organizer in _strings(r.get("organizers")):
            if name_key(organizer):
                self.declared[name_key(organizer)].add(aid)
        key = name_key(name)
        if key:
            self.names[key].add(aid)
            for word in key.split():
                self._holding[word].append(len(self._choices))
            self._choices.append(key)
            self._owners.append(aid)
        ordered = [w for w in words(name) if w not in _ARTICLES | LEGAL_WORDS]
        if len(ordered) >= 2:
            self.prefixes[" ".join(ordered)].add(aid)
        bare = name_key(name, places=False)
        if bare and bare != key and len(bare.split()) >= 1:
            self.bare_names[bare].add(aid)
        for alias in _strings(r.get("aliases")) + _strings(r.get("short_name")):
            if name_key(alias):
                self.aliases[name_key(alias)].add(aid)
                bare_alias = name_key(alias, places=False)
                if bare_alias and bare_alias != name_key(alias):
                    self.bare_aliases[bare_alias].add(aid)
        for acronym in _strings(r.get("acronym")):
            code = acronym_key(acronym)
            if len(code) >= 2:
                self.acronyms[code].add(aid)
        # the website only: a social network's domain (mastodon.social) is everyone's
        for site in _strings(r.get("website")):
            domain = domain_of(site)
            if domain:
                self.domains[domain].add(aid)

    # -- evidence -------------------------------------------------------------------------------

    def _evidence(self, part: str, extra: Sequence[str]) -> list[Evidence]:
        found: list[Evidence] = []

        def add(ids: Iterable[str], confidence: float, reason: str, detail: str = "") -> None:
            found.extend(Evidence(a, confidence, reason, detail) for a in ids)

        key, bare = name_key(part), name_key(part, places=False)
        add(self.declared.get(key, ()), 1.0, "declared", part)
        for text in (part, *extra):
            for number in _RNA.findall(text):
                if number.upper() in self.rna:
                    add([self.rna[number.upper()]], 0.99, "rna", number.upper())
        for text in (part, *extra):
            for address in addresses(text):
                domain = domain_of(address)
                if domain in self.domains:
                    add(self.domains[domain], 0.93, "domain", domain)
        if not key:
            return found
        add(self.names.get(key, ()), 0.95, "name", part)
        add(self.aliases.get(key, ()), 0.92, "alias", part)
        if bare:
            add(self.bare_names.get(bare, set()) | self.names.get(bare, set()), 0.90, "name",
                part)
            placed = bare != key  # the organizer names a place too: the same one
            add(self.bare_aliases.get(bare, ()), 0.90 if placed else 0.80, "alias", part)
            if placed:
                add(self.aliases.get(bare, ()), 0.90, "alias", part)
        ordered = [w for w in words(part) if w not in _ARTICLES | LEGAL_WORDS]
        for n in range(len(ordered) - 1, 1, -1):  # the organizer starts with its whole name
            add(self.prefixes.get(" ".join(ordered[:n]), ()), 0.86, "contains", part)
        segments = [s.strip() for s in _SEGMENTS.split(part) if s and s.strip()]
        for segment in {part, *segments}:
            bare_segment = re.sub(r"^(?:(?i:l[ae]s?\s+|l['’]\s*))", "", segment)
            code = acronym_key(bare_segment)
            looks = (bare_segment.replace(".", "").replace(" ", "").isupper()
                     or len(words(bare_segment)) == 1)
            if looks and code in self.acronyms:
                owners = self.acronyms[code]
                add(owners, 0.90 if len(owners) == 1 else 0.60, "acronym", code)
            if segment != part and name_key(segment):
                add(self.names.get(name_key(segment), ()), 0.90, "name", segment)
                add(self.aliases.get(name_key(segment), ()), 0.88, "alias", segment)
        found += self._similar(key)
        return found

    def _similar(self, key: str) -> list[Evidence]:
        out: list[Evidence] = []
        size = len(key.split())
        # a close name shares a word, or nearly (one typo away, same first three letters):
        # the names holding one of its words that few names hold; when every word is
        # common, those holding its two rarest
        words = sorted(set(key.split()), key=lambda w: len(self._holding.get(w, ())))
        near = [o for w in words if len(w) >= 4 for o in self._prefixed(w[:3])
                if o != w and fuzz.ratio(w, o) >= 80]
        pool: set[int] = set()
        for word in words + near:
            holding = self._holding.get(word, ())
            if len(holding) <= SIMILAR_POOL:
                pool.update(holding)
        if not pool and len(words) >= 2:
            pool = set(self._holding.get(words[0], ())) & set(self._holding.get(words[1], ()))
        choices = {i: self._choices[i] for i in pool}
        for choice, score, index in process.extract(key, choices,
                                                    scorer=fuzz.token_set_ratio,
                                                    limit=5, score_cutoff=80):
            aid = self._owners[index]
            other = len(choice.split())
            if score >= 100:
                if choice == key:
                    continue
                if size > other and other >= 2:  # the organizer holds its whole name
                    out.append(Evidence(aid, 0.75, "contains", self.entries[aid].name))
                elif other > size >= 2 and size * 2 >= other:  # most of its name
                    out.append(Evidence(aid, 0.6, "similar", self.entries[aid].name))
                continue
            ratio = fuzz.ratio(key, choice)
            if ratio >= 92:
                out.append(Evidence(aid, 0.8, "similar", self.entries[aid].name))
            elif ratio >= 85:
                out.append(Evidence(aid, 0.6, "similar", self.entries[aid].name))
        return out

    def _prefixed(self, prefix: str) -> list[str]:
        """The names' words that start with ``prefix``."""
        if self._by_prefix is None:
            by: dict[str, list[str]] = defaultdict(list)
            for word in self._holding:
                by[word[:3]].append(word)
            self._by_prefix = by
        return self._by_prefix.get(prefix, [])

    # -- decision -------------------------------------------------------------------------------

    def link(self, organizer: str, *, context: Sequence[str] = ()) -> list[Link]:
        """The associations ``organizer`` names, each linked or to review; ``context``: other
        texts about it (its events' or source's URLs, e-mail addresses, page text)."""
        out: list[Link] = []
        parts = split_parts(organizer)
        for part in parts:
            extra = tuple(context) if len(parts) == 1 else ()
            found = self._evidence(part, extra)
            link = self._decide(part, found)
            if link is not None and all(o.association != link.association for o in out):
                out.append(link)
        return out

    @staticmethod
    def _decide(part: str, found: list[Evidence]) -> Link | None:
        by: dict[str, list[Evidence]] = defaultdict(list)
        for e in found:
            by[e.association].append(e)
        scored: list[Evidence] = []
        for aid, evidence in by.items():
            best: dict[str, Evidence] = {}
            for e in evidence:
                if e.reason not in best or e.confidence > best[e.reason].confidence:
                    best[e.reason] = e
            ranked = sorted(best.values(), key=lambda e: -e.confidence)
            confidence = ranked[0].confidence
            for e in ranked[1:]:
                confidence += (1 - confidence) * e.confidence / 3
            reason = "+".join(e.reason for e in ranked)
            scored.append(Evidence(aid, min(confidence, 1.0), reason, ranked[0].detail))
        if not scored:
            return None
        scored.sort(key=lambda e: (-e.confidence, e.association))
        top = scored[0]
        runner = scored[1].confidence if len(scored) > 1 else 0.0
        if top.confidence >= AUTO and top.confidence - runner >= MARGIN:
            status = LINKED
        elif top.confidence >= REVIEW:
            status = TO_REVIEW
        else:
            return None
        candidates = tuple(e for e in scored if e.confidence >= REVIEW)[:5]
        return Link(part, top.association, top.confidence, top.reason, status, candidates)
