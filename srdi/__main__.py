"""Allow ``python -m srdi``."""

from srdi.cli import main

main()
