"""Error type shared by every stage: a message that names what and where."""


class TrainingError(Exception):
    """A problem with the caller's input or environment (bad data, missing path, ...).

    CLIs print its message and exit with status 2; anything else is a bug and exits 1.
    """
