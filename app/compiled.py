"""Reply texts compiled for serving, and the validator that renders every one.

Compiling a Jinja2 template costs about a millisecond, and a full library holds a few
thousand reply texts, so serving compiles each text on first use (and `warm` compiles the
rest off the request path). `validate_replies` is the strict path used by `kefu check` and
by every save: it compiles and renders every locale × tone, naming each problem exactly.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from jinja2 import Template as JinjaTemplate
from jinja2.exceptions import TemplateError

from app.errors import LibraryError
from app.library import Library, ShopFacts, Template, Tone, Variable
from app.rendering import (
    CompileError,
    RenderContext,
    RenderedText,
    make_environment,
    render,
    sample_values,
    shop_view,
    validate_source,
)
from app.sandbox import ReplyEnvironment

ReplyKey = tuple[str, str, Tone]  # template id, locale, tone
RENDERED_MAX = 8192
COMPILED_MAX = 20_000  # distinct reply texts kept compiled (the shipped library has ~2,500)


@dataclass(frozen=True)
class CompiledReplies:
    """Reply sources keyed by (template id, locale, tone), compiled on first use."""

    env: ReplyEnvironment
    sources: dict[ReplyKey, str]
    version: str
    _cache: dict[ReplyKey, JinjaTemplate] = field(default_factory=dict, repr=False)
    # Rendered texts by (reply, currency, the variables it uses, today): most requests
    # carry no or the same values, and many messages share a reply.
    _rendered: dict[Hashable, RenderedText] = field(default_factory=dict, repr=False)
    _by_text: dict[str, JinjaTemplate] = field(default_factory=dict, repr=False)
    render_calls: list[int] = field(default_factory=lambda: [0], repr=False)  # for benches
    render_misses: list[int] = field(default_factory=lambda: [0], repr=False)

    def render(
        self,
        key: ReplyKey,
        ctx: RenderContext,
        declared: Mapping[str, Variable | None],
    ) -> RenderedText:
        """`rendering.render` of one reply, remembered per distinct input."""
        self.render_calls[0] += 1
        try:
            today = ctx.today or date.today()
            memo: Hashable = (key, ctx.currency, tuple(ctx.values.items()), today)
            hash(memo)
        except TypeError:  # a value that cannot be a key: render without remembering
            return render(self.get(key), ctx, declared)
        rendered = self._rendered.get(memo)
        if rendered is None:
            self.render_misses[0] += 1
            rendered = render(self.get(key), ctx, declared)
            if len(self._rendered) >= RENDERED_MAX:
                self._rendered.clear()  # crude but bounded; refills with what is asked
            self._rendered[memo] = rendered
        return rendered

    def get(self, key: ReplyKey) -> JinjaTemplate:
        compiled = self._cache.get(key)
        if compiled is None:
            source = self.sources[key]
            # The same text (in several tones, or templates) compiles once. Two threads may
            # compile the same text at once; both results are equal.
            compiled = self._by_text.get(source)
            if compiled is None:
                compiled = self.env.from_string(source)
                if len(self._by_text) >= COMPILED_MAX:
                    # A compiled text weighs ~15 KB: a huge library keeps the texts in use.
                    self._by_text.clear()
                    self._cache.clear()
                self._by_text[source] = compiled
            self._cache[key] = compiled
        return compiled

    def warm(self, superseded: Callable[[], bool] = lambda: False) -> None:
        """Compile every text now (called off the request path after a swap), up to
        COMPILED_MAX distinct texts; stop early once a newer library replaced this one."""
        for key in self.sources:
            if superseded() or len(self._by_text) >= COMPILED_MAX - 1:
                return
            try:
                self.get(key)
            except TemplateError:
                continue  # served as "skipped" at request time; `kefu check` names it
            time.sleep(0)  # hand the GIL to waiting request threads between compiles


def library_version(library: Library) -> str:
    """A short content hash: equal libraries get equal versions."""
    payload = json.dumps(library.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()[:12]


def reply_sources(library: Library, previous: CompiledReplies | None = None) -> CompiledReplies:
    """The library's reply texts; those unchanged since `previous` keep their compiled form,
    so an edit recompiles only what it changed."""
    sources = {
        (template.id, locale, tone): source
        for template in library.templates()
        for locale, by_tone in template.replies.items()
        for tone, source in by_tone.items()
    }
    if previous is None:
        return CompiledReplies(
            env=make_environment(), sources=sources, version=library_version(library)
        )
    # The previous library's warm-up thread may still be adding to its cache: iterate a
    # copy (taken at once under the GIL), not the live dict.
    kept = {
        key: compiled
        for key, compiled in tuple(previous._cache.items())
        if sources.get(key) == previous.sources.get(key)
    }
    return CompiledReplies(
        env=previous.env,
        sources=sources,
        version=library_version(library),
        _cache=kept,
        _by_text={sources[key]: compiled for key, compiled in kept.items()},
    )


def _problem(template: Template, locale: str, tone: Tone, message: str) -> dict[str, Any]:
    return {"template": template.id, "locale": locale, "tone": tone.value, "problem": message}


def template_problems(library: Library, template: Template) -> list[dict[str, Any]]:
    """Every problem of one template: syntax, undeclared names, unknown filters, rendering."""
    env = make_environment()
    samples = sample_values({k: v for k, v in library.variables.items() if k in template.variables})
    declared = set(template.variables)
    definitions = {name: library.variables.get(name) for name in template.variables}
    problems: list[dict[str, Any]] = []
    for locale, by_tone in template.replies.items():
        for tone, source in by_tone.items():
            try:
                validate_source(env, source, declared)
                compiled = env.from_string(source)
                ctx = RenderContext(
                    locale=locale,
                    currency=library.shop.currency,
                    shop=shop_view(library.shop, locale),
                    values=samples,
                )
                if not render(compiled, ctx, definitions).text:
                    raise CompileError("renders to an empty reply")
                ctx.values = {}
                render(compiled, ctx, definitions)
            except CompileError as exc:
                problems.append(_problem(template, locale, tone, str(exc)))
            except (TemplateError, ArithmeticError, ValueError, TypeError) as exc:
                problems.append(_problem(template, locale, tone, f"does not render: {exc}"))
    return problems


def validate_replies(library: Library) -> None:
    """Raise `LibraryError` listing every reply that does not compile or render."""
    problems = [p for t in library.templates() for p in template_problems(library, t)]
    if problems:
        first = problems[0]
        raise LibraryError(
            f"{first['template']} [{first['locale']}/{first['tone']}]: {first['problem']}",
            details=problems,
        )


def shop_problems(
    library: Library, replies: CompiledReplies, shop: ShopFacts
) -> list[dict[str, Any]]:
    """Every reply that stops rendering when the shop's facts become `shop`.

    Uses the serving snapshot's compiled texts, so checking a shop save costs renders only.
    """
    problems: list[dict[str, Any]] = []
    templates = {t.id: t for t in library.templates()}
    views = {locale: shop_view(shop, locale) for locale in library.locales}
    for key in replies.sources:
        template_id, locale, tone = key
        template = templates[template_id]
        definitions = {name: library.variables.get(name) for name in template.variables}
        samples = sample_values(
            {k: v for k, v in library.variables.items() if k in template.variables}
        )
        try:
            ctx = RenderContext(
                locale=locale, currency=shop.currency, shop=views[locale], values=samples
            )
            if not render(replies.get(key), ctx, definitions).text:
                raise CompileError("renders to an empty reply")
        except CompileError as exc:
            problems.append(_problem(template, locale, tone, str(exc)))
        except (TemplateError, ArithmeticError, ValueError, TypeError) as exc:
            problems.append(_problem(template, locale, tone, f"does not render: {exc}"))
    return problems
