"""Allow ``python -m k2publisher``."""

from k2publisher.cli.main import main

main()
