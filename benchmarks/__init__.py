"""Benchmarks that drive the whole system from outside, as its users would."""
