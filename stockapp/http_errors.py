"""What each HTTP error is called and tells the user, for pages and the API alike."""

from .i18n import lazy_gettext as _l

TITLES = {
    400: _l("Bad request"),
    401: _l("Sign-in required"),
    403: _l("Your role does not allow this"),
    404: _l("Not found"),
    405: _l("Method not allowed"),
    413: _l("Request too large"),
    415: _l("Unsupported media type"),
    429: _l("Too many requests"),
    500: _l("Internal error: nothing was saved"),
}

DETAILS = {
    400: _l("The request could not be understood. Reload the page and try again."),
    401: _l("Please sign in to continue."),
    403: _l("Your role does not allow this."),
    404: _l("This page does not exist."),
    405: _l("This page cannot be used that way."),
    413: _l("What was sent is too large."),
    415: _l("Send the request body as JSON."),
    429: _l("Too many attempts. Wait a moment and try again."),
    500: _l("Something went wrong on our side. Nothing was saved."),
}


def status_of(error) -> int:
    """The status of an HTTPException, an int, or any other exception (500)."""
    if isinstance(error, int):
        return error
    code = getattr(error, "code", None)
    return code if code in TITLES else 500
