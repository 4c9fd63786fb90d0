"""Who the client is: the TCP peer, or, behind a trusted reverse proxy
(KOMMUNEBOT_TRUSTED_PROXIES), the address that proxy saw. One rule for the
staff console's login throttling and the chat channels' rate limits."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable


def normalise_address(text: str) -> str:
    """An address in one spelling (IPv6 compressed, IPv4-mapped as IPv4,
    a port or brackets dropped), so two forms of one address are one key;
    text that is no address is returned as it is."""
    text = text.strip()
    candidates = [text, text.strip("[]")]
    if text.startswith("[") and "]:" in text:
        candidates.append(text[1 : text.index("]:")])
    elif text.count(":") == 1:
        candidates.append(text.partition(":")[0])
    for candidate in candidates:
        try:
            address = ipaddress.ip_address(candidate)
        except ValueError:
            continue
        mapped = getattr(address, "ipv4_mapped", None)
        return str(mapped or address)
    return text


def client_address(peer: str, forwarded_for: Iterable[str], trusted_proxies: Iterable[str]) -> str:
    """The nearest address in X-Forwarded-For (all its headers, in order)
    that is not a trusted proxy itself, when the peer is a trusted proxy;
    otherwise the peer. Entries further left are whatever the client sent
    and are never used; garbage where the address should be counts as the
    proxy."""
    trusted = {normalise_address(a) for a in trusted_proxies}
    peer = normalise_address(peer or "")
    if peer not in trusted:
        return peer
    hops = [hop for header in forwarded_for for hop in header.split(",")]
    for hop in reversed(hops):
        address = normalise_address(hop)
        if address not in trusted:
            try:
                return str(ipaddress.ip_address(address))
            except ValueError:
                break
    return peer
