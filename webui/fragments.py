"""Template fragments rendered once and kept: the NHS.UK components a page shows unchanged to
every reader.

The NHS.UK macros (nhsuk-frontend-jinja) include a template and build an attribute list on every
call, so a form field costs about a millisecond; a subnet page calls a dozen of them whose output
never changes (its new-post form, its search box, the footer) and was mostly spent doing so
(bench/pages.py, issue 11). A template wraps such a call in `once`::

    {% call once("reply-fields", picture_limit) %}{{ textarea({...}) }}{% endcall %}

and its body is rendered the first time a key is seen, then reused. The contract is the
caller's: the key names every value the body's output depends on (beyond the template's own
text), and never holds personal data — a person's words, name or pseudonym — which would then
outlive an erasure in RAM. A body that shows such data renders it through a placeholder
replaced afterwards, or passes `keep=False` to render afresh.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable

from markupsafe import Markup

LIMIT = 512


class Fragments:
    """A bounded, least-recently-used store of rendered fragments, one per Jinja environment
    (each node's settings, such as its trust name, may differ)."""

    def __init__(self, limit: int = LIMIT) -> None:
        self._rendered: OrderedDict[tuple[Hashable, ...], Markup] = OrderedDict()
        self._limit = limit

    def __call__(self, *key: Hashable, caller: Callable[[], str], keep: bool = True) -> Markup:
        if not keep:
            return Markup(caller())  # noqa: S704 — the template's own autoescaped output
        rendered = self._rendered.get(key)
        if rendered is None:
            rendered = Markup(caller())  # noqa: S704 — the template's own autoescaped output
            self._rendered[key] = rendered
            if len(self._rendered) > self._limit:
                self._rendered.popitem(last=False)
        else:
            self._rendered.move_to_end(key)
        return rendered

    def __len__(self) -> int:
        return len(self._rendered)
