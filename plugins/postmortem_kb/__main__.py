"""``python -m postmortem_kb`` runs the ``pmkb`` command."""

from .cli import main

main()
