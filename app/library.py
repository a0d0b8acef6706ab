"""The reply library: its pydantic model and loading it from ``replies/``.

Layout of the folder (see ``docs/library.md``):

- ``<category>.yaml``: one file per category, holding its templates;
- ``_shop.yaml``: the shop's facts, available to every template as ``shop``;
- ``_variables.yaml``: the variables templates may use, with a sample value and a
  localized label used as the placeholder when a caller does not give the value.
"""

from __future__ import annotations

from datetime import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    RootModel,
    StringConstraints,
    ValidationError,
    WithJsonSchema,
    model_validator,
)

from app.errors import LibraryError

# The categories every shop meets (DOMAIN.md); the shipped library has each of them.
# Managers may add their own categories beside these.
CATEGORY_IDS = (
    "greeting",
    "bargaining",
    "shipping_delay",
    "busy_hour",
    "bad_review",
    "return_refund",
    "product_question",
    "payment",
    "thanks",
)
SHOP_FILE = "_shop.yaml"
VARIABLES_FILE = "_variables.yaml"
OUT_OF_SCOPE_FILE = "_out_of_scope.yaml"

# A BCP 47 tag as the library writes it: language, optional script, optional region.
LOCALE_PATTERN = r"^[a-z]{2,3}(-[A-Z][a-z]{3})?(-([A-Z]{2}|[0-9]{3}))?$"
LocaleTag = Annotated[str, StringConstraints(pattern=LOCALE_PATTERN)]
Identifier = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
TemplateId = Annotated[
    str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$", max_length=129)
]
NonEmptyText = Annotated[str, StringConstraints(min_length=1, max_length=4000)]


# Pydantic refuses keys that are not locale tags; say so in the JSON Schema too.
_ONLY_LOCALE_KEYS: dict[str, Any] = {"additionalProperties": False}


class Tone(StrEnum):
    """The three voices every reply is written in."""

    friendly = "friendly"
    formal = "formal"
    empathetic = "empathetic"


class BusyState(StrEnum):
    """Which shop state selects a busy-hour template."""

    queue = "queue"
    after_hours = "after_hours"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Triggers(_Strict):
    """How buyers say it in one language: example messages and keywords."""

    examples: list[Annotated[str, StringConstraints(min_length=1, max_length=500)]] = Field(
        default_factory=list, description="Whole buyer messages, as buyers write them."
    )
    keywords: list[Annotated[str, StringConstraints(min_length=1, max_length=60)]] = Field(
        default_factory=list, description="Words or short phrases that are strong evidence."
    )


class Template(_Strict):
    """One sub-situation of a category and its replies."""

    id: TemplateId = Field(description="Stable id, `<category>.<name>`.")
    title: Annotated[str, StringConstraints(min_length=1, max_length=120)]
    variables: list[Identifier] = Field(
        default_factory=list, description="Request variables the replies use (see _variables)."
    )
    busy: BusyState | None = Field(
        None, description="Busy-hour templates only: the shop state that selects it."
    )
    triggers: dict[LocaleTag, Triggers] = Field(
        default_factory=dict,
        description="Buyer phrasings per language.",
        json_schema_extra=_ONLY_LOCALE_KEYS,
    )
    # At least one locale with at least one tone: a template with nothing to say would
    # match and then have no reply to show.
    replies: dict[LocaleTag, Annotated[dict[Tone, NonEmptyText], Field(min_length=1)]] = Field(
        min_length=1,
        description="Reply text (Jinja2) per locale and tone.",
        json_schema_extra=_ONLY_LOCALE_KEYS,
    )

    @property
    def category(self) -> str:
        return self.id.split(".", 1)[0]


class Category(_Strict):
    """A file of ``replies/``: one category and its templates."""

    id: Identifier = Field(description="Category id, e.g. `greeting`, `bargaining`.")
    title: Annotated[str, StringConstraints(min_length=1, max_length=120)]
    description: str = ""
    templates: list[Template] = Field(min_length=1)

    @model_validator(mode="after")
    def _templates_belong_here(self) -> Category:
        seen: set[str] = set()
        for template in self.templates:
            if template.category != self.id:
                raise ValueError(f"template {template.id} must start with '{self.id}.'")
            if template.id in seen:
                raise ValueError(f"template id {template.id} appears twice")
            seen.add(template.id)
            if (template.busy is None) != (self.id != "busy_hour"):
                raise ValueError(f"{template.id}: `busy` is set exactly on busy_hour templates")
        return self


class VariableType(StrEnum):
    """How a request value is read and shown."""

    text = "text"
    money = "money"
    number = "number"
    date = "date"


class Variable(_Strict):
    """A value a caller may pass in `variables`."""

    type: VariableType = VariableType.text
    sample: str | int | float = Field(description="Value used by `kefu check` and previews.")
    label: dict[LocaleTag, NonEmptyText] = Field(
        description="What the value is, per locale; shown as `[label]` when it is missing."
    )


class VariableCatalog(RootModel[dict[Identifier, Variable]]):
    """The whole of ``_variables.yaml``."""


class OutOfScope(
    RootModel[
        dict[LocaleTag, list[Annotated[str, StringConstraints(min_length=1, max_length=500)]]]
    ]
):
    """The whole of ``_out_of_scope.yaml``: messages no template should answer."""


Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


WORKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri")


# A wall-clock time in the shop's time zone ("09:00"). JSON Schema's `time` format wants an
# offset, which a local opening hour has not, so the schema states the form instead.
WallTime = Annotated[
    time,
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?"
            r"(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])?$",
            "description": "HH:MM or HH:MM:SS, local time in `timezone`.",
        }
    ),
]


class BusinessHours(_Strict):
    """When agents answer, in the shop's time zone."""

    timezone: str = "UTC"
    days: list[Weekday] = Field(default_factory=lambda: list(WORKDAYS))
    open: WallTime = time(9, 0)
    close: WallTime = time(18, 0)

    @model_validator(mode="after")
    def _valid_zone(self) -> BusinessHours:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {self.timezone!r}") from exc
        return self


class ShopFacts(_Strict):
    """The shop's facts; every template sees them as ``shop``."""

    name: NonEmptyText
    name_localized: dict[LocaleTag, NonEmptyText] = Field(default_factory=dict)
    agent: NonEmptyText
    agent_localized: dict[LocaleTag, NonEmptyText] = Field(default_factory=dict)
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] = "USD"
    free_shipping_threshold: float | None = Field(None, ge=0)
    return_days: int = Field(7, ge=0, le=365)
    default_tone: Tone = Tone.friendly
    default_locale: LocaleTag = "en"
    busy_queue_threshold: int = Field(
        10, ge=1, description="Queue length at which the busy-hour reply comes first."
    )
    business_hours: BusinessHours = Field(default_factory=BusinessHours)


class Library(_Strict):
    """Everything the service needs to suggest replies."""

    categories: dict[str, Category]
    shop: ShopFacts
    variables: dict[Identifier, Variable]
    out_of_scope: dict[LocaleTag, list[str]] = Field(
        default_factory=dict,
        description="Messages no template answers; the matcher learns to refuse them.",
    )

    @model_validator(mode="after")
    def _variables_declared(self) -> Library:
        for template in self.templates():
            unknown = [v for v in template.variables if v not in self.variables]
            if unknown:
                raise ValueError(f"{template.id}: variables {unknown} are not in {VARIABLES_FILE}")
        return self

    def templates(self) -> list[Template]:
        return [t for c in self.categories.values() for t in c.templates]

    def template(self, template_id: str) -> Template | None:
        return next((t for t in self.templates() if t.id == template_id), None)

    @property
    def locales(self) -> list[str]:
        found = {loc for t in self.templates() for loc in t.replies}
        return sorted(found)


# libyaml's loader is ten times faster than the pure-Python one; fall back if absent.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)  # noqa: S506
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise LibraryError(f"{path.name}: cannot read YAML: {exc}") from exc


def _validation_message(source: str, exc: ValidationError) -> LibraryError:
    details = [
        {"file": source, "where": ".".join(str(p) for p in err["loc"]), "problem": err["msg"]}
        for err in exc.errors()
    ]
    first = details[0]
    return LibraryError(
        f"{source}: {first['where'] or 'file'}: {first['problem']}", details=details
    )


def load_library(folder: Path, only: Path | None = None) -> Library:
    """Read and validate a library folder; raise `LibraryError` naming the file.

    With `only`, read just that category file (with the folder's shop and variables).
    """
    if not folder.is_dir():
        raise LibraryError(f"reply library folder {folder} does not exist")
    categories: dict[str, Category] = {}
    paths = [only] if only is not None else sorted(folder.glob("*.yaml"))
    for path in paths:
        if path.name.startswith("_"):
            continue
        try:
            category = Category.model_validate(_read_yaml(path))
        except ValidationError as exc:
            raise _validation_message(path.name, exc) from exc
        if path.stem != category.id:
            raise LibraryError(
                f"{path.name}: holds category {category.id!r}; name it {category.id}.yaml"
            )
        categories[category.id] = category
    try:
        shop = ShopFacts.model_validate(_read_yaml(folder / SHOP_FILE))
    except ValidationError as exc:
        raise _validation_message(SHOP_FILE, exc) from exc
    try:
        variables = VariableCatalog.model_validate(_read_yaml(folder / VARIABLES_FILE) or {}).root
    except ValidationError as exc:
        raise _validation_message(VARIABLES_FILE, exc) from exc
    out_of_scope: dict[str, list[str]] = {}
    if (folder / OUT_OF_SCOPE_FILE).exists():
        try:
            raw = _read_yaml(folder / OUT_OF_SCOPE_FILE) or {}
            out_of_scope = OutOfScope.model_validate(raw).root
        except ValidationError as exc:
            raise _validation_message(OUT_OF_SCOPE_FILE, exc) from exc
    try:
        return Library(
            categories=categories, shop=shop, variables=variables, out_of_scope=out_of_scope
        )
    except ValidationError as exc:
        raise _validation_message("library", exc) from exc


def json_schemas() -> dict[str, dict[str, Any]]:
    """The JSON Schemas editors use to autocomplete library files."""
    return {
        "category.json": Category.model_json_schema(),
        "shop.json": ShopFacts.model_json_schema(),
        "variables.json": VariableCatalog.model_json_schema(),
        "out_of_scope.json": OutOfScope.model_json_schema(),
    }


class _Dumper(yaml.SafeDumper):
    """Block style for multi-line replies, so exported files read like written ones."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def _yaml_text(schema: str, payload: Any) -> str:
    body = yaml.dump(
        payload,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        width=100,
        default_flow_style=False,
    )
    return f"# yaml-language-server: $schema=schema/{schema}\n{body}"


def library_files(library: Library) -> dict[str, str]:
    """The library as the files of a folder: the same text for the same library."""
    files = {
        f"{category.id}.yaml": _yaml_text(
            "category.json", category.model_dump(mode="json", exclude_defaults=True)
        )
        for category in library.categories.values()
    }
    files[SHOP_FILE] = _yaml_text("shop.json", library.shop.model_dump(mode="json"))
    files[VARIABLES_FILE] = _yaml_text(
        "variables.json", {k: v.model_dump(mode="json") for k, v in library.variables.items()}
    )
    if library.out_of_scope:
        files[OUT_OF_SCOPE_FILE] = _yaml_text("out_of_scope.json", library.out_of_scope)
    return files
