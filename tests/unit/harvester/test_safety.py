"""The SSRF guard: URL checks, address classification, resolution. No real DNS."""

from __future__ import annotations

import pytest

from services.harvester.safety import (
    check_url,
    is_allowed_address,
    is_global_address,
    origin,
    parse_ipv4_host,
    resolve_checked,
)
from shared.errors import FetchRefused, FetchTransient


class FakeResolver:
    """Maps host names to chosen IP strings; unknown names fail like NXDOMAIN."""

    def __init__(self, table: dict[str, list[str]]) -> None:
        self.table = table
        self.asked: list[str] = []

    async def resolve(self, host: str, port: int) -> list[str]:
        self.asked.append(host)
        if host not in self.table:
            raise OSError(f"unknown host {host}")
        return self.table[host]


def refused(url: str, allow_private: bool = False) -> FetchRefused:
    with pytest.raises(FetchRefused) as info:
        check_url(url, allow_private)
    return info.value


# --- addresses ------------------------------------------------------------------------------


def test_public_ipv4_is_global() -> None:
    assert is_global_address("8.8.8.8")


def test_public_ipv6_is_global() -> None:
    assert is_global_address("2606:4700:4700::1111")


def test_loopback_v4_refused() -> None:
    assert not is_global_address("127.0.0.1")


def test_loopback_v4_whole_block_refused() -> None:
    assert not is_global_address("127.255.0.9")


def test_loopback_v6_refused() -> None:
    assert not is_global_address("::1")


def test_private_10_refused() -> None:
    assert not is_global_address("10.0.0.1")


def test_private_172_16_refused() -> None:
    assert not is_global_address("172.16.5.4")


def test_private_192_168_refused() -> None:
    assert not is_global_address("192.168.1.1")


def test_link_local_metadata_address_refused() -> None:
    assert not is_global_address("169.254.169.254")


def test_link_local_v6_refused() -> None:
    assert not is_global_address("fe80::1")


def test_link_local_v6_with_zone_refused() -> None:
    assert not is_global_address("fe80::1%eth0")


def test_cgnat_refused() -> None:
    assert not is_global_address("100.64.0.1")


def test_cgnat_upper_edge_refused() -> None:
    assert not is_global_address("100.127.255.254")


def test_just_outside_cgnat_is_global() -> None:
    assert is_global_address("100.128.0.1")


def test_unique_local_v6_refused() -> None:
    assert not is_global_address("fd12:3456::1")


def test_unique_local_fc_half_refused() -> None:
    assert not is_global_address("fc00::1")


def test_multicast_v4_refused() -> None:
    assert not is_global_address("224.0.0.251")


def test_multicast_v6_refused() -> None:
    assert not is_global_address("ff02::1")


def test_unspecified_v4_refused() -> None:
    assert not is_global_address("0.0.0.0")


def test_unspecified_v6_refused() -> None:
    assert not is_global_address("::")


def test_reserved_class_e_refused() -> None:
    assert not is_global_address("240.0.0.1")


def test_broadcast_refused() -> None:
    assert not is_global_address("255.255.255.255")


def test_documentation_range_refused() -> None:
    assert not is_global_address("203.0.113.7")


def test_benchmark_range_refused() -> None:
    assert not is_global_address("198.18.0.1")


def test_documentation_v6_refused() -> None:
    assert not is_global_address("2001:db8::1")


def test_ipv4_mapped_loopback_refused() -> None:
    assert not is_global_address("::ffff:127.0.0.1")


def test_ipv4_mapped_metadata_refused() -> None:
    assert not is_global_address("::ffff:169.254.169.254")


def test_ipv4_mapped_public_is_global() -> None:
    assert is_global_address("::ffff:8.8.8.8")


def test_ipv4_compatible_deprecated_form_refused() -> None:
    assert not is_global_address("::127.0.0.1")


def test_nat64_embedding_private_refused() -> None:
    assert not is_global_address("64:ff9b::10.0.0.1")


def test_nat64_embedding_loopback_refused() -> None:
    assert not is_global_address("64:ff9b::7f00:1")


def test_nat64_embedding_public_is_global() -> None:
    assert is_global_address("64:ff9b::8.8.8.8")


def test_nat64_local_use_prefix_refused() -> None:
    assert not is_global_address("64:ff9b:1::a00:1")


def test_6to4_embedding_loopback_refused() -> None:
    assert not is_global_address("2002:7f00:1::1")


def test_6to4_embedding_metadata_refused() -> None:
    assert not is_global_address("2002:a9fe:a9fe::1")


def test_6to4_embedding_public_is_global() -> None:
    assert is_global_address("2002:808:808::1")


def test_teredo_client_private_refused() -> None:
    # client 192.168.1.1 is stored inverted: ~0xc0a80101 = 0x3f57fefe
    assert not is_global_address("2001:0:808:808:0:0:3f57:fefe")


def test_teredo_server_private_refused() -> None:
    # server 10.0.0.1 (0a00:0001), client 8.8.8.8 inverted (f7f7:f7f7)
    assert not is_global_address("2001:0:a00:1:0:0:f7f7:f7f7")


def test_teredo_public_ends_is_global() -> None:
    assert is_global_address("2001:0:808:808:0:0:f7f7:f7f7")


def test_allow_private_admits_loopback() -> None:
    assert is_allowed_address("127.0.0.1", allow_private=True)


def test_allow_private_admits_rfc1918() -> None:
    assert is_allowed_address("10.1.2.3", allow_private=True)


def test_allow_private_admits_unique_local_v6() -> None:
    assert is_allowed_address("fd00::1", allow_private=True)


def test_allow_private_admits_mapped_loopback() -> None:
    assert is_allowed_address("::ffff:127.0.0.1", allow_private=True)


def test_allow_private_still_refuses_metadata() -> None:
    assert not is_allowed_address("169.254.169.254", allow_private=True)


def test_allow_private_still_refuses_cgnat() -> None:
    assert not is_allowed_address("100.64.0.1", allow_private=True)


def test_allow_private_still_refuses_multicast() -> None:
    assert not is_allowed_address("224.0.0.1", allow_private=True)


def test_allow_private_still_refuses_unspecified() -> None:
    assert not is_allowed_address("0.0.0.0", allow_private=True)


def test_allow_private_still_refuses_nat64_to_loopback() -> None:
    assert not is_allowed_address("64:ff9b::7f00:1", allow_private=True)


# --- numeric host spellings ----------------------------------------------------------------


def test_decimal_dword_host_is_loopback() -> None:
    assert str(parse_ipv4_host("2130706433")) == "127.0.0.1"


def test_hex_short_host_is_loopback() -> None:
    assert str(parse_ipv4_host("0x7f.1")) == "127.0.0.1"


def test_octal_dword_host_is_loopback() -> None:
    assert str(parse_ipv4_host("017700000001")) == "127.0.0.1"


def test_mixed_octal_hex_dotted_host_is_loopback() -> None:
    assert str(parse_ipv4_host("0177.0x0.0.01")) == "127.0.0.1"


def test_three_part_host_fills_last_16_bits() -> None:
    assert str(parse_ipv4_host("10.1.258")) == "10.1.1.2"


def test_trailing_dot_numeric_host() -> None:
    assert str(parse_ipv4_host("127.0.0.1.")) == "127.0.0.1"


def test_host_name_is_not_numeric() -> None:
    assert parse_ipv4_host("assoc.example") is None


def test_host_ending_in_number_but_invalid_raises() -> None:
    with pytest.raises(ValueError):
        parse_ipv4_host("256.1.1.1")


def test_host_with_five_numeric_parts_raises() -> None:
    with pytest.raises(ValueError):
        parse_ipv4_host("1.2.3.4.5")


# --- URLs ----------------------------------------------------------------------------------


def test_decimal_dword_url_refused() -> None:
    assert refused("http://2130706433/").kind == "refused_address"


def test_hex_url_refused() -> None:
    assert refused("http://0x7f.1/").kind == "refused_address"


def test_octal_url_refused() -> None:
    assert refused("http://017700000001/").kind == "refused_address"


def test_dotted_loopback_url_refused() -> None:
    assert refused("http://127.0.0.1:8080/cal.ics").kind == "refused_address"


def test_zero_host_url_refused() -> None:
    assert refused("http://0/").kind == "refused_address"


def test_bracketed_mapped_v6_url_refused() -> None:
    assert refused("http://[::ffff:127.0.0.1]/").kind == "refused_address"


def test_bracketed_loopback_v6_url_refused() -> None:
    assert refused("http://[::1]/").kind == "refused_address"


def test_metadata_url_refused_even_with_allow_private() -> None:
    assert refused("http://169.254.169.254/latest/", allow_private=True).kind == ("refused_address")


def test_zone_id_url_refused() -> None:
    assert refused("http://[fe80::1%25eth0]/").kind == "refused_address"


def test_numeric_public_url_rewritten_to_dotted() -> None:
    checked = check_url("http://134744072:8080/a?b=1", allow_private=False)
    assert str(checked.url) == "http://8.8.8.8:8080/a?b=1"


def test_numeric_loopback_allowed_with_allow_private_and_rewritten() -> None:
    checked = check_url("http://0x7f.1:8000/x", allow_private=True)
    assert str(checked.url) == "http://127.0.0.1:8000/x"


def test_userinfo_refused() -> None:
    assert refused("http://user:pw@assoc.example/").kind == "refused_url"


def test_userinfo_trick_with_public_looking_name_refused() -> None:
    assert refused("http://assoc.example@127.0.0.1/").kind == "refused_url"


def test_empty_userinfo_refused() -> None:
    assert refused("http://@assoc.example/").kind == "refused_url"


def test_backslash_authority_trick_refused() -> None:
    assert refused("http://evil.example\\@assoc.example/").kind == "refused_url"


def test_space_in_host_refused() -> None:
    assert refused("http://127.0.0.1 /").kind == "refused_url"


def test_percent_encoded_host_refused() -> None:
    assert refused("http://%31%32%37.0.0.1/").kind == "refused_url"


def test_missing_host_refused() -> None:
    assert refused("http:///cal.ics").kind == "refused_url"


def test_ftp_scheme_refused() -> None:
    assert refused("ftp://assoc.example/cal.ics").kind == "scheme"


def test_file_scheme_refused() -> None:
    assert refused("file:///etc/passwd").kind == "scheme"


def test_gopher_scheme_refused() -> None:
    assert refused("gopher://assoc.example:70/").kind == "scheme"


def test_webcal_read_as_https() -> None:
    checked = check_url("webcal://assoc.example/agenda.ics", allow_private=False)
    assert (str(checked.url), checked.port) == ("https://assoc.example/agenda.ics", 443)


def test_webcal_keeps_explicit_port() -> None:
    checked = check_url("webcal://assoc.example:8443/agenda.ics", allow_private=False)
    assert str(checked.url) == "https://assoc.example:8443/agenda.ics"


def test_host_name_passes_without_resolving() -> None:
    checked = check_url("https://Assoc.Example/agenda", allow_private=False)
    assert (checked.host, checked.address) == ("assoc.example", None)


def test_idn_host_is_punycoded() -> None:
    assert check_url("http://été.example/", allow_private=False).host == "xn--t-9fab.example"


# --- resolution ----------------------------------------------------------------------------


async def test_resolution_to_public_address_passes() -> None:
    resolver = FakeResolver({"assoc.example": ["8.8.8.8"]})
    addresses = await resolve_checked(resolver, "assoc.example", 443, allow_private=False)
    assert [str(a) for a in addresses] == ["8.8.8.8"]


async def test_resolution_to_private_address_refused() -> None:
    resolver = FakeResolver({"evil.example": ["10.0.0.1"]})
    with pytest.raises(FetchRefused) as info:
        await resolve_checked(resolver, "evil.example", 80, allow_private=False)
    assert info.value.kind == "refused_address"


async def test_resolution_with_one_bad_answer_among_many_refused() -> None:
    resolver = FakeResolver({"evil.example": ["8.8.8.8", "2606:4700::1", "169.254.169.254"]})
    with pytest.raises(FetchRefused):
        await resolve_checked(resolver, "evil.example", 80, allow_private=False)


async def test_resolution_to_metadata_refused_even_with_allow_private() -> None:
    resolver = FakeResolver({"evil.example": ["169.254.169.254"]})
    with pytest.raises(FetchRefused):
        await resolve_checked(resolver, "evil.example", 80, allow_private=True)


async def test_resolution_to_loopback_allowed_with_allow_private() -> None:
    resolver = FakeResolver({"assoc.example": ["127.0.0.1"]})
    addresses = await resolve_checked(resolver, "assoc.example", 80, allow_private=True)
    assert [str(a) for a in addresses] == ["127.0.0.1"]


async def test_resolution_to_mapped_v6_loopback_refused() -> None:
    resolver = FakeResolver({"evil.example": ["::ffff:127.0.0.1"]})
    with pytest.raises(FetchRefused):
        await resolve_checked(resolver, "evil.example", 80, allow_private=False)


async def test_resolution_failure_is_transient_dns() -> None:
    with pytest.raises(FetchTransient) as info:
        await resolve_checked(FakeResolver({}), "nowhere.example", 80, allow_private=False)
    assert info.value.kind == "dns"


async def test_resolution_with_no_answer_is_transient_dns() -> None:
    resolver = FakeResolver({"empty.example": []})
    with pytest.raises(FetchTransient):
        await resolve_checked(resolver, "empty.example", 80, allow_private=False)


async def test_resolver_returning_garbage_refused() -> None:
    resolver = FakeResolver({"odd.example": ["not-an-ip"]})
    with pytest.raises(FetchRefused):
        await resolve_checked(resolver, "odd.example", 80, allow_private=False)


async def test_numeric_host_reaching_resolver_is_checked_without_dns() -> None:
    resolver = FakeResolver({})
    with pytest.raises(FetchRefused):
        await resolve_checked(resolver, "2130706433", 80, allow_private=False)
    assert resolver.asked == []


# --- origins of links found in documents ----------------------------------------------------


def test_origin_reads_webcal_as_https_and_numeric_hosts_canonically() -> None:
    assert origin("webcal://Assoc.Example/agenda.ics") == ("https", "assoc.example", 443)
    assert origin("https://assoc.example:443/p?page=2") == ("https", "assoc.example", 443)
    assert origin("http://0x7f.1:8080/x") == ("http", "127.0.0.1", 8080)


def test_origin_differs_by_scheme_host_and_port() -> None:
    home = origin("https://assoc.example/events")
    assert origin("http://assoc.example/events") != home
    assert origin("https://assoc.example:8443/events") != home
    assert origin("https://evil.example/events") != home


@pytest.mark.parametrize("url", ["file:///etc/passwd", "javascript:alert(1)", "https://u@h.ex/"])
def test_origin_of_an_unfetchable_url_is_none(url: str) -> None:
    assert origin(url) is None
