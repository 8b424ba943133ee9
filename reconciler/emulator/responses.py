"""Responses: the API's JSON answers, and the error handlers that shape every refusal."""

from __future__ import annotations

from typing import cast

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from reconciler.emulator import errors
from reconciler.emulator.errors import Refusal

__all__ = ["ApiJSON", "on_http_exception", "on_refusal"]


class ApiJSON(JSONResponse):
    media_type = "application/json; charset=utf-8"


async def on_refusal(request: Request, exc: Exception) -> Response:
    refusal = cast(Refusal, exc)
    return ApiJSON(refusal.payload(), status_code=refusal.status)


async def on_http_exception(request: Request, exc: Exception) -> Response:
    http = cast(HTTPException, exc)
    code = errors.NOT_FOUND if http.status_code == 404 else errors.INVALID
    message = f"no such endpoint: {request.method} {request.url.path}"
    if http.status_code == 405:
        message = f"method {request.method} is not allowed on {request.url.path}"
    return ApiJSON(
        {"error": {"code": code, "message": message}},
        status_code=http.status_code,
        headers=http.headers,
    )
