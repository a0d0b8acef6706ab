"""Loading and validating the library files."""

import shutil
from pathlib import Path

import pytest
from pydantic import ValidationError

from app.cli import main
from app.errors import LibraryError
from app.library import Category, load_library
from tests.conftest import REPLIES
from tests.factories import make_library, make_template


@pytest.fixture()
def library_copy(tmp_path: Path) -> Path:
    target = tmp_path / "replies"
    shutil.copytree(REPLIES, target)
    return target


def test_shipped_library_has_every_category(shipped_library) -> None:  # type: ignore[no-untyped-def]
    assert set(shipped_library.categories) == {
        "greeting",
        "bargaining",
        "shipping_delay",
        "busy_hour",
        "bad_review",
        "return_refund",
        "product_question",
        "payment",
        "thanks",
    }
    for category in shipped_library.categories.values():
        assert len(category.templates) >= 2, category.id


def test_broken_yaml_names_the_file(library_copy: Path) -> None:
    (library_copy / "thanks.yaml").write_text("id: thanks\ntemplates: [oops", encoding="utf-8")
    with pytest.raises(LibraryError, match="thanks.yaml"):
        load_library(library_copy)


def test_schema_violation_names_file_and_field(library_copy: Path) -> None:
    text = (library_copy / "thanks.yaml").read_text(encoding="utf-8")
    (library_copy / "thanks.yaml").write_text(
        text.replace("friendly:", "cheerful:", 1), encoding="utf-8"
    )
    with pytest.raises(LibraryError, match=r"thanks\.yaml: templates\.0\.replies"):
        load_library(library_copy)


def test_category_file_name_must_match_its_id(library_copy: Path) -> None:
    (library_copy / "thanks.yaml").rename(library_copy / "merci.yaml")
    with pytest.raises(LibraryError, match="merci.yaml"):
        load_library(library_copy)


def test_template_id_must_start_with_its_category() -> None:
    stray = make_template(id="payment.paid").model_dump()
    with pytest.raises(ValidationError, match="must start with 'greeting.'"):
        Category.model_validate({"id": "greeting", "title": "Greetings", "templates": [stray]})


def test_undeclared_library_variable_is_refused() -> None:
    with pytest.raises(ValidationError, match="not in _variables.yaml"):
        make_library(make_template(variables=["tracking_code"]))


def test_busy_is_only_for_busy_hour_templates() -> None:
    with pytest.raises(ValidationError, match="busy"):
        make_library(make_template(busy="queue"))


def test_kefu_check_passes_on_the_shipped_library(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(REPLIES)]) == 0
    out = capsys.readouterr().out
    assert "Coverage:" in out and "(100.0%)" in out


def test_kefu_check_names_template_locale_and_tone(
    library_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = library_copy / "thanks.yaml"
    text = path.read_text(encoding="utf-8")
    marker = "friendly: "
    at = text.index(marker) + len(marker)
    path.write_text(
        text[:at] + "'{{ secret_code }} '" + "\n" + _rest_of_line(text, at), encoding="utf-8"
    )
    assert main(["check", str(library_copy)]) == 1
    err = capsys.readouterr().err
    assert "thanks." in err and "/friendly]" in err and "secret_code" in err


def _rest_of_line(text: str, at: int) -> str:
    end = text.index("\n", at)
    return text[end + 1 :]


def test_published_json_schema_is_current(tmp_path: Path) -> None:
    assert main(["schema", "--check"]) == 0, "run `kefu schema` and commit replies/schema/"


def test_kefu_check_refuses_a_variable_one_locale_omits(
    library_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = library_copy / "shipping_delay.yaml"
    text = path.read_text(encoding="utf-8")
    # Drop the order number from one German reply: the buyer would not see it there.
    start = text.index("      de:\n", text.index("shipping_delay.not_shipped"))
    at = text.index("{{ order_id }}", start)
    path.write_text(text[:at] + "Ihre" + text[at + len("{{ order_id }}"):], encoding="utf-8")
    assert main(["check", str(library_copy)]) == 1
    assert "shipping_delay.not_shipped: de/" in capsys.readouterr().err
