"""The canonical store: schema, streaming writer, reader and verification."""

from actionkit.store.errors import IncompleteStoreError, SchemaVersionError, StoreError, StoreExistsError
from actionkit.store.reader import Store, open_store
from actionkit.store.writer import StoreWriter

__all__ = [
    "IncompleteStoreError",
    "SchemaVersionError",
    "Store",
    "StoreError",
    "StoreExistsError",
    "StoreWriter",
    "open_store",
]
