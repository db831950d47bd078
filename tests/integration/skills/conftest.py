"""The site, its NATS and the browser-like client of the accounts tests."""

from tests.integration.accounts.conftest import Browser, Site, browser, site  # noqa: F401
