"""The fee arithmetic, from a table of counter situations."""

from __future__ import annotations

import pytest

from postgov.dossiers.intake.fees import (
    FeeBreakdown,
    FeeQuestion,
    compute_fees,
    uses_outbound,
    uses_return,
    zone,
)

IN, OUT = 26_000, 31_500  # one-way postage ≤ 100 g, in / out of province (domain.md §2)
REMIT = 8_000

# service, return, fee, post collects, out charge, back charge, exempt -> out, back, remit, total
CASES = [
    # both legs, fee collected by the post: everything
    ("both", "deliver", 50_000, True, IN, IN, False, (IN, IN, REMIT, 50_000 + 2 * IN + REMIT)),
    # held at a post office: the post still carries the result
    ("both", "hold", 50_000, True, IN, IN, False, (IN, IN, REMIT, 50_000 + 2 * IN + REMIT)),
    # out-of-province outbound leg, in-province return
    ("both", "deliver", 0, True, OUT, IN, False, (OUT, IN, 0, OUT + IN)),
    # a free procedure: no remittance charge
    ("both", "deliver", 0, True, IN, IN, False, (IN, IN, 0, 2 * IN)),
    # the citizen pays the agency directly: no fee, no remittance at the counter
    ("both", "deliver", 50_000, False, IN, IN, False, (IN, IN, 0, 2 * IN)),
    # send only: the citizen collects the result at the agency
    ("send", "agency", 50_000, True, IN, IN, False, (IN, 0, REMIT, 50_000 + IN + REMIT)),
    # send only, whatever return method was left in the form
    ("send", "deliver", 0, True, IN, IN, False, (IN, 0, 0, IN)),
    # receive only: the result leg
    ("receive", "deliver", 0, True, IN, OUT, False, (0, OUT, 0, OUT)),
    # receive only but collected at the agency: nothing carried
    ("receive", "agency", 0, True, IN, IN, False, (0, 0, 0, 0)),
    # exempt: no postal charge at all, the procedure fee stays due
    ("both", "deliver", 50_000, True, IN, IN, True, (0, 0, 0, 50_000)),
    ("both", "deliver", 0, True, OUT, OUT, True, (0, 0, 0, 0)),
]


@pytest.mark.parametrize(
    "service,return_method,fee,collects,out_charge,back_charge,exempt,expected", CASES
)
def test_fee_table(
    service, return_method, fee, collects, out_charge, back_charge, exempt, expected
):
    result = compute_fees(
        FeeQuestion(
            service_option=service,
            return_method=return_method,
            procedure_fee=fee,
            post_collects_fee=collects,
            outbound_charge=out_charge,
            return_charge=back_charge,
            remittance_charge=REMIT,
            exempt=exempt,
        )
    )
    out, back, remit, total = expected
    assert (result.postage_out, result.postage_back, result.remittance_fee) == (out, back, remit)
    assert result.total == total
    assert result.postal_total == out + back + remit


def test_the_procedure_fee_is_only_counted_when_the_post_collects_it():
    kept = compute_fees(FeeQuestion("both", "deliver", 30_000, False, IN, IN, REMIT))
    assert kept == FeeBreakdown(0, IN, IN, 0)


def test_negative_amounts_are_a_programming_error():
    with pytest.raises(ValueError):
        compute_fees(FeeQuestion("both", "deliver", -1, True, IN, IN, REMIT))


@pytest.mark.parametrize(
    "a,b,expected", [(1, 1, "in"), (1, 2, "out"), (None, 1, "out"), (1, None, "out")]
)
def test_zone(a, b, expected):
    assert zone(a, b) == expected


@pytest.mark.parametrize(
    "service,method,out,back",
    [
        ("send", "deliver", True, False),
        ("receive", "deliver", False, True),
        ("both", "hold", True, True),
        ("both", "agency", True, False),
    ],
)
def test_legs(service, method, out, back):
    assert uses_outbound(service) is out
    assert uses_return(service, method) is back
