"""Security headers on every answer: a strict Content-Security-Policy (no inline script
or style, nothing from elsewhere, never framed), no MIME sniffing, and referrers kept
to this site. The pages need nothing more: htmx and app.js are files under /static,
and htmx is told not to inject its indicator style (``htmx-config`` in base.html)."""

from flask import Flask

CSP = "; ".join(
    (
        "default-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def init_app(app: Flask) -> None:
    app.after_request(_secure)


def _secure(response):
    response.headers.update(HEADERS)
    return response
