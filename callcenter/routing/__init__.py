"""Routing work to operators: tasks, operator states, rules that widen over time."""
