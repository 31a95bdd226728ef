"""Django's Redis cache, keeping its client objects.

Django's `RedisCacheClient.get_client` builds a new `redis.Redis` around the shared
connection pool on every cache call, and `redis.Redis.__init__` fills a table of some
two hundred response callbacks each time: about a tenth of a millisecond per call, and a
signed-in request makes two or three calls (session, rate limit). The client object is
safe to share (the pool hands out connections), so it is built once per pool.
"""

from __future__ import annotations

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class ReusingRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        if len(self._servers) > 1:  # replicas: Django picks one at random per call
            return super().get_client(key, write=write)
        client = self._clients.get(0)
        if client is None:
            pool = self._get_connection_pool(True)
            client = self._clients[0] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient
