"""The hidden checks of the assignments (instructors only)."""

from .ex08 import *  # noqa: F403 - temporary, until the trusted checks land
from .ex08 import __all__  # noqa: F401
