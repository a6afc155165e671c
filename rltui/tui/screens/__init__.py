"""The app's screens: pick, play, train, runs, help, watch."""
