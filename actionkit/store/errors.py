"""Exceptions raised by the store layer."""


class StoreError(Exception):
    """A store cannot be read or written as asked; the message names the store and why."""


class StoreExistsError(StoreError):
    """A complete store already exists where a new one would be written."""


class IncompleteStoreError(StoreError):
    """The store was never finished (an interrupted prepare); resume it or pass ``allow_incomplete``."""


class SchemaVersionError(StoreError):
    """The store was written with a schema version this reader does not know."""


class StoreLockedError(StoreError):
    """Another live process is writing the store (its lock file names it)."""


class DamagedStoreError(StoreError):
    """An array of the store is missing a chunk, or a chunk or its metadata was altered."""
