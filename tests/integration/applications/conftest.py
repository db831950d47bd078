"""The site's fixtures (a real nats-server, the site on loopback, a browser-like client)
are those of the accounts tests."""

from tests.integration.accounts.conftest import browser, site  # noqa: F401
