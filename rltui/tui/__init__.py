"""The Textual app: pick, play, train, runs and compare screens."""
