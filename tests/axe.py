"""Run axe-core (npm, pinned in package-lock.json) on a Playwright page.

`make test` installs axe-core into node_modules/ with `npm ci`; nothing comes
from a CDN. The checks are WCAG 2.1 levels A and AA (JIS X 8341-3:2016 AA).

CSP: Playwright's `page.add_script_tag(path=...)` reads the file and inserts
its text as an inline <script>, which the site's strict Content-Security-Policy
blocks. So axe checks need a browser context opened with `bypass_csp=True`;
`axe_context()` opens one. Only the test browser ignores the policy: the pages
are served with the same headers as always, and other tests (for example that
a page's own script runs under the CSP) must use an ordinary context.

Usage:

    with axe_context(browser, viewport={"width": 390, "height": 844}) as context:
        page = context.new_page()
        page.goto(url)
        violations = axe_violations(page)
        assert violations == [], describe(violations)
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

_RUN = """async (tags) => {
  const result = await window.axe.run(document, {
    runOnly: {type: "tag", values: tags},
    resultTypes: ["violations"],
  });
  return result.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    helpUrl: v.helpUrl,
    tags: v.tags,
    nodes: v.nodes.map((n) => ({
      target: n.target,
      html: n.html,
      failureSummary: n.failureSummary,
    })),
  }));
}"""


@contextmanager
def axe_context(browser: Any, **options: Any) -> Iterator[Any]:
    """A new context of `browser` that lets axe's script in past the CSP (see module doc)."""
    context = browser.new_context(bypass_csp=True, **options)
    try:
        yield context
    finally:
        context.close()


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.1 A/AA violations on the page as loaded now.

    The page must belong to a context created with `bypass_csp=True` (see the
    module docstring). Each violation is a dict with `id`, `impact`, `help`,
    `helpUrl`, `tags` and `nodes` (each node: `target`, `html`,
    `failureSummary`). An empty list means no violations.
    """
    if not AXE_JS.exists():
        pytest.fail(f"{AXE_JS} is missing: run `make test` (it runs `npm ci`) or `npm ci`")
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE_JS))
    if not page.evaluate("() => typeof window.axe === 'object'"):
        pytest.fail("axe-core did not load: was the context created with bypass_csp=True?")
    violations: list[dict[str, Any]] = page.evaluate(_RUN, WCAG_21_AA)
    return violations


def describe(violations: list[dict[str, Any]]) -> str:
    """A readable summary for an assertion message."""
    lines = []
    for v in violations:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']} — {v['helpUrl']}")
        for node in v["nodes"][:5]:
            lines.append(f"    {' '.join(map(str, node['target']))}: {node['html'][:160]}")
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            if summary:
                lines.append(f"      {summary[:300]}")
        if len(v["nodes"]) > 5:
            lines.append(f"    … and {len(v['nodes']) - 5} more")
    return "\n".join(lines)
