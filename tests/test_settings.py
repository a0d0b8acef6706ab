"""Every setting is documented."""

from app.config import Settings
from tests.conftest import ROOT


def test_every_setting_is_documented() -> None:
    doc = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    for name in Settings.model_fields:
        assert f"`KEFU_{name.upper()}`" in doc, (
            f"KEFU_{name.upper()} is not in docs/configuration.md"
        )


def test_settings_read_the_environment(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("KEFU_MIN_CONFIDENCE", "0.6")
    assert Settings().min_confidence == 0.6
