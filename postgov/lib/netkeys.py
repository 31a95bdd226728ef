"""The key a client's address is counted under in rate limits and throttles.

An IPv4 address is one client. An IPv6 client usually holds a whole /64 (one home or
phone gets 2^64 addresses and may rotate through them at will), so every address of a
/64 counts as the same client; counting them one by one would let a single device make
as many guesses as it likes.
"""

from __future__ import annotations

import ipaddress

IPV6_CLIENT_PREFIX = 64


def network_key(address: str | None) -> str:
    """'203.0.113.7' -> '203.0.113.7'; '2001:db8:1:2:aaaa::1' -> '2001:db8:1:2::/64'.
    Anything that is not an address is kept as given (a key, never parsed further)."""
    if not address:
        return ""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, IPV6_CLIENT_PREFIX), strict=False))
    return str(ip)
