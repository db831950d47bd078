"""The site with its store of record and a browser-like client: the accounts tests' fixtures."""

from tests.integration.accounts.conftest import Browser, Site, browser, site  # noqa: F401
