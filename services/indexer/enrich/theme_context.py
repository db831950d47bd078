"""What an event's text says besides its words: places, names, titles of works, fixtures.

The theme lexicon reads words; some words are not about the event's subject:

* **places** (:func:`mask_places`): a venue says where, not what. ``Concert à la cathédrale``
  is culture, not heritage; ``Atelier tricot à la médiathèque`` is not culture; a town whose
  name holds a lexicon word (``Saint-Sulpice-la-Forêt``, ``La Chapelle-des-Fougeretz``,
  ``Château-Gontier``) is not about forests or chapels. Masked: a town-like compound
  (hyphenated with a connector, ``Saint-...``, or capitalized parts) that holds a place word
  of :data:`PLACE_WORDS`; a venue noun of :data:`VENUE_NOUNS` after a locative preposition
  (``à la``, ``au``, ``devant``...); a civic venue followed by its proper name
  (``Médiathèque Lucien-Rose``, ``centre culturel Le Volume``). ``Visite de la cathédrale``
  and ``Portes ouvertes de la mosquée`` keep their subject.
* **names** (:func:`mask_names`): an audience word inside an organisation's name
  (``l'association Jeunes Ambitieux``, ``Familles en Fête``) does not say who the event is
  for; nor does ``Seniors F`` (a team category) say it is for seniors.
* **titles of works** (:func:`split_work_titles`): the quoted title of a show, a play or a
  concert (``Spectacle « Les arbres qui marchent »``) names a work, not the event's
  subject; its words are read as weak evidence. A quoted title after an exhibition, a
  conference, a debate or a film keeps its weight (it says what they are about: ``Exposition
  « Les Bretons et la mer »``).
* **fixtures** (:func:`format_themes`): a title made of two teams and a league code
  (``US Vern – AS Chantepie (R2)``, ``URB 35 vs Caen (NM2)``), a team category
  (``Seniors F``, ``U15``) is a sport fixture even when no sport is named.

All functions take the text as written (case matters for names) and are pure.
"""

from __future__ import annotations

import re
from typing import Any

from shared.text import fold

#: Lexicon words that are also parts of town and place names.
PLACE_WORDS = re.compile(
    r"^(?:chapelles?|for[eê]ts?|ch[aâ]teaux?|[eé]glises?|abbayes?|cath[eé]drales?|jardins?"
    r"|basiliques?|mosqu[eé]es?|temples?|mus[eé]es?)$",
    re.IGNORECASE,
)
_CONNECTORS = frozenset("de des du la le les sur sous en lès les l d aux".split())
_SAINT = frozenset({"saint", "sainte", "st", "ste"})
_COMPOUND = re.compile(r"\b[\w’']+(?:-[\w’']+)+")
_SAINT_NAME = re.compile(
    r"\b(?:Saint|Sainte|St|Ste)[\s-]+[A-ZÀ-Ý][\w’'-]*"
    r"(?:[\s-]+(?:la|le|les|de|des|du|sur|en|d’|d'|l’|l')[\s-]*[A-ZÀ-Ýa-zà-ÿ][\w’'-]*)+"
)
#: Venues that say where an event is when a locative preposition comes before them.
VENUE_NOUNS = (
    r"(?:m[ée]diath[èe]ques?|biblioth[èe]ques?|cath[ée]drale|basilique|[ée]glise|chapelle"
    r"|mosqu[ée]e|synagogue|temple|abbaye|centre culturel|espace culturel|centre social"
    r"|maison de quartier|salle des f[êe]tes|salle polyvalente)"
)
_LOCATIVE_VENUE = re.compile(
    r"(?:\b(?:à|a|au|aux|dans|devant|derrière|pr[èe]s de|face à|en face de|en|sur le parvis de"
    r"|parvis de|parking de|lieu ?:|rdv|rendez-vous)\s+(?:la |le |les |l['’])?)"
    + r"(" + VENUE_NOUNS + r")\b",
    re.IGNORECASE,
)
#: A place's proper name after the kind of place (``ferme de la Harpe``, ``rue de la Chapelle``).
_PLACE_NAME = re.compile(
    r"\b(?i:ferme|rue|salle|parc|quartier|domaine|place|all[ée]e|boulevard|avenue|manoir|moulin"
    r"|square|impasse|chemin|route|lieu-dit|stade|gymnase|complexe|r[ée]sidence|hameau)\s+"
    r"(?:de la |du |des |de l['’]|de |d['’])([A-ZÀ-Ý][\w’'-]*(?:\s+[A-ZÀ-Ý][\w’'-]*)*)"
)
_CIVIC_VENUE_NAMED = re.compile(
    r"\b((?:[Mm][ée]diath[èe]que|[Bb]iblioth[èe]que|[Cc]entre culturel|[Ee]space culturel"
    r"|[Cc]entre social|[Mm]aison de quartier))(?=\s+(?:de |du |des |d['’])?[A-ZÀ-Ý])"
)
_AUDIENCE = r"(?:Jeunes?|Jeunesse|Familles?|Seniors?|Séniors?|Aînés|Parents|Enfants|Ados)"
_ORG_NAME = re.compile(
    r"\b(?i:association|asso|collectif|compagnie|cie|troupe)\s+"
    r"((?:[A-ZÀ-Ý][\w’'-]*(?:\s+(?:de|des|du|en|et|la|le|les|d['’]|l['’]|à|aux|pour))*\s*){1,5})"
)
_AUDIENCE_IN_NAME = re.compile(r"\b" + _AUDIENCE + r"\b")
#: An audience word written as part of a name: after a lower-case word, before a capital.
_NAME_AUDIENCE = re.compile(r"(?<=[a-zà-ÿ’'] )" + _AUDIENCE + r"(?= [A-ZÀ-Ý][a-zà-ÿ])")
_TEAM_CATEGORY = re.compile(
    r"\b(?i:s[ée]niors?|v[ée]t[ée]rans?)\s+(?:[MFAB]|[1-4]|(?i:filles|gar[çc]ons|masculins?"
    r"|f[ée]minines?))\b(?![’'])"
)
_WORK_BEFORE_QUOTE = re.compile(
    r"\b(?:spectacles?|pi[èe]ces?|concerts?|albums?|one-man-show"
    r"|seule?[- ]en[- ]sc[èe]ne|ballets?|op[ée]ras?|com[ée]dies?|cr[ée]ations?)\b"
    r"[^«“\".!?]{0,40}?\s*(?:«\s*|“|\")([^»”\"]{1,80}?)(?:\s*»|”|\")",
    re.IGNORECASE,
)

#: League codes that name a competition on their own (folded text).
_LEAGUE = re.compile(
    r"\b(?:n[1-3][mf]|nm[1-3]|nf[1-3]|pn[mf]|pr[mf]|r[1-4][mf]|rm[1-4]|rf[1-4]|d[1-4][mf]"
    r"|dm[1-4]|df[1-4]|pre-?nationale|pre-?regionale|prenat"
    r"|(?:nationale|national|regionale|regional|departementale|departemental|division) ?[1-4])\b"
)
#: Short codes (``R2``, ``N3``, ``D1``): a league only in a fixture or between brackets.
_SHORT_LEAGUE = re.compile(r"\b[nrd][1-4]\b")
_BRACKETED_SHORT = re.compile(r"[(\[]\s*[nrd][1-4]\s*[)\]]")
_FIXTURE_SPLIT = re.compile(r"\s[-–—]\s|\s(?:vs\.?|VS\.?|contre)\s|\s/\s")
_CLUB = re.compile(
    r"\b(?:FC|US|AS|ES|SC|RC|CS|AC|CA|JA|OC|SO|ASPTT|HBC|HB|BC|BB|VB|VBC|TC|RMHB|TA|AJ"
    r"|Stade|Racing|Olympique|Sporting|Entente)\b"
)
_U_CATEGORY = re.compile(r"\bu ?(?:7|8|9|1\d|2[01])\b")


def _compound_is_place(compound: str) -> bool:
    parts = re.split(r"-", compound)
    if not any(PLACE_WORDS.match(p) for p in parts):
        return False
    folded = [fold(p).strip("'") for p in parts]
    if folded[0] in _SAINT or any(p in _CONNECTORS or p.startswith(("l'", "d'")) for p in folded):
        return True
    capitalized = all(p[:1].isupper() for p in parts)
    return capitalized and not all(PLACE_WORDS.match(p) for p in parts)


# Substrings (of the lower-case text) without which a pattern cannot match: most texts skip
# most patterns for the price of a few substring searches.
_PLACE_HINTS = ("chapel", "forêt", "foret", "château", "chateau", "église", "eglise", "abbaye",
                "cathédr", "cathedr", "jardin", "basiliq", "mosqu", "temple", "musé", "muse")
_VENUE_HINTS = ("médiath", "mediath", "biblioth", "cathédr", "cathedr", "basiliq", "église",
                "eglise", "chapelle", "mosqu", "synago", "temple", "abbaye", "culturel",
                "centre social", "maison de quartier", "salle des f", "salle polyv")
_PLACE_NAME_HINTS = ("ferme", "rue", "salle", "parc", "quartier", "domaine", "place", "allée",
                     "allee", "boulevard", "avenue", "manoir", "moulin", "square", "impasse",
                     "chemin", "route", "lieu-dit", "stade", "gymnase", "complexe", "résidence",
                     "residence", "hameau")
_CIVIC_HINTS = ("médiath", "mediath", "biblioth", "centre culturel", "espace culturel",
                "centre social", "maison de quartier")
_ORG_HINTS = ("asso", "collectif", "compagnie", "cie", "troupe")
_AUDIENCE_HINTS = ("Jeune", "Famille", "Senior", "Sénior", "Aînés", "Parents", "Enfants", "Ados")


def _any(text: str, hints: tuple[str, ...]) -> bool:
    return any(h in text for h in hints)


def _sub_near(
    pattern: re.Pattern[str], repl: Any, text: str, low: str, hints: tuple[str, ...]
) -> str:
    """``pattern.sub(repl, text)``, run only on the stretches of text around the hints.

    The patterns of this module are long alternations, slow to run over a whole
    description; each match holds a hint, so a few words around each hint suffice.
    """
    if len(low) != len(text):  # a character whose lower case is longer: no shortcut
        return pattern.sub(repl, text)
    spans: list[tuple[int, int]] = []
    for hint in hints:
        i = low.find(hint)
        while i >= 0:
            start = low.rfind(" ", 0, max(0, i - 40)) + 1
            end = low.find(" ", min(len(low), i + len(hint) + 80))
            spans.append((start, len(low) if end < 0 else end))
            i = low.find(hint, i + 1)
    if not spans:
        return text
    spans.sort()
    parts: list[str] = []
    done = 0
    start, end = spans[0]
    for a, b in [*spans[1:], (len(text) + 1, len(text) + 1)]:
        if a <= end:
            end = max(end, b)
            continue
        parts += [text[done:start], pattern.sub(repl, text[start:end])]
        done, start, end = end, a, b
    return "".join([*parts, text[done:]])


def _keep_head(m: re.Match[str]) -> str:
    """The match with its first group blanked out."""
    return m.group(0)[: m.start(1) - m.start(0)] + " " + m.group(0)[m.end(1) - m.start(0) :]


def mask_places(text: str) -> str:
    """``text`` with the names of places and the venues it is held in blanked out."""
    if not text:
        return text
    low = text.lower()
    if _any(low, _PLACE_HINTS):
        text = _COMPOUND.sub(lambda m: " " if _compound_is_place(m.group(0)) else m.group(0),
                             text)
        text = _SAINT_NAME.sub(
            lambda m: " " if any(PLACE_WORDS.match(w) for w in re.split(r"[\s-]+", m.group(0)))
            else m.group(0),
            text,
        )
        low = text.lower()
    text = _sub_near(_LOCATIVE_VENUE, _keep_head, text, low, _VENUE_HINTS)
    text = _sub_near(_CIVIC_VENUE_NAMED, " ", text, text.lower(), _CIVIC_HINTS)
    return _sub_near(_PLACE_NAME, _keep_head, text, text.lower(), _PLACE_NAME_HINTS)


def mask_names(text: str) -> str:
    """``text`` without the audience words that are part of a name or of a team category."""
    if not text:
        return text
    if _any(text, _AUDIENCE_HINTS) and not text.isupper():
        low = text.lower()
        if _any(low, _ORG_HINTS):
            text = _ORG_NAME.sub(
                lambda m: m.group(0)[: m.start(1) - m.start(0)]
                + _AUDIENCE_IN_NAME.sub(" ", m.group(1)),
                text,
            )
        text = _NAME_AUDIENCE.sub(" ", text)
    low = text.lower()
    if "nior" in low or "téran" in low or "eteran" in low:
        text = _TEAM_CATEGORY.sub(" équipe ", text)
    return text


def split_work_titles(text: str) -> tuple[str, str]:
    """(``text`` without the quoted titles of works, those titles joined)."""
    if not text or not any(q in text for q in "«“\""):
        return text, ""
    titles: list[str] = []

    def cut(m: re.Match[str]) -> str:
        titles.append(m.group(1))
        return m.group(0)[: m.start(1) - m.start(0)] + " " + m.group(0)[m.end(1) - m.start(0) :]

    return _WORK_BEFORE_QUOTE.sub(cut, text), " . ".join(titles)


def format_themes(title: str) -> list[tuple[str, str]]:
    """(theme, phrase) for a title whose form says its subject: a sports fixture."""
    folded = fold(title)
    found: list[tuple[str, str]] = []
    league = _LEAGUE.search(folded) or _BRACKETED_SHORT.search(folded)
    if league is None and len(_FIXTURE_SPLIT.split(title)) == 2:
        league = _SHORT_LEAGUE.search(folded)
        if league is None and not title.isupper():
            league = _CLUB.search(title)
    if league is not None:
        found.append(("sport", league.group(0).strip("()[] ")))
    team = _TEAM_CATEGORY.search(title) or _U_CATEGORY.search(folded)
    if team is not None and not found:
        found.append(("sport", team.group(0)))
    return found
