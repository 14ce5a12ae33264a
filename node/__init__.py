"""SHaRON node: deployment wiring — settings, app factory, CLI, workers, demo."""
