"""The FastAPI application: `create_app(settings)`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from pipelines.settings import Settings
from search_service.engine import build_search_engine
from search_service.errors import install_error_handlers
from search_service.routes import router


def create_app(settings: Settings) -> FastAPI:
    """Build the app; the search engine opens at start-up and closes at shutdown."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.engine = build_search_engine(settings)
        try:
            yield
        finally:
            app.state.engine.close()

    app = FastAPI(
        title="Benchlearning-Wissenssuche",
        description="Search the knowledge of the Benchlearning of municipal job centres.",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.settings = settings
    install_error_handlers(app)
    app.include_router(router)
    return app
