"""Entry point: ``flask --app app …`` and ``gunicorn app:app``."""

from stockapp import create_app

app = create_app()
