"""Search through the trigram indexes: the same rows as a substring match, in step with
every write, ranked exact → prefix → contains; on both databases."""

import random

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from stockapp import queries
from stockapp.database import begin_write
from stockapp.extensions import db
from stockapp.models import SEARCHED, Order, Role, Style, Supplier, search_table
from stockapp.queries import search
from stockapp.queries.pager import Cursor
from stockapp.queries.search import match
from stockapp.services import catalogue, suppliers
from stockapp.services.warehouses import main_warehouse_id
from tests.support.pages import sign_in

PIECES = ["Tee", "TEE", "tee", "Polo", "纯棉", "T恤", "羊毛", "衫", "连衣裙", "纯棉T恤", "A1", "b2"]
# What users type that means something to LIKE or to FTS5: each must match only itself.
ODD = ["%", "_", '"', "*", "\\", "'", ":", "(", "NEAR", "AND", "^", "-"]
QUERIES = [
    *ODD,
    '"*',
    "100%",
    "a_b",
    '"纯棉"',
    "tee*",
    "NOT x",
    "{code}",
    "code:",
    "t",
    "T",
    "纯",
    "棉T",
    "eE",
    "ee ",
    "tEe",
    "e p",
    "纯棉T",
    "棉T恤",
    "A1%",
    "zzz",
    "衫 连衣",
]


def _sample_names(count: int) -> list[tuple[str, str]]:
    """``count`` (code, name) pairs of mixed ASCII and Chinese pieces and odd characters."""
    rng = random.Random(11)
    rows = []
    for n in range(count):
        name = "".join(rng.choice(PIECES + ODD + [" "]) for _ in range(rng.randint(1, 5)))
        code = rng.choice(["A", "a", "S", "%", "_"]) + f"{n:03d}" + rng.choice(["", "-X", "_x"])
        rows.append((code, name))
    return rows


def _ids(condition) -> set[int]:
    return set(db.session.scalars(select(Style.id).where(condition)))


def _fold(text: str) -> str:
    # The samples are ASCII and CJK only: every database folds their case alike.
    return text.lower()


@pytest.fixture
def sample(ctx):
    """About 200 styles, inserted by SQL (so only the triggers can index them)."""
    rows = _sample_names(200)
    db.session.execute(
        sa.insert(Style), [{"code": code, "name": name, "category": ""} for code, name in rows]
    )
    db.session.commit()
    found = db.session.execute(sa.select(Style.id, Style.code, Style.name))
    return {id_: (code, name) for id_, code, name in found}


@pytest.mark.parametrize("ranked_up_to", [search.RANKED_UP_TO, 5], ids=["indexed", "scanned"])
def test_search_finds_what_a_substring_match_finds(sample, monkeypatch, ranked_up_to):
    """Through the index, and (with fewer matches allowed to be ranked) by the scan."""
    monkeypatch.setattr(search, "RANKED_UP_TO", ranked_up_to)
    rng = random.Random(3)
    names = [name for _, name in sample.values()]
    # Substrings of real names, of 1 to 6 characters, in another case now and then.
    taken = []
    for _ in range(60):
        name = rng.choice(names)
        start = rng.randrange(len(name))
        piece = name[start : start + rng.randint(1, 6)]
        taken.append(piece.swapcase() if rng.random() < 0.3 else piece)
    for text in QUERIES + taken:
        expected = {
            id_
            for id_, (code, name) in sample.items()
            if _fold(text) in _fold(code) or _fold(text) in _fold(name)
        }
        assert _ids(match(text, Style.code, Style.name).where) == expected, text
        expected_by_name = {id_ for id_, (_, name) in sample.items() if _fold(text) in _fold(name)}
        assert _ids(match(text, Style.name).where) == expected_by_name, text


def test_chinese_names_are_found_by_any_part(ctx, make_style):
    make_style("A1", name="纯棉T恤")
    make_style("A2", name="羊毛衫")
    for text, codes in {"纯棉T恤": ["A1"], "棉t恤": ["A1"], "纯棉": ["A1"], "衫": ["A2"]}.items():
        assert [row["code"] for row in queries.style_page(search=text).rows] == codes, text


def _index_is_sound() -> None:
    """SQLite: each FTS5 index agrees with its table, row for row."""
    if db.engine.dialect.name == "sqlite":
        for table in SEARCHED:
            index = search_table(table)
            db.session.execute(
                sa.text(f"INSERT INTO {index} ({index}, rank) VALUES ('integrity-check', 1)")
            )


def _codes(text: str) -> list[str]:
    return list(
        db.session.scalars(
            select(Style.code).where(match(text, Style.code, Style.name).where).order_by(Style.code)
        )
    )


def test_the_styles_index_follows_creates_renames_archives_and_deletes(ctx, make_style):
    make_style("KN-7001", name="纯棉T恤", sizes=("S", "M"))
    assert _codes("棉T恤") == ["KN-7001"]
    db.session.execute(sa.text("UPDATE styles SET name = '羊毛开衫' WHERE code = 'KN-7001'"))
    assert _codes("棉T恤") == []
    assert _codes("毛开衫") == ["KN-7001"]
    db.session.execute(sa.text("UPDATE styles SET code = 'WL-8001' WHERE code = 'KN-7001'"))
    assert (_codes("7001"), _codes("wl-8")) == ([], ["WL-8001"])
    # Archiving changes no searched column: still indexed, left out by the list.
    db.session.execute(sa.text("UPDATE styles SET active = false WHERE code = 'WL-8001'"))
    assert _codes("毛开衫") == ["WL-8001"]
    assert queries.style_page(search="毛开衫").rows == []
    db.session.execute(sa.text("UPDATE styles SET active = true WHERE code = 'WL-8001'"))
    assert [row["code"] for row in queries.style_page(search="毛开衫").rows] == ["WL-8001"]
    db.session.commit()
    _index_is_sound()
    db.session.execute(sa.text("DELETE FROM balances"))
    db.session.execute(sa.text("DELETE FROM variants"))
    db.session.execute(sa.text("DELETE FROM styles"))
    assert _codes("毛开衫") == []
    db.session.commit()
    _index_is_sound()


def _found(column, *columns_and_text):
    *columns, text = columns_and_text
    query = select(column).where(match(text, *columns).where).order_by(column)
    return list(db.session.scalars(query))


def test_the_other_indexes_follow_their_tables(ctx, make_style, make_user):
    user = make_user()
    # Archiving a variant changes no searched column; its style is still found.
    catalogue.archive_variant(make_style("B7", name="纯棉T恤", sizes=("M",))["B7-Black-M"])
    assert [row["code"] for row in queries.style_page(search="棉T恤").rows] == ["B7"]
    supplier = suppliers.save(name="杭州纺织厂")
    suppliers.save(name="宁波服装厂", supplier_id=supplier)
    assert _found(Supplier.id, Supplier.name, "纺织厂") == []
    assert _found(Supplier.id, Supplier.name, "波服装") == [supplier]
    db.session.execute(
        sa.text(
            "INSERT INTO orders (number, customer, note, status, created_by, cancel_reason, "
            "created_at, warehouse_id) VALUES ('PH-000042', '王芳', '', 'open', :u, '', "
            "'2026-12-01 09:00', :w)"
        ),
        {"u": user, "w": main_warehouse_id()},
    )
    db.session.execute(sa.text("UPDATE orders SET customer = '李娜', status = 'completed'"))
    columns = (Order.number, Order.customer)
    assert _found(Order.number, *columns, "王芳") == []
    assert _found(Order.number, *columns, "李娜") == ["PH-000042"]
    assert _found(Order.number, *columns, "h-000") == ["PH-000042"]
    db.session.commit()
    _index_is_sound()


@pytest.mark.parametrize("text", ["tee", "TEE", "纯棉衫", "衫"])
def test_the_product_list_puts_exact_then_prefix_then_contains(ctx, make_style, text):
    """Within a rank, by code as usual; an exact SKU or barcode counts as exact. A text
    of one or two characters is not ranked: the list keeps its order."""
    for code, name in [
        ("A1", "Big tee 纯棉衫 cotton"),
        ("A2", "纯棉衫 Tee"),
        ("A3", "tee"),
        ("A4", "a tee"),
        ("A5", "TEE"),
        ("A6", "纯棉衫"),
        ("A7", "Tee shirt"),
        ("TEE", "plain"),
    ]:
        make_style(code, name=name, sizes=("M",))
    make_style("Z9", name="other", sizes=("M",))
    order = [row["code"] for row in queries.style_page(search=text).rows]
    expected = {
        "tee": ["A3", "A5", "TEE", "A7", "A1", "A2", "A4"],
        "TEE": ["A3", "A5", "TEE", "A7", "A1", "A2", "A4"],
        "纯棉衫": ["A6", "A2", "A1"],
        "衫": ["A1", "A2", "A6"],
    }[text]
    assert order == expected
    assert [row["code"] for row in queries.style_page(search="Z9-Black-M").rows] == ["Z9"]


def test_a_search_finding_more_than_can_be_ranked_keeps_the_list_order(
    ctx, make_style, monkeypatch
):
    for code, name in [("A1", "a tee"), ("A2", "tee shirt"), ("A3", "tee")]:
        make_style(code, name=name, sizes=("M",))
    codes = lambda: [row["code"] for row in queries.style_page(search="tee").rows]  # noqa: E731
    assert codes() == ["A3", "A2", "A1"]
    monkeypatch.setattr(search, "RANKED_UP_TO", 2)
    assert codes() == ["A1", "A2", "A3"]


def test_the_order_list_ranks_its_search_then_newest_first(ctx, make_user):
    user = make_user()
    for number, customer in [
        ("PH-1", "李王小芳"),
        ("PH-2", "王小芳"),
        ("PH-3", "王小芳芳"),
        ("PH-4", "王小芳"),
        ("PH-5", "张伟"),
    ]:
        db.session.execute(
            sa.text(
                "INSERT INTO orders (number, customer, note, status, created_by, cancel_reason, "
                "created_at, warehouse_id) VALUES (:n, :c, '', 'open', :u, '', "
                "'2026-12-01 09:00', :w)"
            ),
            {"n": number, "c": customer, "u": user, "w": main_warehouse_id()},
        )
    db.session.commit()

    def numbers(text, **page):
        found = queries.order_list(
            statuses=["open"], search=text, per_page=2, cursor=Cursor(**page)
        )
        return [row["order"].number for row in found.rows], found.has_next

    assert numbers("王小芳") == (["PH-4", "PH-2"], True)
    # Ranked pages are numbered; a cursor from the unsearched list is not applied.
    assert numbers("王小芳", number=2, before=3) == (["PH-3", "PH-1"], False)
    assert numbers("ph-") == (["PH-5", "PH-4"], True)
    assert numbers("小芳", number=2) == (["PH-2", "PH-1"], False)


@pytest.mark.parametrize("text", ['"*', "%", "_", "\\", '纯棉T恤"', "NEAR(a b)", "a:b"])
def test_odd_searches_are_answered_by_every_list(client, make_user, text):
    """What they match is checked above; here no list may fail on them."""
    make_user(Role.MANAGER, username="boss")
    sign_in(client, "boss")
    for path in ("/", "/orders", "/purchase-orders", "/receive", "/logs"):
        assert client.get(path, query_string={"q": text, "state": "all"}).status_code == 200, path


@pytest.mark.parametrize("columns", [(Style.code, Style.name), (Order.customer,), (Supplier.name,)])
def test_a_search_of_three_characters_reads_the_index_not_the_table(ctx, columns):
    table = columns[0].table.name
    query = select(columns[0].table.c.id).where(match("纯棉T", *columns).where)
    compiled = query.compile(db.engine, compile_kwargs={"literal_binds": True})
    if db.engine.dialect.name == "sqlite":
        plan = [row[-1] for row in db.session.execute(sa.text(f"EXPLAIN QUERY PLAN {compiled}"))]
        # The index answers the MATCH; the table is read only at the rows it gives.
        assert any(f"SCAN {search_table(table)} VIRTUAL TABLE INDEX 0:M" in s for s in plan)
        assert f"SEARCH {table} USING INTEGER PRIMARY KEY (rowid=?)" in plan
        assert f"SCAN {table}" not in plan
    else:
        db.session.rollback()
        begin_write()  # SET LOCAL lasts for a transaction; reads run without one
        db.session.execute(sa.text("SET LOCAL enable_seqscan = off"))
        plan = " | ".join(db.session.scalars(sa.text(f"EXPLAIN {compiled}")))
        assert f"Bitmap Index Scan on ix_{table}_{columns[-1].name}_trgm" in plan
