"""Backups: encrypted, checksummed snapshots of the database with a manifest; restore; drills."""
