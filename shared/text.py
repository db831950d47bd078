"""French text normalization shared by the enrichment and the search store.

Three functions, each built on the previous one:

``fold(s)``
    Lower case, accents removed, ligatures expanded (``Œuvre`` -> ``oeuvre``), typographic
    apostrophes made plain. Length may change; nothing else is removed.
``tokens(s)``
    The alphanumeric words of ``fold(s)``, without French stop words and without the
    one-letter elided articles (``l'``, ``d'``, ``qu'``).
``stems(s)``
    ``tokens(s)`` reduced by the Snowball French stemmer (PyStemmer). Stemming is applied to
    folded words, so ``solidarité`` and ``solidarite`` give the same stem; always compare stems
    produced by this function, never hand-written ones.

The stop-word list is small and deliberate: function words only, so that the search store
and the theme lexicon agree on what a word is.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import Stemmer

__all__ = ["STOP_WORDS", "fold", "slug", "stem_word", "stems", "tokens"]

_PRE = str.maketrans(
    {
        "œ": "oe",
        "Œ": "oe",
        "æ": "ae",
        "Æ": "ae",
        "ß": "ss",
        "’": "'",
        "ʼ": "'",
        "‘": "'",
        "\u00a0": " ",
        "\u202f": " ",
    }
)
_WORD = re.compile(r"[a-z0-9]+")

STOP_WORDS: frozenset[str] = frozenset(
    """
    a à ai aie aient ais ait as au aux avec avez avions avons ayant c ca ce ceci cela celle
    celles celui ces cet cette ceux chez comme d dans de des donc dont du elle elles en entre
    es est et etaient etait etes etre eu eux fait faut il ils j je l la le les leur leurs
    lui m ma mais me meme mes moi mon n ne ni nos notre nous on ont or ou par pas peu peut
    plus pour qu que quel quelle quelles quels qui s sa sans se ses si son sont sous sur ta
    te tes toi ton tous tout toute toutes tres tu un une unes uns vers via vos votre vous y
    afin ainsi alors aussi autre autres avant apres bien car cette ici la lors puis quand
    sera seront soit tant deja encore
    """.split()
)

_STEMMER = Stemmer.Stemmer("french")


def _strip_marks(ch: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))


class _Marks(dict[int, str]):
    """``str.translate`` table: a character -> :func:`_strip_marks` of it, filled as
    characters are met. Stripping a string is stripping each of its characters: NFKD
    decomposes each character on its own and only reorders combining marks, which are then
    dropped, so one table lookup per character gives what normalizing the whole string did."""

    def __missing__(self, code: int) -> str:
        value = self[code] = _strip_marks(chr(code))
        return value


# The accented letters of French and its neighbours (Latin-1 + Latin Ext-A) from the start.
_MARKS = _Marks({c: _strip_marks(chr(c)) for c in range(0xC0, 0x180)})


def fold(s: str) -> str:
    """Lower-case, accent-free form of ``s`` (``"Fête à l’École"`` -> ``"fete a l'ecole"``)."""
    if s.isascii():  # _PRE maps only non-ASCII characters
        return s.lower()
    s = s.translate(_PRE).lower()
    if s.isascii():
        return s
    return s.translate(_MARKS)


def tokens(s: str) -> list[str]:
    """Folded words of ``s`` without stop words (order kept, duplicates kept)."""
    return [w for w in _WORD.findall(fold(s)) if w not in STOP_WORDS]


# Words the Snowball stemmer merges with unrelated ones ("tennis" and "tenir" -> "ten").
_KEEP = {"tennis": "tennis"}


def stem_word(word: str) -> str:
    """The stem of one already folded word. A number is its own stem (Snowball leaves
    digits alone), and stays out of the memo: the dates, times, prices and numbered titles
    of a stream of events are mostly new numbers, which pushed the words out of it."""
    return word if word.isdigit() else _stem_word(word)


@lru_cache(maxsize=65536)
def _stem_word(word: str) -> str:
    return _KEEP.get(word) or str(_STEMMER.stemWord(word))


def stems(s: str) -> list[str]:
    """Stems of :func:`tokens` of ``s`` (order kept, duplicates kept)."""
    return [stem_word(w) for w in tokens(s)]


@lru_cache(maxsize=8192)
def stem_line(s: str) -> str:
    """:func:`stems` of ``s`` joined by spaces, remembered: the store indexes a title's stems
    and the dedup compares the same stems, read once for both."""
    return " ".join(stems(s))


def slug(s: str) -> str:
    """Folded words joined by ``-`` (``"Repair Café"`` -> ``"repair-cafe"``)."""
    return "-".join(_WORD.findall(fold(s)))
