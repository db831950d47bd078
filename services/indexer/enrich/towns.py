"""Towns named in a location's text, the way associations write them.

Associations often give no city field: ``Salle des fêtes de Pacé``, ``Médiathèque,
Saint-Jacques-de-la-Lande``, ``Saint-Malo, salle du Quai``. :class:`TownFinder` finds the
town such a text names:

* a part of the text (between commas, dashes, parentheses) that is a town name, a postcode
  and ``cedex`` aside: ``Saint-Jacques-de-la-Lande``, ``35400 Saint-Malo``;
* a town closing a part after ``de``, ``du``, ``d'``, ``à``: ``Salle des fêtes de Pacé``,
  ``Maison des associations du Rheu``, unless a street type comes just before (``Rue de
  Saint-Malo``, ``Route de Lorient``, ``Porte de Brest`` are streets of Rennes named after
  a town, not that town), or the part is a street name itself;
* a town closing a street address without a comma or a preposition: ``8 rue Legraverend
  Rennes``, ``12 rue de la Gare Vern-sur-Seiche`` (``Rue de Saint-Malo`` is still a street).

Town names are read the way people abbreviate them: ``St``/``Ste`` for ``Saint``/``Sainte``
(``St-Grégoire``, ``St Jacques de la Lande``), connectors dropped or written ``/``
(``Vern/Seiche``, ``Noyal Châtillon s/ Seiche``), and words cut short (``Chartres de Bgne``,
``Cesson-Sév.``, ``Thorigné-F.``) when another word of the name is written in full and one
town only fits (:meth:`TownFinder.lookup`).

Towns are the communes of Rennes Métropole (reference data, with the short names people use:
``Cesson``, ``Saint-Jacques``) and :data:`NEARBY_TOWNS`, towns outside the Métropole whose
names Rennes streets and venues share or that associations around Rennes often write. A text
naming a town outside the Métropole is not in Rennes: it gets no Rennes venue, street or
quartier.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from shared.reference import Commune

from .places import TYPE_ABBREV, WORD_ABBREV, commune_keys, words

#: Towns outside Rennes Métropole: the rest of Ille-et-Vilaine's main towns, the towns of
#: neighbouring départements associations travel to, and the large French cities (several
#: of them name streets and gates of Rennes: rue de Saint-Malo, route de Lorient...).
NEARBY_TOWNS: tuple[str, ...] = tuple(
    """
    Saint-Malo|Fougères|Vitré|Redon|Dinard|Cancale|Combourg|Dol-de-Bretagne|Montfort-sur-Meu|
    Bain-de-Bretagne|Janzé|Châteaugiron|Liffré|Saint-Aubin-du-Cormier|Guichen|Guipry-Messac|
    Plélan-le-Grand|Paimpont|Montauban-de-Bretagne|Saint-Méen-le-Grand|Médréac|Tinténiac|
    Hédé-Bazouges|Melesse|La Mézière|Saint-Aubin-d'Aubigné|Sens-de-Bretagne|Val-d'Anast|
    Maure-de-Bretagne|Retiers|La Guerche-de-Bretagne|Châteaubourg|Servon-sur-Vilaine|
    Noyal-sur-Vilaine|Domloup|Argentré-du-Plessis|Louvigné-du-Désert|Saint-Brice-en-Coglès|
    Maen Roch|Antrain|Val-Couesnon|Pleine-Fougères|Saint-Briac-sur-Mer|Saint-Lunaire|
    Pleurtuit|La Richardais|Saint-Méloir-des-Ondes|Saint-Coulomb|Châteauneuf-d'Ille-et-Vilaine|
    Miniac-Morvan|Pléchâtel|Bourg-des-Comptes|Bréal-sous-Montfort|Iffendic|Talensac|Bédée|
    Pleumeleuc|Breteil|Irodouër|Pipriac|Grand-Fougeray|Martigné-Ferchaud|La Bouëxière|
    Ercé-près-Liffré|Gosné|Mézières-sur-Couesnon|Lécousse|Romagné|Javené|Amanlis|Piré-sur-Seiche|
    Goven|Baulon|Lassy|Lohéac|Guignen|Saint-Malo-de-Phily|Crevin|Poligné|
    Le Sel-de-Bretagne|Essé|Louvigné-de-Bais|Étrelles|Saint-Didier|
    Dinan|Saint-Brieuc|Lamballe|Loudéac|Guingamp|Lannion|Paimpol|Perros-Guirec|Erquy|
    Saint-Cast-le-Guildo|Saint-Cast|Broons|Caulnes|Plancoët|Vannes|Lorient|Ploërmel|Pontivy|
    Josselin|Auray|Carnac|Quiberon|La Gacilly|Malestroit|Questembert|Guer|Brest|Quimper|
    Morlaix|Concarneau|Douarnenez|Landerneau|Nantes|Saint-Nazaire|Châteaubriant|Ancenis|
    Guérande|La Baule|Pornic|Blain|Derval|Laval|Mayenne|Château-Gontier|Craon|Ernée|Avranches|
    Granville|Pontorson|Le Mont-Saint-Michel|Mont-Saint-Michel|Saint-James|Saint-Lô|Cherbourg|
    Caen|Alençon|Le Mans|Angers|Cholet|Tours|Paris|Lyon|Marseille|Bordeaux|Lille|Toulouse|
    Strasbourg|Nice|Montpellier|Rouen|Le Havre|Orléans|Poitiers|La Rochelle
    """.split("|")
)

#: Short names of communes of the Métropole (INSEE code), as people write them.
METRO_SHORT_NAMES = {
    "cesson": "35051",
    "saint jacques": "35281",
    "thorigne": "35334",
    "vezin": "35353",
    "vern": "35352",
    "noyal chatillon": "35206",
    "chapelle fougeretz": "35059",
    "chapelle thouarault": "35065",
}

#: A word before "de <town>" that makes it a street or a gate of Rennes named after a town.
STREET_WORDS = frozenset(
    """rue boulevard avenue place allee impasse quai cours chemin route esplanade faubourg
    passage promenade mail contour venelle sentier voie ruelle rampe porte rocade rond
    carrefour pont square parvis""".split()
) | frozenset(TYPE_ABBREV)
_PREPOSITIONS = frozenset({"de", "du", "d", "a", "au", "l", "la", "le", "les"})
#: Words a town name may drop or abbreviate (``Vern/Seiche``, ``Noyal s/ Seiche``).
_CONNECTORS = frozenset({"de", "du", "des", "d", "la", "le", "les", "l", "sur", "sous", "s",
                         "en", "et", "lez"})
_NOISE = frozenset({"cedex", "france"})
_PARTS = re.compile(r"\s+[-–—|/]\s+|[,;:()\[\]\n]")


@dataclass(frozen=True, slots=True)
class Town:
    name: str
    commune: Commune | None  # None: outside Rennes Métropole


class TownFinder:
    """Finds the town a location text names (see the module docstring)."""

    def __init__(self, communes: Iterable[Commune], outside: Iterable[str] = NEARBY_TOWNS):
        self.towns: dict[str, Town] = {}
        by_insee = {}
        for commune in communes:
            by_insee[commune.insee] = commune
            for key in commune_keys(commune.name):
                self.towns.setdefault(key, Town(commune.name, commune))
        for key, insee in METRO_SHORT_NAMES.items():
            if insee in by_insee:
                self.towns.setdefault(key, Town(by_insee[insee].name, by_insee[insee]))
        for name in (n.strip() for n in outside):
            for key in commune_keys(name):
                self.towns.setdefault(key, Town(name, None))  # a commune of the Métropole wins
        self._longest = max((len(k.split()) for k in self.towns), default=0)
        #: the towns by their significant words (connectors dropped): "vern seiche"
        self.loose: dict[str, list[Town]] = {}
        for key, town in self.towns.items():
            loose = _loose(key.split())
            if loose and town not in self.loose.setdefault(" ".join(loose), []):
                self.loose[" ".join(loose)].append(town)
        #: (number of words, first letter) -> (words, towns) of the loose names, to scan cuts
        self._shapes: dict[tuple[int, str], list[tuple[list[str], list[Town]]]] = {}
        for loose_key, towns in self.loose.items():
            ws = loose_key.split()
            self._shapes.setdefault((len(ws), ws[0][0]), []).append((ws, towns))

    def lookup(self, ws: list[str]) -> Town | None:
        """The town these folded words name, exactly or abbreviated (see the module doc)."""
        if not ws:
            return None
        town = self.towns.get(" ".join(ws))
        if town is not None:
            return town
        ws = [WORD_ABBREV.get(w, w) for w in ws]
        town = self.towns.get(" ".join(ws))
        if town is not None:
            return town
        significant = _loose(ws)
        if not significant:
            return None
        found = self.loose.get(" ".join(significant), [])
        if len(found) == 1:
            return found[0]
        if len(significant) < 2:
            return None
        fits = {
            id(t): t
            for full, towns in self._shapes.get((len(significant), significant[0][0]), [])
            if _abbreviates(significant, full)
            for t in towns
        }
        return next(iter(fits.values())) if len(fits) == 1 else None

    def find(self, *texts: str | None) -> Town | None:
        """The town the texts name: a whole part first, else a town closing a part."""
        whole: list[Town] = []
        closing: list[Town] = []
        for text in texts:
            for part in _PARTS.split(text or ""):
                ws = [w for w in words(part) if not w.isdigit() and w not in _NOISE]
                if not ws:
                    continue
                town = self.lookup(ws)
                if town is not None:
                    whole.append(town)
                    continue
                town = self._closing(ws)
                if town is not None:
                    closing.append(town)
        found = whole or closing
        if not found:
            return None
        inside = [t for t in found if t.commune is not None]
        return inside[-1] if inside and len(inside) == len(found) else found[-1]

    def _closing(self, ws: list[str]) -> Town | None:
        if ws[0] in STREET_WORDS:  # "Promenade du Comte de Nice" is a street...
            return self._after_street(ws)  # ...but "rue Legraverend Rennes" is in Rennes
        for size in range(min(self._longest, len(ws) - 1), 0, -1):
            if ws[-size] in _CONNECTORS:
                continue
            town = self.lookup(ws[-size:])
            if town is None:
                continue
            before = ws[:-size]
            if not before or before[-1] not in _PREPOSITIONS:
                return None
            while before and before[-1] in _PREPOSITIONS:
                before.pop()
            if before and before[-1] not in STREET_WORDS:
                return town
            return None
        return None

    def town_after_street(self, ws: list[str]) -> tuple[Town, int] | None:
        """(town, its number of words) closing a street address with no preposition before
        it: ``rue legraverend rennes``. ``rue de saint malo`` names no town."""
        for size in range(min(self._longest, len(ws) - 2), 0, -1):
            if ws[-size] in _CONNECTORS or ws[-size - 1] in _PREPOSITIONS | _CONNECTORS:
                continue
            town = self.lookup(ws[-size:])
            if town is not None:
                return town, size
        return None

    def _after_street(self, ws: list[str]) -> Town | None:
        found = self.town_after_street(ws)
        return found[0] if found else None


def _loose(ws: list[str]) -> list[str]:
    return [w for w in ws if w not in _CONNECTORS]


def _abbreviates(short: list[str], full: list[str]) -> bool:
    """Whether each word of ``short`` is its word of ``full`` or a cut of it (``bgne`` for
    ``bretagne``, ``sev`` for ``sevigne``), with at least one word written in full."""
    if len(short) != len(full):
        return False
    whole = 0
    for i, (s, f) in enumerate(zip(short, full, strict=True)):
        if s == f:
            whole += len(s) >= 3
        elif len(s) < 2 - (i > 0) or s[0] != f[0] or not (f.startswith(s) or _subsequence(s, f)):
            return False  # an initial only after the first word ("Thorigné-F.")
    return whole > 0 and whole < len(full)


def _subsequence(short: str, full: str) -> bool:
    """``bgne`` in ``bretagne``: the letters in order, the last one last."""
    if short[-1] != full[-1]:
        return False
    rest = iter(full)
    return all(c in rest for c in short)
