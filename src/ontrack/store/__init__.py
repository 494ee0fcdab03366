"""The store: plan revisions, baselines and progress in SQLite or PostgreSQL.

Kept light: the CLI imports this for its help text; SQLAlchemy and Alembic load with ``db``.
"""

#: The environment variable that names the store's database.
ENV = "ONTRACK_DB"
