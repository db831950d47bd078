from services.harvester.fetch_errors import EXCEPTION_TABLE, STATUS_TABLE
from services.monitor.errors_fr import GENERIC_FR, KIND_FR, error_fr, skip_reason_fr


def test_every_kind_of_the_fetch_error_tables_has_a_french_sentence() -> None:
    kinds = {kind for _, kind in STATUS_TABLE.values()} | {k for _, _, k in EXCEPTION_TABLE}
    kinds |= {"server_error", "robots", "too_large", "refused_address", "scheme", "parse"}
    kinds |= {"not_a_file", "parse_timeout", "parse_memory", "too_many_occurrences"}
    missing = sorted(k for k in kinds if k not in KIND_FR)
    assert missing == []


def test_unlisted_http_4xx_kind_names_its_status() -> None:
    assert "HTTP 418" in error_fr("http_418")


def test_unlisted_http_5xx_kind_reads_as_server_error() -> None:
    assert error_fr("http_502") == KIND_FR["server_error"]


def test_unknown_kind_gives_the_generic_sentence() -> None:
    assert error_fr("martian") == GENERIC_FR
    assert error_fr(None) == GENERIC_FR


def test_no_usable_event_skip_reason_is_glossed_in_french() -> None:
    text = skip_reason_fr("no usable event in the document; the 4 events published before are kept")
    assert text.startswith("Aucun événement utilisable")


def test_unknown_skip_reason_is_shown_as_is() -> None:
    assert skip_reason_fr("VTODO ignored") == "VTODO ignored"


def test_refused_recurrence_skip_reason_is_glossed_in_french() -> None:
    text = skip_reason_fr("recurrence refused: FREQ=YEARLY rule yielding up to 86,400 dates")
    assert text.startswith("Répétition refusée")


def test_event_page_skip_reasons_say_what_happened_to_the_page() -> None:
    base = "no event date: the item's pubDate is a publication date"
    assert "autre site" in skip_reason_fr(f"{base}; its link leads to another site")
    assert "ni d’événement" in skip_reason_fr(f"{base}; its page has no event either (x)")
    assert "pas pu être lue" in skip_reason_fr(f"{base}; its page could not be read (HTTP 404)")
    assert skip_reason_fr(base) == "Événement sans date de début."


def test_outside_the_harvest_window_is_glossed() -> None:
    assert skip_reason_fr("outside the harvest window") == "Événement hors de la période récoltée."
