"""Charts for pages that open offline: the Vega libraries as one embedded script, chart
specifications as JSON that is safe inside a ``<script>`` element, and static renderings."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import vl_convert as vlc

from core.files import write_atomically
from core.formats import json_ready

PNG_SCALE = 2.0
BUNDLE_CACHE = Path.home() / ".cache" / "materiality-toolkit"
BUNDLE_END = "window.vegaLite=__default1;"

_bundle: str | None = None


def script_json(value: Any) -> str:
    """JSON that can sit inside a ``<script>`` element: no ``</script>``, no ``<!--``, no HTML.

    NaN and infinities, which JSON cannot hold, become null."""
    text = json.dumps(
        json_ready(value, digits=None), ensure_ascii=False, allow_nan=False, separators=(",", ":")
    )
    return (
        text.replace("&", "\\u0026")
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def bundle_cache_file() -> Path:
    versions = f"{vlc.get_vega_version()}-{vlc.get_vegalite_versions()[-1]}-{vlc.get_vega_embed_version()}"
    return BUNDLE_CACHE / f"vega-bundle-{versions}.js"


def vega_bundle() -> str:
    """Vega, Vega-Lite and vega-embed as one script (no network).

    Building it takes vl-convert a couple of seconds, so it is kept in memory and in a cache file
    named after the library versions; a cache that cannot be read or written is simply rebuilt.
    """
    global _bundle
    if _bundle is not None:
        return _bundle
    cache = bundle_cache_file()
    try:
        text = cache.read_text(encoding="utf-8")
        if text.rstrip().endswith(BUNDLE_END):
            _bundle = text
            return text
    except OSError:
        pass
    # the default snippet puts vegaEmbed, vega and vegaLite on window (the stub wrongly requires one)
    _bundle = vlc.javascript_bundle()  # type: ignore[call-arg]
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(cache.parent, {cache.name: _bundle.encode("utf-8")})
    except OSError:
        pass
    return _bundle


def start_renderer() -> None:
    """Start the renderer, which reads the fonts on first use (timed on its own in the pack)."""
    vlc.vegalite_to_svg({"mark": "point"})


def svg(spec: dict) -> bytes:
    return vlc.vegalite_to_svg(spec).encode("utf-8")


def png(svg_bytes: bytes) -> bytes:
    """The SVG drawn at :data:`PNG_SCALE` times its size."""
    return vlc.svg_to_png(svg_bytes.decode("utf-8"), scale=PNG_SCALE)
