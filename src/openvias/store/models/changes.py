"""The change counter: one row whose ``version`` grows with every committed write to a table
that cached reads depend on (every table but ``store.db.UNANNOUNCED_TABLES``).

On SQLite, triggers on those tables bump it (``store/change_triggers.py``, migration 0007),
so the read cache of ``api/fast_reads.py`` stays warm while the engine writes leases,
checkpoints and alarms, and still hears of every relevant write, whichever process or tool
made it. PostgreSQL announces the same writes with ``NOTIFY`` instead (``store/db.py``); the
table exists there too, unused, so both schemas are the same.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Integer
from sqlalchemy.orm import Mapped, mapped_column

from openvias.store.base import Base


class ChangeCounter(Base):
    __tablename__ = "change_counter"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger)
