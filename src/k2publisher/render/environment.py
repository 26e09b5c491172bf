"""The Jinja environment: the site's ``templates/`` folder first, then the built-ins.

``StrictUndefined`` makes a typo fail loudly; HTML and XML templates autoescape. Every
template error leaves :func:`render_template` as a :class:`~k2publisher.errors.TemplateError`
naming the template and the line.
"""

from __future__ import annotations

import html
import textwrap
import traceback
from datetime import UTC, datetime
from email.utils import format_datetime
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2

from k2publisher.errors import TemplateError
from k2publisher.render.escaping import FILTERS
from k2publisher.render.xml import strip_illegal_xml
from k2publisher.settings import Settings

#: the built-in templates shipped inside the package
BUILTIN_TEMPLATES = Path(str(resources.files("k2publisher") / "templates"))


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def rfc822(moment: datetime) -> str:
    """An RFC 822 date with its zone, as RSS 2.0 wants: ``Tue, 24 Nov 2026 09:00:00 +0000``."""
    return format_datetime(_aware(moment))


def rfc3339(moment: datetime) -> str:
    """An RFC 3339 timestamp with its zone, as Atom wants: ``2026-11-24T09:00:00+00:00``.

    Microseconds are kept when the moment has them (``...09:00:00.250000+00:00``), so two
    entries published in the same second still have distinct ``updated`` values.
    """
    return _aware(moment).isoformat(timespec="auto")


def html_text(text: str, *, paragraphs: bool = False) -> str:
    """Plain ``text`` as HTML (``&``, ``<``, ``>``, quotes escaped), returned as a plain ``str``.

    RSS readers treat ``<title>``, ``<description>`` and ``<category>`` as HTML, so plain text
    there must be HTML-escaped *and then* XML-escaped: autoescape in the ``.xml`` template
    does the second step because this is not ``Markup``. ``paragraphs`` wraps each
    blank-line-separated paragraph in ``<p>``.
    """
    clean = strip_illegal_xml(text)
    if not paragraphs:
        return html.escape(" ".join(clean.split()))
    blocks = [" ".join(b.split()) for b in clean.split("\n\n")]
    return "".join(f"<p>{html.escape(b)}</p>" for b in blocks if b)


def wrap(text: str, width: int = 76) -> str:
    """``text`` wrapped at ``width`` columns, never breaking a word or a URL."""
    return textwrap.fill(" ".join(text.split()), width, break_long_words=False,
                         break_on_hyphens=False)


def sender_line(site: dict[str, Any]) -> str:
    """Who publishes, said once: the postal address, after the publisher's name unless the
    address already starts with it (``K2 Notes, 1 Example Street`` not ``K2 Notes · K2 Notes,
    1 Example Street``)."""
    publisher = str(site.get("publisher") or site.get("name") or "").strip()
    address = str(site.get("postal_address") or "").strip()
    if not address or not publisher or address.lower().startswith(publisher.lower()):
        return address or publisher
    return f"{publisher} \u00b7 {address}"


def make_environment(settings: Settings) -> jinja2.Environment:
    """The environment every renderer uses: user folder first, built-ins second."""
    user = settings.path("templates")
    loader = jinja2.ChoiceLoader([
        jinja2.FileSystemLoader(str(user)),
        jinja2.FileSystemLoader(str(BUILTIN_TEMPLATES)),
    ])
    env = jinja2.Environment(
        loader=loader,
        undefined=jinja2.StrictUndefined,
        autoescape=jinja2.select_autoescape(["html", "xml"], default_for_string=False),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        auto_reload=True,
    )
    env.filters.update(rfc822=rfc822, rfc3339=rfc3339, xml_safe=strip_illegal_xml,
                       wrap=wrap, html_text=html_text, **FILTERS)
    env.globals["site"] = settings.site
    env.globals["sender_line"] = sender_line
    return env


def _template_line(exc: BaseException, name: str) -> tuple[str, int | None]:
    """The innermost template frame of ``exc``'s traceback: (template file, line)."""
    where, line = name, None
    for frame in traceback.extract_tb(exc.__traceback__):
        if not frame.filename.endswith(".py") and "<" not in frame.filename:
            where, line = frame.filename, frame.lineno
    return where, line


def render_template(env: jinja2.Environment, name: str, **context: Any) -> str:
    """Render ``name`` with ``context``; any failure becomes a :class:`TemplateError`."""
    try:
        return env.get_template(name).render(**context)
    except jinja2.TemplateSyntaxError as exc:
        where = exc.filename or exc.name or name
        raise TemplateError(f"{where}:{exc.lineno}: {exc.message}") from exc
    except jinja2.TemplateNotFound as exc:
        raise TemplateError(f"template {exc.name!r} not found in {env.loader!r}") from exc
    except (jinja2.TemplateError, TypeError, ValueError, AttributeError, KeyError) as exc:
        where, line = _template_line(exc, name)
        raise TemplateError(f"{where}:{line or '?'}: {type(exc).__name__}: {exc} "
                            f"(rendering {name})") from exc
