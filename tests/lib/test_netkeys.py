from postgov.lib.netkeys import network_key


def test_an_ipv4_address_is_its_own_key():
    assert network_key("203.0.113.7") == "203.0.113.7"


def test_every_address_of_an_ipv6_64_is_one_client():
    first = network_key("2001:db8:1:2:aaaa:bbbb:cccc:1")
    assert first == "2001:db8:1:2::/64"
    assert network_key("2001:db8:1:2::ffff") == first
    assert network_key("2001:db8:1:3::1") != first


def test_an_ipv4_mapped_address_counts_as_ipv4():
    assert network_key("::ffff:203.0.113.7") == "203.0.113.7"


def test_what_is_not_an_address_is_kept_as_given():
    assert network_key("") == ""
    assert network_key(None) == ""
    assert network_key("unknown") == "unknown"
