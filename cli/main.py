"""The ``actionkit`` application: the root command, its global options, and the command modules.

Each command module has a ``register(app)`` that adds its commands; adding a module is one
line in :data:`COMMAND_MODULES`. Commands only parse arguments and call the library.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Annotated

import typer

from actionkit.cli import demo, errors, evaluate, export, fuse, import_cmd, prepare, report, stores, train
from actionkit.cli.commands import new_app

#: The command modules, in the order their commands are listed by ``actionkit --help``.
COMMAND_MODULES = (prepare, import_cmd, stores, train, evaluate, fuse, report, export, demo)

app = new_app("Raw action-recognition downloads -> canonical Zarr stores -> trained, evaluated models.",
              add_completion=True)


def _version(value: bool) -> None:
    if value:
        from actionkit import __version__

        typer.echo(f"actionkit {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show the traceback of a failure (also: ACTIONKIT_DEBUG=1).")
                     ] = False,
) -> None:
    """Raw action-recognition downloads -> canonical Zarr stores -> trained, evaluated models."""
    errors.debug = debug


for _module in COMMAND_MODULES:
    _module.register(app)


def main(argv: Sequence[str] | None = None) -> None:
    """The ``actionkit`` script: run the application, exit with its status."""
    sys.exit(errors.run(app, argv))


if __name__ == "__main__":
    main()
