"""The association form's checks that imports share (issue 20)."""

import pytest

from services.associations.validate import website_url
from shared.errors import InvalidInput


@pytest.mark.parametrize("raw", ["javascript:alert(1)", "JavaScript:alert(1)",
                                 "data:text/html,x", "mailto:a@b.fr", "https://a b.fr",
                                 "http://[::1"])
def test_only_http_addresses_are_websites(raw: str) -> None:
    with pytest.raises(InvalidInput):
        website_url(raw)


@pytest.mark.parametrize(("raw", "url"), [("www.velo.fr", "https://www.velo.fr"),
                                          ("velo.fr:8080/x", "https://velo.fr:8080/x"),
                                          ("HTTP://velo.fr", "HTTP://velo.fr")])
def test_a_host_without_scheme_becomes_https(raw: str, url: str) -> None:
    assert website_url(raw) == url
