"""What the citizen pays at the counter, as plain arithmetic (docs/domain.md §2).

The procedure fee of the chosen option (lệ phí, for the agency) + the postage of each leg
the post carries (cước, for the post; the zone is "in" when both ends are in the same
province) + the fee-remittance charge when the post collects the procedure fee for the
agency. An exempt citizen (e.g. a person with revolutionary merit) pays no postal charge;
the procedure fee is the agency's business and stays due.

Everything here is pure: the charges per leg are looked up by the caller (`intake.pricing`)
from the tariff in force, so the rules can be tested from a table.
"""

from __future__ import annotations

from dataclasses import dataclass

IN_PROVINCE, OUT_OF_PROVINCE = "in", "out"

SEND, RECEIVE, BOTH = "send", "receive", "both"
DELIVER, HOLD, AT_AGENCY = "deliver", "hold", "agency"


def zone(from_province_id: int | None, to_province_id: int | None) -> str:
    """In-province when both ends are known and in the same province."""
    if from_province_id is not None and from_province_id == to_province_id:
        return IN_PROVINCE
    return OUT_OF_PROVINCE


def uses_outbound(service_option: str) -> bool:
    return service_option in (SEND, BOTH)


def uses_return(service_option: str, return_method: str) -> bool:
    """The result comes back by post: delivered to an address or held at a post office."""
    return service_option in (RECEIVE, BOTH) and return_method in (DELIVER, HOLD)


@dataclass(frozen=True)
class FeeQuestion:
    service_option: str
    return_method: str
    procedure_fee: int  # the amount of the chosen fee option
    post_collects_fee: bool
    outbound_charge: int  # one-way postage for the outbound leg's zone and weight
    return_charge: int  # one-way postage for the return leg's zone
    remittance_charge: int  # the tariff's fee-remittance charge per dossier
    exempt: bool = False


@dataclass(frozen=True)
class FeeBreakdown:
    procedure_fee: int
    postage_out: int
    postage_back: int
    remittance_fee: int

    @property
    def postal_total(self) -> int:
        return self.postage_out + self.postage_back + self.remittance_fee

    @property
    def total(self) -> int:
        """What the citizen pays at the counter: the procedure fee only when the post
        collects it."""
        return self.procedure_fee + self.postal_total


def compute_fees(q: FeeQuestion) -> FeeBreakdown:
    for name in ("procedure_fee", "outbound_charge", "return_charge", "remittance_charge"):
        if getattr(q, name) < 0:
            raise ValueError(f"{name} must not be negative")
    postage_out = q.outbound_charge if uses_outbound(q.service_option) else 0
    postage_back = q.return_charge if uses_return(q.service_option, q.return_method) else 0
    collects = q.post_collects_fee and q.procedure_fee > 0
    remittance = q.remittance_charge if collects else 0
    if q.exempt:
        postage_out = postage_back = remittance = 0
    return FeeBreakdown(
        procedure_fee=q.procedure_fee if collects else 0,
        postage_out=postage_out,
        postage_back=postage_back,
        remittance_fee=remittance,
    )
