"""Render a digest's HTML to PNG in headless Chromium, to look at it as a reader would.

Run:  .venv/bin/python scripts/render_digest_png.py data/digests/2026-11-23/digest-1.html [-o out.png]
Needs Debian's chromium (apt-get install chromium). The page is loaded from the local file
with the network off, as a mail client that blocks remote content would show it.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",
]


def render(html: Path, png: Path, *, width: int = 680, height: int = 4000) -> None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if browser is None:
        sys.exit("no Chromium found: apt-get install chromium")
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                browser,
                *FLAGS,
                f"--user-data-dir={profile}",
                f"--window-size={width},{height}",
                f"--screenshot={png.resolve()}",
                html.resolve().as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("html", type=Path)
    parser.add_argument("-o", "--output", type=Path)
    parser.add_argument("--height", type=int, default=4000, help="viewport height in pixels")
    args = parser.parse_args()
    output = args.output or args.html.with_suffix(".png")
    render(args.html, output, height=args.height)
    print(output)


if __name__ == "__main__":
    main()
