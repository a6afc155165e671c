"""The one exception type a user is meant to read.

Every layer raises :class:`RltuiError` for bad input (unknown env, bad option, wrong checkpoint, corrupt
file). The faces print its message as a single line and exit non-zero; anything else is a bug and may
show a traceback.
"""


class RltuiError(Exception):
    """A user-facing error whose message is one self-contained line."""
