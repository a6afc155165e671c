"""Training: the UI-free Trainer (events out, commands in), the SQLite run store, checkpoints, presets."""
