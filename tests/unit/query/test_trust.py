"""Which Host and X-Forwarded-For values the query service believes (services/query/trust.py)."""

from __future__ import annotations

import pytest

from services.query.trust import allowed_hosts, client_address, host_allowed, parse_networks

DEFAULT = allowed_hosts("https://agenda.example.org", ())


@pytest.mark.parametrize("host", ["agenda.example.org", "AGENDA.example.org:443",
                                  "agenda.example.org.", "localhost:8080", "127.0.0.1:8080",
                                  "[::1]:8080"])
def test_public_host_and_loopback_names_are_allowed_by_default(host: str) -> None:
    assert host_allowed(host, DEFAULT)


@pytest.mark.parametrize("host", ["evil.example", "agenda.example.org.evil.example",
                                  "evil.example/agenda.example.org", "agenda.example.org@evil",
                                  "agenda.example.org:99999", "agenda.example.org:x", "",
                                  "agenda.example.org evil", "[::2]", "10.0.0.1",
                                  "agenda.exampl\u0435.org"])
def test_other_hosts_and_odd_spellings_are_refused(host: str) -> None:
    assert not host_allowed(host, DEFAULT)


def test_configured_list_replaces_the_default_and_star_allows_any() -> None:
    only = allowed_hosts("https://agenda.example.org", ("Intranet.local",))
    assert host_allowed("intranet.local:8080", only)
    assert not host_allowed("agenda.example.org", only)
    assert host_allowed("anything.example", allowed_hosts("", ("*",)))


PROXIES = parse_networks("10.0.0.0/8, 192.0.2.7")


def test_without_a_trusted_peer_the_header_is_ignored() -> None:
    assert client_address("198.51.100.1", "203.0.113.5", PROXIES) == "198.51.100.1"
    assert client_address("198.51.100.1", "203.0.113.5", ()) == "198.51.100.1"


def test_right_most_untrusted_entry_is_the_client() -> None:
    chain = "1.1.1.1, 203.0.113.5, 192.0.2.7"  # forged, client, first proxy
    assert client_address("10.1.2.3", chain, PROXIES) == "203.0.113.5"


def test_entries_with_ports_and_an_all_trusted_chain() -> None:
    assert client_address("10.1.2.3", "203.0.113.5:5123, 10.0.0.8:80", PROXIES) == "203.0.113.5"
    assert client_address("10.1.2.3", "[2001:db8::1]:443", PROXIES) == "2001:db8::1"
    assert client_address("10.1.2.3", "10.0.0.9, 10.0.0.8", PROXIES) == "10.0.0.9"
    assert client_address("10.1.2.3", "", PROXIES) == "10.1.2.3"


def test_trusting_the_peer_is_one_hop_whatever_its_address() -> None:
    assert client_address("198.51.100.1", "1.1.1.1, 203.0.113.5", (), True) == "203.0.113.5"
