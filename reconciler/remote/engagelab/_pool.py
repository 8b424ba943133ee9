"""The keep-alive connections of one client, kept in a few small pools instead of one big one.

httpcore's pool re-examines every connection, and counts the idle ones once per
connection (quadratic), each time a request starts and each time one ends; an idle
connection's check also asks the socket whether it is readable. With the 32
connections our default concurrency needs that bookkeeping cost about 2 ms of CPU per
request on a small machine: more than the request itself, enough to cap the client far
below the API's rate. Sixteen pools of two connections do the same work with a small
fraction of the bookkeeping (measured: 3.4 -> 1.4 ms of CPU per request, two cores).

Each request goes to the least busy pool. As the client never has more than
``concurrency`` requests in flight (its semaphore), the least busy pool always has a
free connection: no request ever queues inside httpcore. A pool counts a request as busy
until its body is read, which is also when its connection becomes free again.

Each answer is read whole here, decoded, but never more than ``MAX_ANSWER_BYTES`` of it:
a server that sends gigabytes (or a small gzip that inflates to gigabytes) costs that
much memory, no more, and the request fails with ``AnswerTooLarge``.

Proxies from the environment (HTTPS_PROXY and friends) are httpx's default transport's
business: when one is set, the client uses that transport, unsharded (and unbounded).
"""

from __future__ import annotations

import math
import os

import httpx

from reconciler.limits import MAX_ANSWER_BYTES

#: Connections per pool: small enough for cheap bookkeeping, large enough for few pools.
POOL_SIZE = 2
_PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")


class AnswerTooLarge(Exception):
    """An answer longer than the bound (the session reports it as a MalformedResponse)."""


async def _bounded(request: httpx.Request, response: httpx.Response, limit: int) -> httpx.Response:
    """`response` read whole and decoded, as a new response; AnswerTooLarge past `limit` bytes."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > limit:
            raise AnswerTooLarge(f"the answer is longer than {limit} bytes")
        chunks.append(chunk)
    # Decoded already: the new response must not decode it again.
    headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() != "content-encoding"]
    return httpx.Response(
        response.status_code,
        headers=headers,
        content=b"".join(chunks),
        request=request,
        extensions=response.extensions,
    )


def proxy_configured() -> bool:
    return any(os.environ.get(name) or os.environ.get(name.lower()) for name in _PROXY_VARIABLES)


class ShardedTransport(httpx.AsyncBaseTransport):
    """``ceil(concurrency / POOL_SIZE)`` httpx transports behind one, least busy first."""

    def __init__(self, concurrency: int, max_answer_bytes: int = MAX_ANSWER_BYTES) -> None:
        self._max_answer_bytes = max_answer_bytes
        count = max(1, math.ceil(concurrency / POOL_SIZE))
        size = math.ceil(concurrency / count)
        limits = httpx.Limits(max_connections=size, max_keepalive_connections=size)
        # One TLS context for all: building one loads the CA bundle (tens of ms each).
        tls = httpx.create_ssl_context()
        self._pools = [httpx.AsyncHTTPTransport(verify=tls, limits=limits) for _ in range(count)]
        self._busy = [0] * count

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        index = min(range(len(self._pools)), key=self._busy.__getitem__)
        self._busy[index] += 1
        try:
            response = await self._pools[index].handle_async_request(request)
            try:
                return await _bounded(request, response, self._max_answer_bytes)
            finally:
                await response.aclose()
        finally:
            self._busy[index] -= 1

    async def aclose(self) -> None:
        for pool in self._pools:
            await pool.aclose()
