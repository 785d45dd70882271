"""The SRDI scoring service's shared core (:mod:`srdi.core`) and command line (:mod:`srdi.cli`).

Layers, bottom up: ``features`` → ``srdi.core`` → ``training`` | ``serving`` → ``srdi.cli``
(``docs/architecture.md``; ``make lint`` checks them).
"""

__all__: list[str] = []
