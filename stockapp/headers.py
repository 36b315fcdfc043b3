"""Security headers on every answer: a strict Content-Security-Policy (no inline script
or style, nothing from elsewhere, never framed), no MIME sniffing, and referrers kept
to this site. The pages need nothing more: htmx and app.js are files under /static,
and htmx is told not to inject its indicator style (``htmx-config`` in base.html).
Behind the shop's HTTPS proxy (config ``HTTPS``) browsers are also told to use only
HTTPS for this site from then on (Strict-Transport-Security, for a year)."""

from flask import Flask, current_app

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
HSTS = "max-age=31536000"


def init_app(app: Flask) -> None:
    app.after_request(_secure)


def security_headers(config) -> dict:
    """The headers every answer carries, for the app's configuration."""
    if config["HTTPS"]:
        return {**HEADERS, "Strict-Transport-Security": HSTS}
    return HEADERS


def _secure(response):
    response.headers.update(security_headers(current_app.config))
    return response
