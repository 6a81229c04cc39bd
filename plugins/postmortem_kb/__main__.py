"""``python -m postmortem_kb`` runs the ``pmkb`` command."""

from .cli import main

if __name__ == "__main__":
    main()
