"""Build the configured store from settings: the one place that turns settings into a driver."""

from __future__ import annotations

from ..graph.embedded import EmbeddedStore
from ..graph.port import GraphStore
from ..graph.read_lane import ReadLane
from .settings import Settings


async def open_store(settings: Settings) -> GraphStore:
    """Open the store the settings name; ``await store.close()`` releases it."""
    if settings.store == "embedded":
        lane = ReadLane(settings.embedded_read_threads, settings.embedded_busy_after)
        return EmbeddedStore(settings.data_path, lane=lane)
    from neo4j import AsyncGraphDatabase

    from ..graph.neo4j_store import Neo4jStore

    password = settings.neo4j_password.get_secret_value()
    driver = AsyncGraphDatabase.driver(
        settings.neo4j_uri,
        auth=(settings.neo4j_user, password) if password else None,
        connection_timeout=settings.neo4j_connection_timeout,
        connection_acquisition_timeout=settings.neo4j_connection_timeout * 2,
        max_connection_pool_size=settings.neo4j_max_connections,
        max_transaction_retry_time=settings.neo4j_max_retry_time,
        # the store checks its own queries; planner hints such as "unknown label" are noise
        notifications_min_severity="OFF",
    )
    return Neo4jStore(
        driver,
        settings.neo4j_database,
        query_timeout=settings.neo4j_query_timeout,
        owns_driver=True,
    )
