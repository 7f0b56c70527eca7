"""`{% cache a, b, … %}…{% endcache %}`: a template fragment rendered once per key and reused.

The form designer answers every edit with its whole workspace; on a 60-field form the canvas is
sixty cards of which an edit changes one or two. A card's fragment is cached under everything it
is rendered from (the card itself, a frozen dataclass, and the page values it reads: form key,
selected field, CSRF token…), so an unchanged card is looked up and a changed one misses and
renders afresh: what the user gets is byte for byte what a full render gives. The key is the
template's responsibility: it must name every value the fragment reads, except the reader's
language, which every key gets (every fragment's words depend on it).

The cache is a bounded LRU on the environment (`environment.fragment_cache`), shared by the
threads that render; keys hold no secrets beyond what the fragment itself shows.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from jinja2 import nodes
from jinja2.ext import Extension
from jinja2.parser import Parser

from runtime import i18n

MAX_FRAGMENTS = 2000  # ~2 kB a card: a few MB at most


class FragmentCache:
    """A thread-safe LRU of rendered fragments by key."""

    def __init__(self, size: int = MAX_FRAGMENTS) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: Hashable, value: Any) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)


class FragmentCacheExtension(Extension):
    """The `cache` tag: `{% cache "name", value, … %}body{% endcache %}`."""

    tags = {"cache"}

    def __init__(self, environment: Any) -> None:
        super().__init__(environment)
        environment.extend(fragment_cache=FragmentCache())

    def parse(self, parser: Parser) -> nodes.Node:
        lineno = next(parser.stream).lineno
        parts = [parser.parse_expression()]
        while parser.stream.skip_if("comma"):
            parts.append(parser.parse_expression())
        body = parser.parse_statements(("name:endcache",), drop_needle=True)
        key = nodes.Tuple(parts, "load", lineno=lineno)
        return nodes.CallBlock(self.call_method("_cached", [key]), [], [], body).set_lineno(lineno)

    def _cached(self, key: tuple[Any, ...], caller: Callable[[], Any]) -> Any:
        cache: FragmentCache = self.environment.fragment_cache  # type: ignore[attr-defined]
        key = (i18n.current_locale.get(), *key)
        try:
            found = cache.get(key)
        except TypeError:  # a value that cannot be a key (a list, a dict): render, as without the tag
            return caller()
        if found is None:
            found = caller()
            cache.put(key, found)
        return found
