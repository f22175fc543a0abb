"""What can go wrong with a backup or a restore; each message says what to do."""


class BackupError(Exception):
    """A backup could not be made or restored."""


class CorruptBackupError(BackupError):
    """The file is truncated or changed: its checksum does not match."""


class WrongKeyError(BackupError):
    """The file was made with another backup key."""


class NewerSchemaError(BackupError):
    """The backup's schema has revisions this code does not know."""


class TargetNotEmptyError(BackupError):
    """The database restored into already holds tables."""


class OtherDatabaseError(BackupError):
    """A backup of one kind of database restored into another (SQLite into PostgreSQL)."""
