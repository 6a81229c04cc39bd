"""The ``pmkb`` command: one module per subcommand, each a thin click command over the core.

Subcommands are found through :data:`COMMANDS` and imported only when click asks for them
(click's documented lazy group), and each command module imports the heavy libraries inside
its function, so ``pmkb --help`` loads click and little else. What commands share (the KB,
exit codes, safe output) is in :mod:`._common`.
"""

from __future__ import annotations

import errno
import importlib
import os
import sys
from pathlib import Path
from typing import Any

import click

from ._common import EXIT_INTERNAL, EXIT_PROBLEMS, KB_HELP, LENIENT_HELP, Context, clean

# name -> "module:attribute", in the order `pmkb --help` lists them.
COMMANDS = {
    "init": "init:init",
    "new": "new:new",
    "validate": "validate:validate",
    "build": "build:build",
    "serve": "serve:serve",
    "search": "search:search",
    "similar": "similar:similar",
    "stats": "stats:stats",
    "export": "export:export",
    "import": "import_:import_command",
    "index": "index:index_command",
    "schema": "schema:schema",
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use; unexpected failures are one line.

    Any exception a command does not turn into a message becomes one line and exit code 3
    (``PMKB_DEBUG=1`` shows the traceback); an operating-system error (a read-only or full
    folder, a symlink loop, a name too long) is one line naming the file, exit 1.
    """

    def __init__(self, *args: Any, lazy_subcommands: dict[str, str] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.lazy_subcommands = lazy_subcommands or {}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*super().list_commands(ctx), *self.lazy_subcommands]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy_subcommands:
            return self._lazy_load(cmd_name)
        return super().get_command(ctx, cmd_name)

    def _lazy_load(self, cmd_name: str) -> click.Command:
        module_name, attribute = self.lazy_subcommands[cmd_name].split(":")
        module = importlib.import_module(f"{__name__}.{module_name}")
        command = getattr(module, attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{module_name}:{attribute} is not a click command")
        return command

    def invoke(self, ctx: click.Context) -> Any:
        from ..problems import PostmortemError, format_problems

        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit):
            raise
        except PostmortemError as exc:
            click.echo(format_problems(exc.problems), err=True)
            sys.exit(EXIT_PROBLEMS)
        except KeyboardInterrupt:
            click.echo("pmkb: interrupted", err=True)
            sys.exit(130)
        except OSError as exc:
            if os.environ.get("PMKB_DEBUG"):
                raise
            click.echo(f"pmkb: {describe_os_error(exc)}", err=True)
            sys.exit(EXIT_PROBLEMS)
        except Exception as exc:  # the one place that must catch everything
            if os.environ.get("PMKB_DEBUG"):
                raise
            click.echo(f"pmkb: internal error: {type(exc).__name__}: {clean(exc)} "
                       "(set PMKB_DEBUG=1 for the traceback, and please report it)", err=True)
            sys.exit(EXIT_INTERNAL)


_OS_HINTS = {
    errno.EROFS: "the folder is read-only; choose another output folder",
    errno.EACCES: "no permission; choose another folder or fix its permissions",
    errno.EPERM: "not permitted; choose another folder or fix its permissions",
    errno.ENOSPC: "the disk is full; free some space and run it again",
    errno.EDQUOT: "the disk quota is exceeded; free some space and run it again",
    errno.ELOOP: "a symbolic link points back into itself; remove or fix the link",
    errno.ENAMETOOLONG: "a file name is too long",
}


def describe_os_error(exc: OSError) -> str:
    """One line: which file, what the system said, and what to do."""
    where = f"{clean(exc.filename)}: " if exc.filename else ""
    what = clean(exc.strerror or exc)
    hint = _OS_HINTS.get(exc.errno or 0)
    return f"{where}{what}" + (f" ({hint})" if hint else "")


@click.group(cls=LazyGroup, lazy_subcommands=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]},
             epilog="Every command also takes --kb and --lenient after its name. "
                    "`pmkb COMMAND --help` shows examples.")
@click.option("--kb", "kb_root", type=click.Path(exists=True, file_okay=False, path_type=Path), help=KB_HELP)
@click.option("--lenient", is_flag=True, help=LENIENT_HELP)
@click.version_option(package_name="postmortem-kb")
@click.pass_context
def cli(ctx: click.Context, kb_root: Path | None, lenient: bool) -> None:
    """Write, check, import and search incident postmortems."""
    ctx.obj = Context(kb_root, lenient)


def main() -> None:
    cli(prog_name="pmkb")
