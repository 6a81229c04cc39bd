"""``pmkb serve``: preview the site while writing, a thin wrapper over :mod:`postmortem_kb.publish`."""

from __future__ import annotations

import errno
import socket
from pathlib import Path

import click

from ._common import Context, clean, examples, kb_options, pass_ctx
from ._logs import CONFIG_FILE, engine_logs, site_config


@click.command(epilog=examples("pmkb serve", "pmkb serve --dev-addr 127.0.0.1:8001 --open"))
@click.option("-f", "--config-file", type=CONFIG_FILE, help="The site configuration. Default: the KB's mkdocs.yml.")
@click.option("-a", "--dev-addr", metavar="IP:PORT", help="Where to serve. Default: 127.0.0.1:8000.")
@click.option("--drafts/--no-drafts", default=True, show_default=True, help="Show draft postmortems too.")
@click.option("--open", "open_in_browser", is_flag=True, help="Open the site in a browser.")
@click.option("--no-livereload", is_flag=True, help="Do not rebuild and reload on changes.")
@click.option("-v", "--verbose", is_flag=True, help="Show the site engine's debug messages.")
@click.option("--engine", type=click.Choice(("mkdocs", "properdocs", "zensical")),
              help="The site engine. Default: as for `pmkb build`.")
@kb_options
@pass_ctx
def serve(obj: Context, config_file: Path | None, dev_addr: str | None, drafts: bool, open_in_browser: bool,
          no_livereload: bool, verbose: bool, engine: str | None) -> None:
    """Preview the site while writing: it rebuilds and reloads when a postmortem changes.

    Invalid postmortems are skipped with a warning, so a half-written one does not stop the preview.
    """
    from ..publish import BuildFailed, find_engine, serve_site

    host, port = _address(dev_addr or "127.0.0.1:8000")
    _check_free(host, port)  # before a build, so a busy port is said at once
    try:
        config = site_config(obj, config_file)
        chosen = find_engine(engine, config)
        with engine_logs(verbose, False, chosen.name):
            serve_site(config, dev_addr=dev_addr, drafts=drafts, open_in_browser=open_in_browser,
                       livereload=not no_livereload, engine=chosen)
    except BuildFailed as exc:
        raise click.ClickException(clean(exc)) from None
    except OSError as exc:
        if exc.errno in (errno.EADDRINUSE, errno.EACCES, errno.EADDRNOTAVAIL):
            raise click.ClickException(_busy(host, port, exc)) from None
        raise


def _address(value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise click.BadParameter(f"`{clean(value)}` is not IP:PORT, e.g. 127.0.0.1:8000", param_hint="--dev-addr")
    return host.strip("[]") or "127.0.0.1", int(port)


def _busy(host: str, port: int, exc: OSError) -> str:
    why = "is in use (another `pmkb serve`?)" if exc.errno == errno.EADDRINUSE else f"cannot be used ({exc.strerror})"
    other = port + 1 if port < 65535 else 8000
    return f"port {port} on {clean(host)} {why}; pick another with --dev-addr {clean(host)}:{other}"


def _check_free(host: str, port: int) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server binds it
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES, errno.EADDRNOTAVAIL):
                raise click.ClickException(_busy(host, port, exc)) from None
            raise

