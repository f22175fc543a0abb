"""Why an order needs a person: each reason as a stable code with its English sentence.

Pages turn the code into words in the reader's language (components/words.js, "escalation.*");
the sentence stays in the order's history and the logs, where staff read it as written.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class EscalationCode(StrEnum):
    NO_SERVICE = "no_service"  # nobody offers the service with the certification it needs
    NO_AREA = "no_area"  # nobody offers it in the senior's district
    NO_HOURS = "no_hours"  # nobody there works at that hour
    CAPACITY = "capacity"  # everyone nearby is full
    ALL_DECLINED = "all_declined"  # everyone left declined, aborted or is blocked
    TOO_FAR = "too_far"  # nobody can arrive before the deadline
    NO_ACCEPTANCE = "no_acceptance"  # the offers ran out without a yes
    NOT_ARRIVED = "not_arrived"  # accepted, but the provider missed the deadline
    LATE_ETA = "late_eta"  # accepted, but the estimated arrival is after the deadline


@dataclass(frozen=True, slots=True)
class Escalation:
    code: EscalationCode
    text: str


def no_service(service: str) -> Escalation:
    return Escalation(
        EscalationCode.NO_SERVICE,
        f"no active provider offers {service} with the certification it needs",
    )


def no_area(service: str, district: str) -> Escalation:
    return Escalation(EscalationCode.NO_AREA, f"no provider offers {service} in {district}")


def no_hours(service: str, district: str) -> Escalation:
    return Escalation(
        EscalationCode.NO_HOURS, f"no provider of {service} in {district} works at that hour"
    )


def capacity(service: str) -> Escalation:
    return Escalation(EscalationCode.CAPACITY, f"every provider of {service} nearby is at capacity")


ALL_DECLINED = Escalation(
    EscalationCode.ALL_DECLINED, "every eligible provider has declined, aborted or is blocked"
)
TOO_FAR = Escalation(EscalationCode.TOO_FAR, "no eligible provider can arrive before the deadline")
NOT_ARRIVED = Escalation(EscalationCode.NOT_ARRIVED, "the provider has not arrived by the deadline")


def no_acceptance(offers: int) -> Escalation:
    return Escalation(EscalationCode.NO_ACCEPTANCE, f"no provider accepted after {offers} offers")


def late_eta(eta_utc: str) -> Escalation:
    return Escalation(
        EscalationCode.LATE_ETA, f"estimated arrival {eta_utc} UTC is after the deadline"
    )
