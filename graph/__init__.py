"""The domain and its storage: ontology, records, the storage port and its two adapters.

Nothing here imports a web framework; only :mod:`.neo4j_store` imports the Neo4j driver.
"""

from .errors import (
    ConflictError,
    CorruptStoreError,
    GovGraphError,
    NotFoundError,
    Problem,
    StoreUnavailableError,
    ValidationError,
)
from .model import Link, Neighbour, Node, link, node
from .port import GraphStore, WriteBatch, WriteResult

__all__ = [
    "ConflictError",
    "CorruptStoreError",
    "GovGraphError",
    "GraphStore",
    "Link",
    "Neighbour",
    "Node",
    "NotFoundError",
    "Problem",
    "StoreUnavailableError",
    "ValidationError",
    "WriteBatch",
    "WriteResult",
    "link",
    "node",
]
