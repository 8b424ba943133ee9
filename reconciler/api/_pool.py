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

Proxies from the environment (HTTPS_PROXY and friends) are httpx's default transport's
business: when one is set, the client uses that transport, unsharded.
"""

from __future__ import annotations

import math
import os

import httpx

#: Connections per pool: small enough for cheap bookkeeping, large enough for few pools.
POOL_SIZE = 2
_PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")


def proxy_configured() -> bool:
    return any(os.environ.get(name) or os.environ.get(name.lower()) for name in _PROXY_VARIABLES)


class ShardedTransport(httpx.AsyncBaseTransport):
    """``ceil(concurrency / POOL_SIZE)`` httpx transports behind one, least busy first."""

    def __init__(self, concurrency: int) -> None:
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
                await response.aread()
            except BaseException:
                await response.aclose()
                raise
            return response
        finally:
            self._busy[index] -= 1

    async def aclose(self) -> None:
        for pool in self._pools:
            await pool.aclose()
