"""The packages form layers: each imports only from the layers below it, never from above,
whether the import sits at the top of a module or inside a function."""

from __future__ import annotations

import ast
import os
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "newsalert"
# Lowest first. `domain` is the shared vocabulary; `pipelines` are the pure functions of
# analysis; `storage` the archive; `crawler` the Scrapy side; `digest` the mail; `service`
# the command line, the API and the scheduler, on top of everything.
LAYERS = ["domain", "config", "pipelines", "storage", "crawler", "digest", "service"]
TOP = {"__init__", "__main__", "api"}  # the package's entry points may use every layer


def imports() -> dict[str, set[tuple[str, str]]]:
    """Layer -> the layers it imports from, with the module that does."""
    found: dict[str, set[tuple[str, str]]] = {}
    for folder, _dirs, files in os.walk(PACKAGE, followlinks=True):
        for name in files:
            if not name.endswith(".py"):
                continue
            path = Path(folder) / name
            relative = path.relative_to(PACKAGE)
            layer = relative.parts[0].removesuffix(".py")
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                modules = []
                if isinstance(node, ast.ImportFrom) and node.module:
                    modules = [node.module]
                elif isinstance(node, ast.Import):
                    modules = [alias.name for alias in node.names]
                for module in modules:
                    parts = module.split(".")
                    if parts[0] == "newsalert" and len(parts) > 1 and parts[1] != layer:
                        found.setdefault(layer, set()).add((parts[1], str(relative)))
    return found


def test_every_layer_imports_only_from_the_layers_below() -> None:
    upward = []
    for layer, targets in imports().items():
        if layer in TOP:
            continue
        assert layer in LAYERS, f"newsalert/{layer} is in no layer: add it to LAYERS in {__file__}"
        for target, module in sorted(targets):
            assert target in LAYERS or target in TOP, f"{module} imports newsalert.{target}, which is in no layer"
            if LAYERS.index(target) > LAYERS.index(layer) or target in TOP:
                upward.append(f"{module} (layer {layer}) imports newsalert.{target}")
    assert not upward, "imports from a higher layer, which make a cycle:\n" + "\n".join(upward)


def test_the_domain_vocabulary_imports_nothing_of_newsalert() -> None:
    assert "domain" not in imports()
