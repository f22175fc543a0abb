"""Proof of life for subsidy payments: face enrolment, random liveness challenges, 1:1
verification, certifications, the roster and the payment hold list (docs/liveness.md)."""
