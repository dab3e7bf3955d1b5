"""newsalert: crawl news outlets, keep the articles about a topic, archive them, mail a digest.

The Python API is `newsalert.Archive` (service/api.py); the command line is a thin layer over it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["Archive", "__version__"]

if TYPE_CHECKING:
    from newsalert.service.api import Archive


def __getattr__(name: str) -> Any:
    # Imported on first use: `newsalert --help` need not load the database layer.
    if name == "Archive":
        from newsalert.service.api import Archive

        return Archive
    raise AttributeError(f"module 'newsalert' has no attribute {name!r}")
