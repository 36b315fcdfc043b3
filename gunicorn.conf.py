"""gunicorn's settings for StockApp. gunicorn reads ./gunicorn.conf.py by itself, so
``make run`` and any ``gunicorn app:app`` started here use them; ``make run`` gives the
workers and the address (WORKERS, BIND) on the command line."""

import ipaddress

import gunicorn.http.wsgi

# The Server header names neither the software nor its version (gunicorn writes
# "Server: gunicorn" on every answer, from this module's SERVER, read per response).
gunicorn.http.wsgi.SERVER = "web"

# The app is built once, in the master, before the workers are forked from it: the
# check below sees its configuration, and a broken configuration stops gunicorn at once.
preload_app = True

# A worker silent this long is killed and its request answered 502. gunicorn's 30 s
# would cut the longest request StockApp has, confirming a 5,000-style import, which
# takes about 20 s on PostgreSQL here (`make bench-imports`); its one transaction
# would roll back whole, but the manager would have to confirm again.
timeout = 120

# StockApp does not use gunicorn's control socket (~/.gunicorn/gunicorn.ctl): one way in
# fewer, and several servers run by one user would share its path.
control_socket_disable = True


def when_ready(server) -> None:
    """Warn, once, when gunicorn listens beyond this machine without HTTPS in front,
    or with the HTTPS setting on but reachable without going through the proxy."""
    exposed = [address for address in server.cfg.bind if not is_loopback(address)]
    if not exposed:
        return
    where = ", ".join(exposed)
    if server.app.wsgi().config["HTTPS"]:
        server.log.warning(
            "STOCKAPP_HTTPS is on but StockApp also listens on %s: bind it to 127.0.0.1 "
            "(BIND=127.0.0.1:8000) so that only the HTTPS proxy reaches it; anyone else "
            "could forge the X-Forwarded-For the app now trusts",
            where,
        )
    else:
        server.log.warning(
            "serving plain HTTP on %s: passwords and sessions cross the network readable. "
            "Put HTTPS in front (README: HTTPS on the shop's network; docs/https/)",
            where,
        )


def is_loopback(address: str) -> bool:
    """Whether a gunicorn bind address (``host:port``, ``[::1]:port``, ``unix:…``)
    is reachable from this machine only."""
    if address.startswith(("unix:", "fd://")):
        return True
    host = address.rsplit(":", 1)[0] if ":" in address else address
    host = host.strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
