"""Terminal-facing pieces: the console, prompts and pure render functions (rich, questionary)."""
