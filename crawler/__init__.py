"""The Scrapy side: the spider, its middlewares, pipelines and extension, and the runner."""

if not __name__.startswith("newsalert."):  # the folder is also reachable from the repository root
    raise ImportError(f"import newsalert.{__name__}, not {__name__}: one module must not load twice")
