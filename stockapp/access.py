"""Who may read what: one rule per kind of datum, applied alike by the pages
(``web/access.py``'s ``role_required``) and the API (``api/access.py``'s ``requires``).
README.md, "Roles", shows this table; tests/web/test_roles.py checks it route by route.

What each role may *do* (post, approve, cancel) is declared on each action beside it.
"""

from .models import Role


class Reads:
    # Products, sale prices, stock per location, reserved and available.
    STOCK = Role.VIEWER
    # Orders: customers, lines, picked and shipped, the picking list.
    ORDERS = Role.VIEWER
    # One product's movements, with their operators and notes ("why is this number").
    MOVEMENTS = Role.CLERK
    # Every product's movements at once: the stock logs, their filters and exports.
    STOCK_LOG = Role.MANAGER
    # Purchase orders, receipts, unit and cost prices, suppliers and their contacts.
    # Returns to suppliers (退供应商) too: those out of a warehouse the user works in.
    PURCHASING = Role.CLERK
    # Warehouses and their locations, with the stock each holds: only those the user
    # works in (``services.warehouses.allowed_warehouse_ids``).
    # Transfers (调拨) too: those from or to a warehouse the user works in.
    WAREHOUSES = Role.VIEWER
    # Users, their roles and last sign-ins, and the audit trail of every change.
    ACCOUNTS = Role.MANAGER
