"""Styles and variants: SKUs, barcodes, growing a size run, archiving, thresholds."""

from decimal import Decimal

import pytest
from sqlalchemy import select

from stockapp.extensions import db
from stockapp.models import Style, Variant
from stockapp.services import catalogue
from stockapp.services.errors import InvalidInput, NotFound
from tests.support.db import row_count


def variants_of(style_id):
    return db.session.scalars(
        select(Variant).where(Variant.style_id == style_id).order_by(Variant.id)
    ).all()


def valid_ean13(code: str) -> bool:
    return len(code) == 13 and catalogue.ean13(code[:12]) == code


def test_ean13_check_digit_matches_a_real_barcode():
    # 6901234567892 is a correctly formed EAN-13 (GS1 check digit 2).
    assert catalogue.ean13("690123456789") == "6901234567892"
    with pytest.raises(ValueError):
        catalogue.ean13("12345")


def test_style_gets_one_variant_per_colour_and_size(ctx):
    style_id = catalogue.create_style(
        code="A1024",
        name="纯棉圆领T恤",
        sizes=["S", "M", "L"],
        colours=["黑色", "白色"],
        category="T恤",
        unit="件",
        cost_price=Decimal("35.50"),
        sale_price=Decimal("69.00"),
        barcodes={("白色", "L"): "6901234567892"},
    )
    style = db.session.get(Style, style_id)
    assert style.sizes == ["S", "M", "L"] and style.colours == ["黑色", "白色"]
    variants = variants_of(style_id)
    assert len(variants) == 6
    assert {v.sku for v in variants} >= {"A1024-黑色-S", "A1024-白色-L"}
    given = next(v for v in variants if v.sku == "A1024-白色-L")
    assert given.barcode == "6901234567892"
    generated = [v.barcode for v in variants if v is not given]
    assert all(valid_ean13(b) and b.startswith("2") for b in generated)
    assert len(set(generated)) == 5


def test_style_without_colours_has_plain_skus(ctx):
    style_id = catalogue.create_style(code="DJ30", name="直筒牛仔裤", sizes=["28", "30", "32"])
    assert [v.sku for v in variants_of(style_id)] == ["DJ30-28", "DJ30-30", "DJ30-32"]
    assert db.session.get(Style, style_id).colours == [""]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"code": ""}, "code"),
        ({"code": "has space"}, "code"),
        ({"code": "X" * 33}, "code"),
        ({"name": "  "}, "name"),
        ({"sizes": []}, "sizes"),
        ({"sizes": ["M", "M"]}, "sizes"),
        ({"sizes": ["M", ""]}, "sizes"),
        ({"sizes": ["M "]}, "sizes"),
        ({"colours": ["Red", "Red"]}, "colours"),
        ({"barcodes": {("", "M"): "no spaces allowed"}}, "barcodes"),
        ({"barcodes": {("", "M"): "12345678", ("", "L"): "12345678"}}, "barcodes"),
    ],
)
def test_invalid_style_is_refused_with_the_field_named(ctx, fields, field):
    values = {"code": "B1", "name": "Shirt", "sizes": ["M", "L"], "colours": []} | fields
    with pytest.raises(InvalidInput) as refused:
        catalogue.create_style(**values)
    assert field in refused.value.errors
    assert row_count("styles") == 0 and row_count("variants") == 0


def test_duplicate_code_and_barcode_are_refused(ctx):
    catalogue.create_style(code="B1", name="Shirt", sizes=["M"], barcodes={("", "M"): "ABC-123"})
    with pytest.raises(InvalidInput) as refused:
        catalogue.create_style(code="B1", name="Other", sizes=["M"])
    assert "code" in refused.value.errors
    with pytest.raises(InvalidInput) as refused:
        catalogue.create_style(
            code="B2", name="Other", sizes=["M"], barcodes={("", "M"): "ABC-123"}
        )
    assert "barcodes" in refused.value.errors
    assert row_count("styles") == 1


def test_adding_sizes_and_colours_keeps_the_old_variants(ctx):
    style_id = catalogue.create_style(code="C1", name="Coat", sizes=["M", "L"], colours=["Red"])
    before = {(v.colour, v.size): (v.id, v.barcode) for v in variants_of(style_id)}
    new_ids = catalogue.add_variants(style_id, sizes=["XL", "M"], colours=["Blue"])
    after = {(v.colour, v.size): (v.id, v.barcode) for v in variants_of(style_id)}
    assert len(new_ids) == 4
    assert all(after[key] == value for key, value in before.items())
    style = db.session.get(Style, style_id)
    db.session.refresh(style)
    assert style.sizes == ["M", "L", "XL"] and style.colours == ["Red", "Blue"]
    with pytest.raises(NotFound):
        catalogue.add_variants(999, sizes=["S"])


def test_archived_variant_is_kept_and_restored_when_asked_for_again(ctx):
    style_id = catalogue.create_style(code="C2", name="Coat", sizes=["M", "L"])
    variant = variants_of(style_id)[1]
    catalogue.archive_variant(variant.id)
    db.session.refresh(variant)
    assert variant.archived and row_count("variants") == 2
    assert catalogue.add_variants(style_id, sizes=["L"]) == []
    db.session.refresh(variant)
    assert not variant.archived
    with pytest.raises(NotFound):
        catalogue.archive_variant(999)


def test_low_stock_threshold(ctx):
    variant_id = variants_of(catalogue.create_style(code="C3", name="Cap", sizes=["F"]))[0].id
    catalogue.set_low_stock_threshold(variant_id, 5)
    assert db.session.get(Variant, variant_id).low_stock_threshold == 5
    with pytest.raises(InvalidInput):
        catalogue.set_low_stock_threshold(variant_id, -1)
    catalogue.set_low_stock_threshold(variant_id, None)
    db.session.expire_all()
    assert db.session.get(Variant, variant_id).low_stock_threshold is None
