"""Interactive loops: the only place that waits for keys, paces or sleeps."""
