"""Alembic environment: migrates the engine handed over by newsalert.storage.db.migrate,
or the URL in `sqlalchemy.url` / $NEWSALERT_DB when run through the alembic command."""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import Engine

from newsalert.storage.db import make_engine, managed_by_models
from newsalert.storage.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations() -> None:
    engine: Engine | None = config.attributes.get("engine")
    if engine is None:
        url = config.get_main_option("sqlalchemy.url") or os.environ["NEWSALERT_DB"]
        engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER most things
            include_object=managed_by_models,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations()
