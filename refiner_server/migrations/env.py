"""Alembic environment: the schema is `refiner_server.db.metadata`.

`db.migrate` hands in its connection (already in a locked transaction); the `alembic`
command line names the database with `-x db=URL`.
"""

from alembic import context
from sqlalchemy.engine import Connection

from refiner_server.db import make_engine, metadata

config = context.config


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run_on(connection)
        return
    url = context.get_x_argument(as_dictionary=True).get("db")
    if not url:
        raise SystemExit("name the database: alembic ... -x db=URL")
    engine = make_engine(url)
    with engine.begin() as conn:
        _run_on(conn)
    engine.dispose()


def _run_on(connection: Connection) -> None:
    # batch mode: SQLite changes most table shapes by copying the table
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=True,
        # `migrate(engine, progress=...)`: called after each revision (the CLI's progress bar)
        on_version_apply=config.attributes.get("on_version_apply", ()),
    )
    with context.begin_transaction():
        context.run_migrations()


run()
