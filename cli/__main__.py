"""``python -m actionkit.cli`` (what ``torchrun -m actionkit.cli`` runs)."""

from actionkit.cli.main import main

main()
