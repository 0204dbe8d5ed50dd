"""Building blocks of the command tree: plain-text help that wraps instead of cutting, groups whose
unknown-name error lists the valid names, help sections (presets, settings), and commands generated
from option specs (one per registry entry).

Help is click's plain formatter (``rich_markup_mode=None``): it wraps every option and default to
the terminal's width, where Rich's panels cut long words with an ellipsis at 80 columns, and it
leaves brackets in help texts alone (Rich reads ``seq[start-1:end]`` as markup).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Annotated, Any

import typer
from typer.core import TyperCommand, TyperGroup

#: Help lines wrap at the terminal's width, up to this many columns.
CONTEXT = {"max_content_width": 120, "help_option_names": ["--help", "-h"]}

#: ``(title, rows of (name, text))``: a help section after the options.
Section = tuple[str, Sequence[tuple[str, str]]]


def new_app(help: str, *, noun: str = "command", cls: type[TyperGroup] | None = None,
            attrs: dict[str, Any] | None = None, **kwargs: Any) -> typer.Typer:
    """A Typer (sub-)application with plain wrapped help and an unknown-name error that lists the names.

    Args:
        help: The group's help.
        noun: What its subcommands are (``method``, ``protocol``), for the unknown-name error.
        cls: The group class (:class:`ChoiceGroup`, or :class:`LazyGroup` with ``attrs``
            ``names`` and ``make``).
        attrs: Class attributes of the group (functions are made static methods).
    """
    extra = {k: staticmethod(v) if callable(v) else v for k, v in (attrs or {}).items()}
    group = type(f"{noun.title()}Group", (cls or ChoiceGroup,), {"noun": noun, **extra})
    settings = dict(help=help, cls=group, rich_markup_mode=None, context_settings=CONTEXT, no_args_is_help=True,
                    add_completion=False, pretty_exceptions_enable=False)
    return typer.Typer(**{**settings, **kwargs})


class ChoiceGroup(TyperGroup):
    """A command group whose error for an unknown subcommand lists the valid ones (``noun``: what they are)."""

    noun = "command"

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        name = args[0] if args else ""
        if name and not name.startswith("-") and self.get_command(ctx, name) is None:
            ctx.fail(f"unknown {self.noun} {name!r}; {self.noun}s: {', '.join(self.list_commands(ctx))}")
        return super().resolve_command(ctx, args)


class LazyGroup(ChoiceGroup):
    """A group whose subcommands are made on first use by ``make(name)`` (for ``names()``).

    ``actionkit train`` builds its method commands from the method registry, which imports
    torch: only commands that need it pay for it (and fail with the extra to install).
    """

    names: Callable[[], list[str]]
    make: Callable[[str], Any]

    def list_commands(self, ctx: Any) -> list[str]:
        names = type(self).names()
        return [*names, *(n for n in super().list_commands(ctx) if n not in names)]

    def get_command(self, ctx: Any, name: str) -> Any:
        if name not in self.commands and name in type(self).names():
            self.commands[name] = type(self).make(name)
        return self.commands.get(name)


class SectionedCommand(TyperCommand):
    """A command whose help ends with extra sections (``sections``, a callable giving them)."""

    sections: Callable[[], list[Section]] = staticmethod(lambda: [])

    def format_epilog(self, ctx: Any, formatter: Any) -> None:
        for title, rows in type(self).sections():
            with formatter.section(title):
                formatter.write_dl(list(rows))
        super().format_epilog(ctx, formatter)


def option(flags: str | Sequence[str], annotation: Any, default: Any = None, help: str = "", **kwargs: Any) -> Any:
    """``Annotated[annotation, typer.Option(...)]`` for a generated command."""
    names = [flags] if isinstance(flags, str) else list(flags)
    return Annotated[annotation, typer.Option(*names, help=help, **kwargs)], default


def build_command(
    name: str,
    body: Callable[..., None],
    params: dict[str, tuple[Any, Any]],
    *,
    help: str,
    short_help: str,
    sections: Callable[[], list[Section]],
) -> Any:
    """A click command named ``name`` with keyword parameters ``params`` (name -> (annotation, default)).

    Typer reads a function's signature; this one is made here, so that each method's command
    has exactly its own options. ``body(**values)`` runs the command.
    """

    def command(**values: Any) -> None:
        body(**values)

    keyword = inspect.Parameter.KEYWORD_ONLY
    sig = [inspect.Parameter(p, keyword, default=d, annotation=a) for p, (a, d) in params.items()]
    command.__signature__ = inspect.Signature(sig)  # type: ignore[attr-defined]
    command.__annotations__ = {p.name: p.annotation for p in sig}
    command.__name__ = name.replace("-", "_")
    cls = type(f"{command.__name__.title()}Command", (SectionedCommand,), {"sections": staticmethod(sections)})
    single = typer.Typer(rich_markup_mode=None, add_completion=False, pretty_exceptions_enable=False)
    single.command(name, cls=cls, help=help, short_help=short_help, context_settings=CONTEXT)(command)
    return typer.main.get_command(single)
