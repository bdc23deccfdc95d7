"""Hatch build hook: put the SPARQL editor's bundle into the wheel when there is one or npm can build it.

The bundle (``service/klynge/web/static/build``) is made by npm and esbuild and is not in git, so a plain
checkout has none. Validation, diff and the rest of klynge do not need it, so a machine without Node still
installs klynge (the CI jobs of docs/ci.md, the pre-commit hook, ``pip install "klynge @ git+…"``); the
service's editor page then says how to build it. An editable install reads the checkout itself, where
``npm run build`` (or ``make``) puts the bundle later.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

BUNDLE = "service/klynge/web/static/build"
IN_WHEEL = "klynge/web/static/build"


class EditorBundleHook(BuildHookInterface):
    """Include the editor bundle, building it with npm first when it is missing and npm is on PATH."""

    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if version == "editable":
            return
        bundle = Path(self.root) / BUNDLE
        if not (bundle / "editor.js").is_file():
            self._build(bundle)
        if (bundle / "editor.js").is_file():
            build_data["force_include"][str(bundle)] = IN_WHEEL

    def _build(self, bundle: Path) -> None:
        npm = shutil.which("npm")
        if npm is None or not (Path(self.root) / "package-lock.json").is_file():
            self.app.display_warning(
                f"klynge: no SPARQL editor bundle ({BUNDLE}) and no npm to build it: the wheel has everything "
                "but the editor's script (validate, diff, export and the API work). To include it, run "
                "'npm ci && npm run build' in the checkout first."
            )
            return
        self.app.display_info("klynge: building the SPARQL editor bundle with npm (npm ci, npm run build)")
        for step in ([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], [npm, "run", "--silent", "build"]):
            done = subprocess.run(step, cwd=self.root, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                self.app.display_warning(
                    f"klynge: '{' '.join(step[1:])}' failed, so the wheel has no editor bundle:\n"
                    f"{(done.stderr or done.stdout).strip()[-2000:]}"
                )
                return
