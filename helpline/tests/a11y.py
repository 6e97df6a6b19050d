"""A check run on every page the browser tests visit: each visible form control has
a visible label, and each button has visible text."""

from __future__ import annotations

from playwright.sync_api import Page

_PROBLEMS_JS = """
() => {
  // checkVisibility, not offsetWidth: the content of a closed <details> has a layout
  // box in Chromium (content-visibility: hidden) but nobody can see it.
  const visible = el => el.checkVisibility({visibilityProperty: true, opacityProperty: true});
  const problems = [];
  for (const el of document.querySelectorAll('input, select, textarea')) {
    if (el.type === 'hidden' || !visible(el)) continue;
    const labels = Array.from(el.labels || []).filter(l => visible(l) && l.innerText.trim());
    if (!labels.length) {
      problems.push(`${el.tagName.toLowerCase()} name=${el.name} has no visible label`);
    }
  }
  for (const el of document.querySelectorAll('button, [role=button], input[type=submit]')) {
    if (!visible(el)) continue;
    const text = (el.innerText || el.value || '').trim();
    if (!text) problems.push(`button ${el.outerHTML.slice(0, 80)} has no visible text`);
  }
  const ids = {};
  for (const el of document.querySelectorAll('[id]')) ids[el.id] = (ids[el.id] || 0) + 1;
  for (const [id, n] of Object.entries(ids)) {
    if (n > 1) problems.push(`id ${id} is used ${n} times`);
  }
  return problems;
}
"""


def assert_accessible_controls(page: Page) -> None:
    problems = page.evaluate(_PROBLEMS_JS)
    assert not problems, f"{page.url}: " + "; ".join(problems)
