"""newsalert: a scheduled news-monitoring crawler with a daily e-mail digest."""

from __future__ import annotations

__version__ = "0.1.0"
