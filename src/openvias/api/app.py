"""The application factory."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from fastapi import FastAPI

from openvias import __version__
from openvias.api.admission import LargeBodyAdmission
from openvias.api.console import install_console
from openvias.api.fast_reads import FastReads
from openvias.api.handlers import install_error_handlers
from openvias.api.middleware import CatchAll, RequestGuard
from openvias.api.openapi import install_openapi
from openvias.api.request_ids import RequestIds
from openvias.api.routers import (
    algorithms,
    batch_tasks,
    deliveries,
    docs,
    edge_pools,
    evaluations,
    events,
    health,
    identity,
    overview,
    streams,
    tasks,
    templates,
    vas,
    video_groups,
    video_sources,
    workers,
)
from openvias.api.state import AppState, BackgroundFactory, TokenCache
from openvias.api.token_coherence import TokenCoherence, open_identity_changes
from openvias.errors import Conflict
from openvias.services.access_keys import prepare_secret_box
from openvias.services.bootstrap import bootstrap_if_empty
from openvias.services.login_guard import LoginGuard
from openvias.services.snapshots import SnapshotTaker
from openvias.settings import Settings
from openvias.store.db import create_engine, create_sessionmaker, transaction
from openvias.store.direct import open_direct_reads

log = logging.getLogger(__name__)


def _announce_initial_credentials(settings: Settings) -> None:
    """First start only: where the admin's generated password is (never the password)."""
    path = (settings.data_dir / "initial-credentials.json").resolve()
    log.info(
        "first start: %s holds the project id and the password of user admin "
        "(domain openvias, project default); see the README's quick start for a token",
        path,
    )


def create_app(
    settings: Settings | None = None, background: Sequence[BackgroundFactory] = ()
) -> FastAPI:
    """The API; ``background`` services (the embedded engine) run beside it."""
    settings = settings or Settings()
    engine = create_engine(settings.resolved_database_url)
    state = AppState(
        settings=settings,
        engine=engine,
        sessionmaker=create_sessionmaker(engine),
        token_cache=TokenCache(ttl=settings.auth_cache_seconds),
        login_guard=LoginGuard(settings),
        snapshots=SnapshotTaker(settings),
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        try:
            async with transaction(state.sessionmaker) as session:
                created = await bootstrap_if_empty(
                    session, settings.admin_password, settings.data_dir
                )
            if created and settings.admin_password is None:
                _announce_initial_credentials(settings)
        except Conflict:
            log.info("bootstrap identity was created by another process")
        async with transaction(state.sessionmaker) as session:
            state.secret_box = await prepare_secret_box(session, settings)
        try:
            state.direct = await open_direct_reads(engine)
        except Exception:
            log.exception("direct reads are off: every read takes the routed path")
        state.identity_changes = await open_identity_changes(engine, state.token_cache)
        services = [factory(state) for factory in background]
        running = [asyncio.create_task(service.run()) for service in services]
        try:
            yield
        finally:
            for service in services:
                await service.shutdown()
            for task in running:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            if state.direct is not None:
                await state.direct.close()
            if state.identity_changes is not None:
                await state.identity_changes.close()
            state.login_guard.close()
            await engine.dispose()

    app = FastAPI(
        title="openvias",
        version=__version__,
        summary="Video intelligent analysis, wire-compatible with Huawei Cloud VIAS v2.",
        lifespan=lifespan,
        docs_url=None,  # routers.docs serves /docs and /redoc from local files
        redoc_url=None,
    )
    app.state.openvias = state
    install_error_handlers(app)
    for module in (
        health,
        docs,
        identity,
        video_sources,
        video_groups,
        tasks,
        streams,
        batch_tasks,
        templates,
        events,
        deliveries,
        overview,
        algorithms,
        vas,
        edge_pools,
        workers,
        evaluations,
    ):
        app.include_router(module.router)
    install_console(app)
    install_openapi(app)
    app.add_middleware(FastReads, state=state)  # inside the guards, before routing
    app.add_middleware(TokenCoherence, state=state)  # before anything trusts the token cache
    app.add_middleware(
        RequestGuard,
        max_body_bytes=settings.max_body_bytes,
        max_batch_body_bytes=settings.max_batch_body_bytes,
        admit_large_body=LargeBodyAdmission(state),
    )
    app.add_middleware(CatchAll)
    app.add_middleware(RequestIds)  # added last: the outermost, so every log line has it
    return app
