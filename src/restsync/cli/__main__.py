"""``python -m restsync.cli``: the same as the ``restsync`` command."""

from restsync.cli.app import main

main()
