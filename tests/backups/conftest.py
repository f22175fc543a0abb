"""The migrated databases of tests/retention, for backups and drills on both kinds."""

from tests.retention.conftest import database_url, store

__all__ = ["database_url", "store"]
