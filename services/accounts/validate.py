"""Checks of what people send to accounts, with French messages (:class:`InvalidInput`)."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email

from shared.errors import InvalidInput

MAX_EMAIL = 254
MAX_NAME = 80


def email_address(raw: object, field: str = "email", *, demo: bool = False) -> str:
    """A syntactically valid address, normalized (domain lower-cased, then all of it: the
    local part is case-insensitive at every provider people use, and one person must not
    get two accounts by typing a capital). ``demo`` accepts the reserved ``.test`` domains
    of the demo associations."""
    text = raw.strip() if isinstance(raw, str) else ""
    if not text:
        raise InvalidInput({field: "Indiquez votre adresse électronique."})
    if len(text) > MAX_EMAIL:
        raise InvalidInput({field: "Cette adresse est trop longue."})
    try:
        valid = validate_email(text, check_deliverability=False, test_environment=demo)
    except EmailNotValidError:
        raise InvalidInput({field: "Cette adresse électronique n’est pas valide "
                                   "(exemple : prenom.nom@exemple.fr)."}) from None
    return str(valid.normalized).lower()


def display_name(raw: object, field: str = "name") -> str:
    text = " ".join(raw.split()) if isinstance(raw, str) else ""
    if len(text) > MAX_NAME:
        raise InvalidInput({field: f"Le nom doit faire au plus {MAX_NAME} caractères."})
    if any(ord(c) < 32 for c in text):
        raise InvalidInput({field: "Le nom contient des caractères non autorisés."})
    return text


def local_path(raw: object) -> str:
    """Where to go after signing in: a path of this site only (no open redirect)."""
    text = raw if isinstance(raw, str) else ""
    if (not text.startswith("/") or text.startswith("//") or "\\" in text
            or any(ord(c) < 33 for c in text) or len(text) > 500):
        return "/compte"
    return text
