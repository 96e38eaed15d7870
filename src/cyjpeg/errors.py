"""The exceptions cyjpeg raises for JPEG data, and the warning for damage it conceals.

JpegError is a ValueError so callers that already guard image loading with ``except ValueError`` keep working.
JpegWarning is a UserWarning: decode(strict=None) issues it where libjpeg (and so Pillow) warns and conceals.
"""


class JpegError(ValueError):
    """The data is not a valid JPEG: truncated, corrupt, or out of the limits T.81 sets."""


class UnsupportedJpegError(JpegError):
    """The data is a valid JPEG that uses a feature this version cannot decode (named in the message)."""


class JpegWarning(UserWarning):
    """The data was damaged and decode() concealed it as libjpeg does; the message is the error strict=True
    raises for it."""
