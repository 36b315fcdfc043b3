"""Products as managers change them: size groups and colours, a style's details, sizes
added in their order, archiving (refused while stock is held), thresholds; each change
with its audit row."""

from decimal import Decimal

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from stockapp.extensions import db
from stockapp.models import (
    AuditAction,
    AuditEntry,
    AuditSubject,
    Colour,
    SizeGroup,
    Style,
    Variant,
)
from stockapp.services import accounts, catalogue, orders, receiving, size_groups
from stockapp.services.errors import InvalidInput, InvalidTransition, NotFound
from tests.support.db import row_count


@pytest.fixture
def en(ctx):
    with force_locale("en"):
        yield


def audit_rows(subject=None):
    query = select(AuditEntry).order_by(AuditEntry.id)
    if subject is not None:
        query = query.where(AuditEntry.subject == subject)
    return db.session.scalars(query).all()


def style_named(code) -> Style:
    db.session.expire_all()
    return db.session.scalar(select(Style).where(Style.code == code))


# ---------------------------------------------------------------- size groups, colours


def test_the_first_manager_comes_with_the_starting_size_groups(ctx):
    accounts.create_first_manager(username="boss", password="a long pass phrase 7")
    groups = {g.name: g.sizes for g in size_groups.size_groups()}
    assert groups == dict(size_groups.STARTING_SIZE_GROUPS)
    assert groups["36–46"] == [str(n) for n in range(36, 47)]


def test_the_migration_starts_with_the_same_groups():
    from importlib import import_module

    migration = import_module("migrations.versions.0008_audit_sizes_colours")
    assert migration.STARTING_SIZE_GROUPS == size_groups.STARTING_SIZE_GROUPS


def test_a_size_group_is_saved_changed_and_deleted_with_its_audit_rows(en):
    group_id = size_groups.save_group(name="童装", sizes=["90", "100"], actor_id=None)
    size_groups.save_group(name="童装", sizes=["90", "100", "110"], group_id=group_id)
    size_groups.save_group(name="童装", sizes=["90", "100", "110"], group_id=group_id)  # no change
    assert db.session.get(SizeGroup, group_id).sizes == ["90", "100", "110"]
    size_groups.delete_group(group_id)
    rows = audit_rows(AuditSubject.SIZE_GROUP)
    assert [(r.action, r.before, r.after) for r in rows] == [
        (AuditAction.CREATED, None, {"name": "童装", "sizes": ["90", "100"]}),
        (AuditAction.CHANGED, {"sizes": ["90", "100"]}, {"sizes": ["90", "100", "110"]}),
        (AuditAction.DELETED, {"name": "童装", "sizes": ["90", "100", "110"]}, None),
    ]
    assert row_count("size_groups") == 0


@pytest.mark.parametrize(
    ("name", "sizes", "field", "message"),
    [
        ("", ["S"], "name", "Enter a name of at most 40 characters."),
        ("x" * 41, ["S"], "name", "Enter a name of at most 40 characters."),
        ("G", [], "sizes", "Give at least one size."),
        ("G", ["S", "M", "S"], "sizes", "Each size once: S is given twice."),
        ("G", ["x" * 21], "sizes", "A size is at most 20 characters."),
        ("G", [str(n) for n in range(41)], "sizes", "At most 40 sizes in a group."),
        ("S–3XL", ["S"], "name", "A size group of this name exists already."),
    ],
)
def test_a_bad_size_group_is_refused_and_nothing_is_written(en, name, sizes, field, message):
    size_groups.save_group(name="S–3XL", sizes=["S", "M"])
    before = row_count("audit_entries")
    with pytest.raises(InvalidInput) as refused:
        size_groups.save_group(name=name, sizes=sizes)
    assert str(refused.value.errors[field]) == message
    assert row_count("size_groups") == 1 and row_count("audit_entries") == before


def test_colours_are_unique_and_their_code_bounded(en):
    colour_id = size_groups.save_colour(name="黑色", code="01")
    with pytest.raises(InvalidInput) as refused:
        size_groups.save_colour(name="黑色")
    assert str(refused.value.errors["name"]) == "This colour is in the list already."
    with pytest.raises(InvalidInput) as refused:
        size_groups.save_colour(name="白色", code="x" * 17)
    assert "code" in refused.value.errors
    size_groups.save_colour(name="黑色", code="BK", colour_id=colour_id)
    assert db.session.get(Colour, colour_id).code == "BK"
    with pytest.raises(NotFound):
        size_groups.delete_colour(999)
    size_groups.delete_colour(colour_id)
    actions = [r.action for r in audit_rows(AuditSubject.COLOUR)]
    assert actions == [AuditAction.CREATED, AuditAction.CHANGED, AuditAction.DELETED]


def test_split_labels_takes_spaces_commas_and_chinese_commas():
    assert size_groups.split_labels(" S, M，L、XL  2XL ") == ["S", "M", "L", "XL", "2XL"]


# ---------------------------------------------------------------- a style


def test_a_new_style_is_audited_with_its_actor(ctx, make_user):
    boss = make_user()
    catalogue.create_style(
        code="K1",
        name="Coat",
        sizes=["36"],
        colours=["黑色"],
        sale_price=Decimal("9.9"),
        actor_id=boss,
    )
    (row,) = audit_rows(AuditSubject.PRODUCT)
    assert (row.subject, row.subject_key, row.action, row.actor_id) == (
        AuditSubject.PRODUCT,
        "K1",
        AuditAction.CREATED,
        boss,
    )
    assert row.after["sizes"] == ["36"] and row.after["sale_price"] == "9.9"


def test_details_change_and_only_the_changed_fields_are_recorded(en):
    catalogue.create_style(code="K1", name="Coat", sizes=["M"], unit="件")
    catalogue.update_style("K1", name="Wool coat", unit="件", cost_price=Decimal("100.00"))
    catalogue.update_style("K1", name="Wool coat", unit="件", cost_price=Decimal("100.00"))
    style = style_named("K1")
    assert (style.name, style.cost_price) == ("Wool coat", Decimal("100.00"))
    changed = audit_rows()[1:]
    assert len(changed) == 1
    assert changed[0].before == {"name": "Coat", "cost_price": None}
    assert changed[0].after == {"name": "Wool coat", "cost_price": "100.00"}
    with pytest.raises(InvalidInput) as refused:
        catalogue.update_style("K1", name="", category="x" * 61, sale_price=Decimal("-1"))
    assert set(refused.value.errors) == {"name", "category", "sale_price"}
    with pytest.raises(NotFound):
        catalogue.update_style("NOPE", name="x")


@pytest.mark.parametrize(
    ("run", "added", "expected"),
    [
        (["S", "M", "L", "2XL"], ["XL"], ["S", "M", "L", "XL", "2XL"]),
        (["M", "L"], ["S"], ["S", "M", "L"]),
        (["M", "L"], ["3XL", "XL"], ["M", "L", "XL", "3XL"]),
        (["M", "L"], ["均码x"], ["M", "L", "均码x"]),
        (["38", "40"], ["39", "36"], ["36", "38", "39", "40"]),
    ],
)
def test_an_added_size_takes_its_place_in_the_group_order(ctx, run, added, expected):
    with db.session.begin():
        size_groups.add_starting_groups(db.session)
    style_id = catalogue.create_style(code="C1", name="Coat", sizes=run, colours=["Red", "Blue"])
    catalogue.add_variants(style_id, sizes=added)
    style = style_named("C1")
    assert style.sizes == expected
    assert [v.size for v in style.variants if v.colour == "Blue"] == expected
    assert audit_rows()[-1].after == {"sizes": expected}


def test_adding_a_colour_restores_nothing_else(ctx):
    style_id = catalogue.create_style(code="C2", name="Coat", sizes=["M", "L"], colours=["Red"])
    red_l = next(v for v in style_named("C2").variants if v.size == "L")
    catalogue.archive_variant(red_l.id)
    catalogue.add_variants(style_id, colours=["Blue"])
    assert db.session.get(Variant, red_l.id).archived
    with pytest.raises(InvalidInput):
        catalogue.add_variants(style_id)


def test_a_variant_with_stock_or_reservations_is_not_archived_and_says_where(en, make_user):
    clerk = make_user()
    style_id = catalogue.create_style(code="C3", name="Coat", sizes=["M", "L"], colours=["Red"])
    m, el = (v.id for v in style_named("C3").variants)
    receiving.receive(lines=[(m, 5)], operator_id=clerk)
    orders.create(number="SO-1", customer="Shop", lines=[(m, 2)], operator_id=clerk)
    with pytest.raises(InvalidTransition) as refused:
        catalogue.archive_variant(m)
    # The default location by its name, not its code DEFAULT.
    assert str(refused.value.detail) == (
        "Not archived: move, write off or sell the stock first. "
        "C3-Red-M has stock on hand in Default location (5). C3-Red-M has 2 reserved by orders."
    )
    with pytest.raises(InvalidTransition):
        catalogue.archive_style("C3")
    assert not db.session.get(Variant, m).archived and style_named("C3").active
    assert audit_rows(AuditSubject.VARIANT) == []
    catalogue.archive_variant(el)
    assert db.session.get(Variant, el).archived
    assert style_id


def test_a_style_is_archived_and_restored_with_its_variants(ctx):
    catalogue.create_style(code="C4", name="Coat", sizes=["M", "L"])
    catalogue.archive_style("C4")
    style = style_named("C4")
    assert not style.active and all(v.archived for v in style.variants)
    catalogue.restore_style("C4")
    style = style_named("C4")
    assert style.active and not any(v.archived for v in style.variants)
    actions = [r.action for r in audit_rows(AuditSubject.PRODUCT)]
    assert actions == [AuditAction.CREATED, AuditAction.ARCHIVED, AuditAction.RESTORED]


def test_restoring_a_variant_restores_its_archived_style(ctx):
    catalogue.create_style(code="C5", name="Coat", sizes=["M"])
    catalogue.archive_style("C5")
    variant_id = style_named("C5").variants[0].id
    catalogue.restore_variant(variant_id)
    assert style_named("C5").active and not db.session.get(Variant, variant_id).archived
    rows = [(r.subject, r.action) for r in audit_rows()[2:]]
    assert rows == [
        (AuditSubject.VARIANT, AuditAction.RESTORED),
        (AuditSubject.PRODUCT, AuditAction.RESTORED),
    ]


def test_thresholds_are_set_together_with_a_row_per_changed_variant(en):
    catalogue.create_style(code="C6", name="Coat", sizes=["M", "L"])
    m, el = (v.id for v in style_named("C6").variants)
    catalogue.set_thresholds({m: 3, el: None})
    rows = audit_rows(AuditSubject.VARIANT)
    assert [(r.subject_key, r.before, r.after) for r in rows] == [
        ("C6-M", {"low_stock_threshold": None}, {"low_stock_threshold": 3})
    ]
    with pytest.raises(InvalidInput):
        catalogue.set_thresholds({m: 1, el: 10_000_000})
    assert db.session.get(Variant, m).low_stock_threshold == 3


def test_a_barcode_is_changed_unless_another_variant_has_it(en):
    catalogue.create_style(code="C7", name="Coat", sizes=["M", "L"])
    m, el = style_named("C7").variants
    catalogue.set_barcode(m.id, "SUP-0001")
    with pytest.raises(InvalidInput) as refused:
        catalogue.set_barcode(el.id, "SUP-0001")
    assert str(refused.value.errors["barcode"]) == "Barcode SUP-0001 is used by C7-M."
    with pytest.raises(InvalidInput):
        catalogue.set_barcode(el.id, "no spaces")
    assert audit_rows(AuditSubject.VARIANT)[0].after == {"barcode": "SUP-0001"}


def test_barcode_errors_name_each_cell(en, make_style):
    skus = make_style("D1", sizes=("M",))
    used = db.session.get(Variant, skus["D1-Black-M"]).barcode
    errors = catalogue.barcode_errors(
        {("黑", "S"): used, ("黑", "M"): "X!", ("白", "S"): "1234", ("白", "M"): "1234"}
    )
    assert str(errors[("黑", "S")]) == f"Barcode {used} is used by D1-Black-M."
    assert str(errors[("黑", "M")]) == "Barcodes are 4–32 letters, digits or dashes."
    assert str(errors[("白", "M")]) == "Barcode 1234 is given twice."
    assert ("白", "S") not in errors


def test_a_taken_style_code_is_named_before_anything_is_written(en, make_style):
    make_style("D2")
    assert (
        str(catalogue.style_errors("D2", "x", ["M"], [], {})["code"])
        == "Style code D2 already exists."
    )
