"""Apply Alembic migrations programmatically (``openvias migrate`` and ``serve``)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

# Alembic logs at INFO each of its plugins as it is imported, then its dialect and every step
# on each run; upgrade_to_head logs one line saying what changed instead. Its warnings show.
logging.getLogger("alembic").setLevel(logging.WARNING)

from alembic import command  # noqa: E402
from alembic.config import Config  # noqa: E402
from alembic.runtime.migration import MigrationContext  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlalchemy.engine import Connection  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncEngine  # noqa: E402

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
#: PostgreSQL advisory lock key held while migrating: API replicas and workers that start
#: together on an unmigrated database migrate one after the other, never at once.
MIGRATION_LOCK_KEY = 0x6F76_6D69  # "ovmi"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Migration:
    """The database's revision before and after an upgrade (``None``: an empty database)."""

    before: str | None
    after: str | None

    def describe(self) -> str:
        if self.before == self.after:
            return f"database at revision {self.after}"
        if self.before is None:
            return f"database created at revision {self.after}"
        return f"database migrated from revision {self.before} to {self.after}"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


async def upgrade_to_head(engine: AsyncEngine) -> Migration:
    """Upgrades to the newest revision and logs one line saying what it did."""
    config = alembic_config(engine.url.render_as_string(hide_password=False))

    def _upgrade(connection: Connection) -> Migration:
        if connection.dialect.name == "postgresql":
            # Released when this transaction ends, after the upgrade is committed.
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
            )
        before = MigrationContext.configure(connection).get_current_revision()
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
        return Migration(before, MigrationContext.configure(connection).get_current_revision())

    async with engine.begin() as connection:
        migration = await connection.run_sync(_upgrade)
    log.info("%s", migration.describe())
    return migration
