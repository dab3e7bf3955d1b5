"""Pure functions of analysis: extraction, relevance, tags, fingerprints."""

if not __name__.startswith("newsalert."):  # the folder is also reachable from the repository root
    raise ImportError(f"import newsalert.{__name__}, not {__name__}: one module must not load twice")
