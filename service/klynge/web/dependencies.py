"""What a route is given: the engine and the limits of the app serving the request, and its settings.

``install`` puts them on the app, once, when ``create_app`` makes it; routes declare ``engine: EngineDep`` or
``limits: LimitsDep`` (FastAPI's ``Depends``) and never read ``app.state``, so a test can swap the engine with
``app.dependency_overrides[get_engine]`` without building an app around it.
Helpers that hold only the request (a template filter, the public URL in a link) ask ``settings_of`` or
``engine_of``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, FastAPI, Request

from klynge.engines.base import Engine
from klynge.settings import Limits, Settings


def install(app: FastAPI, engine: Engine, settings: Settings) -> None:
    """Give ``app``'s routes this engine and these settings (the one place that sets the app's state)."""
    app.state.engine = engine
    app.state.settings = settings


def app_engine(app: FastAPI) -> Engine:
    """The engine ``install`` gave ``app``, for what holds the app, not a request (middleware, the OpenAPI
    document)."""
    engine: Engine = app.state.engine
    return engine


def engine_of(request: Request) -> Engine:
    """The engine of the app answering ``request`` (the release switch: ``release=`` is already applied)."""
    return app_engine(request.app)


async def get_engine(request: Request) -> Engine:
    return engine_of(request)


def app_settings(app: FastAPI) -> Settings:
    """The settings ``install`` gave ``app``, for middleware that holds the app, not a request."""
    settings: Settings = app.state.settings
    return settings


def settings_of(request: Request) -> Settings:
    """The settings of the app answering ``request``, for helpers that hold only the request."""
    return app_settings(request.app)


async def get_limits(request: Request) -> Limits:
    """The service's limits (the request-body size is the one routes enforce themselves)."""
    return settings_of(request).limits


# The dependencies are coroutines: FastAPI would run plain functions in a thread, a hop per request for nothing.
EngineDep = Annotated[Engine, Depends(get_engine)]
LimitsDep = Annotated[Limits, Depends(get_limits)]
