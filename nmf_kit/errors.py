"""The one exception type for mistakes a user can fix."""


class KitError(Exception):
    """Something the instructor can fix: what is wrong and what to do, in a line or two.

    ``nmf-kit`` prints it without a traceback and exits with ``status`` (2 by
    default: a usage or set-up problem, as argparse does).
    """

    def __init__(self, message, *, status=2):
        super().__init__(message)
        self.status = status
