"""The two exceptions cyjpeg raises for JPEG data.

JpegError is a ValueError so callers that already guard image loading with ``except ValueError`` keep working.
"""


class JpegError(ValueError):
    """The data is not a valid JPEG: truncated, corrupt, or out of the limits T.81 sets."""


class UnsupportedJpegError(JpegError):
    """The data is a valid JPEG that uses a feature this version cannot decode (named in the message)."""
