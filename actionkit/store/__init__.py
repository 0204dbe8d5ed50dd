"""The canonical store: schema, streaming writer, reader and verification."""

from actionkit.store.errors import (
    DamagedStoreError,
    IncompleteStoreError,
    SchemaVersionError,
    StoreError,
    StoreExistsError,
    StoreLockedError,
)
from actionkit.store.reader import Store, open_store
from actionkit.store.writer import StoreWriter

__all__ = [
    "DamagedStoreError",
    "IncompleteStoreError",
    "SchemaVersionError",
    "Store",
    "StoreError",
    "StoreExistsError",
    "StoreLockedError",
    "StoreWriter",
    "open_store",
]
