"""rltui: play, train and compare reinforcement-learning agents in the terminal."""

__version__ = "0.1.0"
