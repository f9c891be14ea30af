"""One module per command: typer signatures whose bodies import their flows lazily."""
