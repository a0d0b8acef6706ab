"""docs/security.md names the tests that hold each promise: every one it names exists."""

import re

from tests.conftest import ROOT


def test_every_test_the_security_page_names_exists() -> None:
    page = (ROOT / "docs" / "security.md").read_text(encoding="utf-8")
    sources = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "tests").glob("*.py"))
    defined = set(re.findall(r"^def (test_\w+)", sources, flags=re.MULTILINE))
    named = set(re.findall(r"\b(test_\w+)\b", page)) - {"test_x"}
    files = set(re.findall(r"tests/(test_\w+)\.py", page))
    missing = sorted(named - files - defined)
    assert not missing, f"docs/security.md names tests that do not exist: {missing}"
    assert all((ROOT / "tests" / f"{f}.py").exists() for f in files)
