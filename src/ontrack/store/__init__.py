"""The store: plan revisions, baselines and progress in SQLite or PostgreSQL.

Kept light: the application layer re-exports ``ENV`` and ``StoreError`` from here for the CLI's
help text and error handling; SQLAlchemy and Alembic load with ``db``.
"""

#: The environment variable that names the store's database.
ENV = "ONTRACK_DB"


class StoreError(Exception):
    """A store that cannot be used, with a stable code and a hint."""

    def __init__(self, code: str, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.hint = hint
