"""The modules that the type packages projects most often reference for asset imports
declare (``declare module "*.svg"``), as published: a `/// <reference types>` or a
``types`` entry naming one of them supplies these names for certain, where any other
package prgate cannot see only might.

Read from each package's own declaration file at the versions in ``VERSIONS`` and kept
only where every one of those versions declares the name (a name a version lacks is left
to that version's users to be warned about);
``tests/checks/ts_imports/test_ts_known_types.py`` reads them again from npm at these
versions and compares. The file's own declarations only: what it
pulls in by ``/// <reference path>`` is not counted (fewer names, never a wrong pass).
"""

from __future__ import annotations

# package -> the published versions the table below was read from
VERSIONS: dict[str, tuple[str, ...]] = {
    "vite": ("7.3.8", "8.4.1"),
    "next": ("15.5.29", "16.5.0"),
    "astro": ("5.18.2", "7.4.8"),
}
# a type reference -> (its package, the file in the package, what it declares)
_STYLES = (
    "*.css *.less *.pcss *.sass *.scss *.sss *.styl *.stylus *.module.css *.module.less "
    "*.module.pcss *.module.sass *.module.scss *.module.sss *.module.styl *.module.stylus"
)
_QUERIES = (
    "*?inline *?no-inline *?raw *?sharedworker *?sharedworker&inline *?sharedworker&url "
    "*?url *?url&inline *?url&no-inline *?worker *?worker&inline *?worker&url *.wasm?init"
)
_MEDIA = (
    "*.aac *.avif *.eot *.flac *.gif *.ico *.jfif *.jpeg *.jpg *.mp3 *.mp4 *.ogg *.opus *.otf "
    "*.pdf *.pjp *.pjpeg *.png *.svg *.ttf *.txt *.wav *.webm *.webmanifest *.webp *.woff "
    "*.woff2"
)
_IMAGES = "*.avif *.bmp *.gif *.ico *.jpeg *.jpg *.png *.svg *.webp"
DECLARED: dict[str, tuple[str, str, frozenset[str]]] = {
    "vite/client": (
        "vite",
        "client.d.ts",
        frozenset(
            f"{_STYLES} {_QUERIES} {_MEDIA} *.apng *.bmp *.cur *.jxl *.m4a *.mov *.vtt".split()
        ),
    ),
    "next/image-types/global": (
        "next",
        "image-types/global.d.ts",
        frozenset(_IMAGES.split()),
    ),
    "astro/client": (
        "astro",
        "client.d.ts",
        frozenset(
            f"{_STYLES} {_QUERIES} {_MEDIA} *.markdown *.md *.mdown *.mdwn *.mdx *.mkd *.mkdn "
            "*.tiff astro:assets astro:components astro:config/client astro:config/server "
            "astro:container astro:i18n astro:middleware astro:prefetch astro:schema".split()
        ),
    ),
}


def declared_by(reference: str) -> frozenset[str] | None:
    """What a type reference to one of these packages declares; None for any other."""
    known = DECLARED.get(reference.removesuffix(".d.ts"))
    return known[2] if known else None
