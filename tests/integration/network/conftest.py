"""The site with a real nats-server and its browser-like client, as the accounts tests have
them (the demo associations are created at start)."""

from tests.integration.accounts.conftest import Browser, Site, browser, site  # noqa: F401
