"""Logging setup shared by the server and the command line."""

import logging


def configure_logging(level: str = "INFO") -> None:
    """One line per record, with the logger name, to standard error."""
    logging.basicConfig(
        level=level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # Alembic announces every plugin it loads at INFO; only its warnings matter to operators.
    logging.getLogger("alembic").setLevel(logging.WARNING)
