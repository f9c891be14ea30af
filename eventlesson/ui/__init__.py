"""Terminal-facing pieces: pure render functions (`render_*`, `prose`, the palette in `styles`)
and the seam to the real terminal (`console`, `prompts`, `terminal`, `pager`, `screens`)."""
