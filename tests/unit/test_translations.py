"""The zh and en catalogues hold every string the code and templates show."""

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {"_": None, "_l": None, "gettext": None, "lazy_gettext": None, "ngettext": (1, 2)}


def source_strings() -> set[str]:
    with open(ROOT / "babel.cfg") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found = set()
    for _, _, message, _, _ in extract_from_dir(
        str(ROOT),
        method_map,
        options_map,
        keywords=KEYWORDS,
        # Babel skips folders starting with "_" by default: templates/_macros holds strings.
        directory_filter=lambda path: not Path(path).name.startswith("."),
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


@pytest.mark.parametrize("language", ["zh", "en"])
def test_catalogue_translates_every_string(language):
    path = ROOT / "stockapp" / "translations" / language / "LC_MESSAGES" / "messages.po"
    with open(path, "rb") as po:
        catalogue = {m.id: m for m in read_po(po) if m.id}
    strings = source_strings()
    assert len(strings) > 50
    missing = sorted(s for s in strings if s not in catalogue or not catalogue[s].string)
    fuzzy = sorted(s for s in strings if s in catalogue and catalogue[s].fuzzy)
    assert missing == [], f"untranslated in {language}: run `make translations` and translate"
    assert fuzzy == []
