"""Alembic environment: migrations run on the engine ontrack opened (never from a config file)."""

from __future__ import annotations

from alembic import context

from ontrack.store.tables import Base

engine = context.config.attributes["engine"]
with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters by copying tables
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
