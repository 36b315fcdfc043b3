"""The app under test, and its clients."""

import threading
from contextlib import contextmanager

from jinja2 import BytecodeCache
from werkzeug.serving import make_server

from stockapp import create_app

# Every user the tests make has this password.
PASSWORD = "correct horse"


class CompiledTemplates(BytecodeCache):
    """The templates compiled once per test process rather than once per app: a worker
    keeps an app per database and configuration (the ``app`` fixture), and tests build
    more of their own; compiling the pages again for each was a fifth of a web test's
    time. Jinja keys each template by its name and a checksum of its source."""

    def __init__(self):
        self.compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket) -> None:
        if bucket.key in self.compiled:
            bucket.bytecode_from_string(self.compiled[bucket.key])

    def dump_bytecode(self, bucket) -> None:
        self.compiled[bucket.key] = bucket.bytecode_to_string()


TEMPLATES = CompiledTemplates()


def make_app(database_url: str, **config):
    """An app for tests on ``database_url``: CSRF off, cheap password hashes."""
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 24, "max_overflow": 8},
            "WTF_CSRF_ENABLED": False,
            # scrypt costs ~0.2 s a hash; tokens, not passwords, are what most tests need.
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
            **config,
        }
    )
    app.jinja_env.bytecode_cache = TEMPLATES
    return app


def english_client(app):
    """A test client whose browser asks for English, unless a request sends its own header."""
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@contextmanager
def serving(app):
    """The app in a threaded werkzeug server on a free port; yields the port."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="api-server", daemon=True)
    thread.start()
    try:
        yield server.server_port
    finally:
        server.shutdown()
        thread.join(timeout=30)
        server.server_close()
