"""HTML to PDF on the server, through WeasyPrint (Pango lays out the text, so Chinese comes out in
the CJK font fontconfig finds: the README's set-up installs fonts-wqy-zenhei).

The page being printed holds what people typed, so the renderer fetches nothing at all: no
image, style sheet or font named by a URL (a typed `<img src=http://…>` is escaped anyway, but
a PDF renderer on the server must not be a way to reach other hosts or local files). The print
style sheet is handed over as a file of ours."""
from __future__ import annotations

from typing import Any

from runtime.web.rendering import STATIC_DIR

PRINT_CSS = STATIC_DIR / "print.css"


def from_html(page: str) -> bytes:
    """The PDF of `page` (a whole HTML document), styled by print.css."""
    # Imported here: WeasyPrint loads Pango and its fonts, a second at start-up that only a PDF needs.
    from weasyprint import CSS, HTML
    from weasyprint.urls import URLFetcher

    class FetchNothing(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: Any = None) -> Any:
            raise ValueError(f"the PDF renderer fetches nothing ({url[:60]})")

    fetcher = FetchNothing()
    document = HTML(string=page, url_fetcher=fetcher, base_url=str(STATIC_DIR))
    result = document.write_pdf(stylesheets=[CSS(filename=str(PRINT_CSS), url_fetcher=fetcher)])
    assert result is not None
    return result
