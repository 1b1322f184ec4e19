"""Who runs what when several engines share one database (``docs/design/distributed-engine.md``).

- **Fair share**: a worker claims at most ``ceil(wanted / live workers)`` streams of its
  pool while the other live workers of the pool have free slots; when they have none it
  takes whatever fits its own slots.
- **Handover**: a worker above its fair share by more than one (a new worker joined) gives
  up one stream per heartbeat; it does not take that stream back for two heartbeats.
- **Leader**: at each heartbeat, the engine that wins a transaction-scoped advisory lock
  marks fresh starts nobody can take ``LACK_OF_RESOURCES`` (with why) and makes them
  claimable again once its pool has room; the others skip it for that beat.
"""

from __future__ import annotations

import math

from sqlalchemy.ext.asyncio import AsyncSession

from openvias.store.repositories.workers import (
    PoolLoad,
    is_leader,
    mark_lack_of_resources,
    pool_load,
    pool_names,
    release_lack_of_resources,
)


def fair_share(load: PoolLoad) -> int:
    return math.ceil(load.wanted / max(load.live_workers, 1))


def claim_limit(load: PoolLoad, mine: int, my_free: int) -> int:
    """How many more streams this worker may claim now."""
    others_free = load.free - my_free
    if others_free <= 0:
        return my_free
    return max(min(my_free, fair_share(load) - mine), 0)


def should_hand_over(load: PoolLoad, mine: int, my_free: int) -> bool:
    others_free = load.free - my_free
    return load.live_workers > 1 and others_free > 0 and mine > fair_share(load) + 1


async def lead(session: AsyncSession, now: int, ttl_ms: int) -> bool:
    """The leader's duties for one heartbeat; False when another engine leads it."""
    if not await is_leader(session):
        return False
    for pool in await pool_names(session):
        load = await pool_load(session, pool, now, ttl_ms)
        await release_lack_of_resources(session, pool, load)
        await mark_lack_of_resources(session, pool, now, ttl_ms, load)
    return True
