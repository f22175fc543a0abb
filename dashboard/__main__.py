"""``python -m dashboard`` is the same as the ``anxin`` command."""

from dashboard.cli import app

app()
