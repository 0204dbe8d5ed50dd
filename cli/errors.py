"""How the command line ends on a failure: one ``error: ...`` line, exit 1 (2 for usage errors).

A traceback is shown only with ``actionkit --debug ...`` or ``ACTIONKIT_DEBUG=1``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape

from actionkit.extras import PROVIDERS, MissingExtraError, install_hint

#: click's base of usage and parameter errors (vendored by newer Typers, so found through Typer's own export).
ClickException = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")

_stderr = Console(stderr=True)

#: Set by ``actionkit --debug``.
debug = False


def debugging() -> bool:
    return debug or os.environ.get("ACTIONKIT_DEBUG", "").strip().lower() in ("1", "true", "yes")


def missing_extra(exc: ImportError) -> str | None:
    """The line for a missing optional dependency (naming the extra to install), or None for another ImportError."""
    if isinstance(exc, MissingExtraError):
        return str(exc)  # it names the extra already
    name = (exc.name or "").split(".")[0] if isinstance(exc, ModuleNotFoundError) else ""
    if name not in PROVIDERS:
        return None
    extra = PROVIDERS[name][1]
    return f"{name} is not installed: this needs the '{extra}' extra; install it with {install_hint(extra)}"


def say(message: str) -> None:
    """``error: message`` on stderr, one paragraph (a path is never broken across lines)."""
    _stderr.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)


def run(app: typer.Typer, argv: Sequence[str] | None = None) -> int:
    """Run the application; return its exit status after printing at most one error line."""
    try:
        result: Any = app(args=list(argv) if argv is not None else None, prog_name="actionkit",
                          standalone_mode=False)
    except ClickException as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":  # a bare group: its help, as click shows it
            typer.echo(exc.format_message(), err=True)
            return exc.exit_code
        ctx = getattr(exc, "ctx", None)
        hint = f" (see `{ctx.command_path} --help`)" if ctx is not None and exc.exit_code == 2 else ""
        say(exc.format_message() + hint)
        return exc.exit_code
    except (typer.Abort, KeyboardInterrupt):
        say("interrupted")
        return 130
    except ImportError as exc:
        if debugging():
            raise
        message = missing_extra(exc)
        if message is None:
            return _unexpected(exc)
        say(message)
        return 1
    except Exception as exc:  # noqa: BLE001 (the one place that turns any failure into one line)
        if debugging():
            raise
        return _unexpected(exc)
    return result if isinstance(result, int) else 0


def _unexpected(exc: BaseException) -> int:
    say(f"{type(exc).__name__}: {exc} (the traceback: actionkit --debug ..., or ACTIONKIT_DEBUG=1)")
    return 1

