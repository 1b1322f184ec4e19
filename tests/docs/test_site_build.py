"""The docs site (``mkdocs.yml``) builds with ``--strict`` and no warning, and the built
pages load nothing from another host (an air-gapped reader sees them whole)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.support import REPO

#: An attribute that makes a browser fetch something: a script, a stylesheet, an image, a
#: font, a frame. Links a reader follows (``<a href>``) are not fetched.
_FETCHED = re.compile(
    r"<(?:script|link|img|iframe|source)\b[^>]*?\b(?:src|href)=[\"']((?:https?:)?//[^\"']+)",
    re.IGNORECASE,
)
_CSS_URL = re.compile(
    r"@import\s+url\(\s*[\"']?(https?://[^)\"']+)|url\(\s*[\"']?(https?://[^)\"']+)"
)


def test_the_site_builds_strictly_and_fetches_nothing_from_elsewhere(tmp_path: Path) -> None:
    site = tmp_path / "site"
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "WARNING" not in output, output
    # every guide page is in the site
    for page in (REPO / "docs" / "guide").glob("*.md"):
        assert (site / "guide" / f"{page.stem}.html").is_file(), page.name
    fetched = []
    for built in site.rglob("*"):
        if built.suffix == ".html":
            fetched += [(built.name, url) for url in _FETCHED.findall(built.read_text())]
        elif built.suffix == ".css":
            text = built.read_text(errors="replace")
            fetched += [(built.name, a or b) for a, b in _CSS_URL.findall(text)]
    assert not fetched, fetched
