"""Staffing: how many operators a line needs to keep its answer-time target (Erlang C)."""
