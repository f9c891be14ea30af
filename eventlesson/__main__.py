"""`python -m eventlesson` runs the same CLI as the `eventlesson` script."""

from eventlesson.cli import main

main()
