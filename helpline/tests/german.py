"""The "no English left" check: a page opened in Chromium by a German browser
(Accept-Language: de, no language cookie) shows no English word.

What is read: every text node of the page and its <title>, and the attributes a
person reads or hears (title, aria-label, placeholder, alt, aria-description,
and the value of buttons). What is not: text inside an element marked
`translate="no"` or `data-user-content` (people's data: ticket subjects and
messages, names, addresses, admin-made names; marking them is good HTML anyway,
it keeps browser translators off them), <script>, <style>, <template>, and
<code>/<kbd>/<samp>/<pre> (secrets, numbers, machine text).

English is recognised by words, not by a dictionary: `ENGLISH` holds common
English words that are NOT German words (no "die", "was", "will", "also",
"Name", "Status", "Team", "Link", "Not" ...), so German text never matches,
however it is written. A word in capitals only ("IT", "CSV", "US") is an
acronym and skipped.

Use: `german_context(browser)` for a context, `english_on(page)` after a
navigation for the findings, `assert_german(page)` to fail with them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from playwright.sync_api import Browser, BrowserContext, Page

# Common English words that are not German words (checked against German
# spelling, capitalised or not). Contractions are whole tokens ("don't").
_WORDS = """
    the and your you yours with this that these those has have had been being
    are is isn't aren't wasn't were of to from by please there here their they
    them what which when where why how who whose would should could can cannot
    can't don't doesn't didn't won't it's its into about after before any some
    more only no yes if or for on at be new open opened closed close save saved
    cancel sign signed search back help my ticket's tickets' address reply
    replies replied message messages notes subject customer customers priority
    department departments assigned assignee unassigned due overdue view hide
    edit delete remove removed add added create created updated today yesterday
    ago day days hour hours minutes week weeks month months year years time page
    pages first next previous settings profile language queue queues print
    select choose chosen enter click continue submit send sent received thank
    thanks sorry welcome error wrong try again later too many requests found
    allowed expired something went logged desk internal public claim escalate
    escalated resolve resolved reopen reopened merge merged attachment
    attachments file files state source other none nothing everyone nobody
    people we our us it he she his him should must may might need needs want
    get got does did done just then than because out up over under between
    during without within until since each every both either same own such
    well very less least few much one two three once recovery factor turn off
    make old phone agent agents report reports rating skip content instead
    already yet never always often shows shown showing read write written wait
    waiting while answer answered asked ask account accounts registered
    password passwords forgot confirm confirmed change changed changes checked
    mon tue wed thu fri sat sun monday tuesday wednesday thursday friday
    saturday sunday january february march june july october december pm typed
    forms go home keep kept lost let lets seen
    """
ENGLISH: frozenset[str] = frozenset(_WORDS.split())

# Words of English that are German too (kept out of ENGLISH on purpose), for
# whoever extends the list: an, am, also, all, as, bin, die, hat, her, in,
# lose, man, most, not, so, still, war, was, will; Name, Status, Team, Ticket,
# Link, Code, Codes, Filter, Export, Form, Type, Check, Reset, Register,
# Release, Minute, Server, Moment, Start, Test, Update, Login, Mail, Email,
# Admin, Administrator, Person, Show, See, Note, Date, List.

_COLLECT = """
() => {
  const SKIP = 'script, style, template, noscript, code, kbd, samp, pre';
  const PRIVATE = '[translate="no"], [data-user-content]';
  const where = el => {
    const parts = [];
    for (let e = el; e && e.nodeType === 1 && parts.length < 3; e = e.parentElement) {
      let part = e.tagName.toLowerCase();
      if (e.id) part += '#' + e.id;
      else if (e.classList.length) part += '.' + Array.from(e.classList).join('.');
      parts.unshift(part);
      if (e.id) break;
    }
    return parts.join(' > ');
  };
  const out = [];
  // The title cannot carry translate="no": people's words in it (a ticket's
  // subject) are left out where the page shows them marked as theirs.
  let title = document.title;
  for (const el of document.body.querySelectorAll(PRIVATE)) {
    const words = el.textContent.trim();
    if (words.length > 2) title = title.split(words).join(' ');
  }
  if (title.trim()) out.push({where: 'title', text: title});
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.nodeValue.trim();
    const el = node.parentElement;
    if (!text || !el || el.closest(SKIP) || el.closest(PRIVATE)) continue;
    out.push({where: where(el), text});
  }
  const ATTRS = ['title', 'aria-label', 'aria-description', 'placeholder', 'alt'];
  for (const el of document.body.querySelectorAll('*')) {
    if (el.closest(SKIP) || el.closest(PRIVATE)) continue;
    for (const name of ATTRS) {
      const value = el.getAttribute(name);
      if (value && value.trim()) out.push({where: `${where(el)} @${name}`, text: value.trim()});
    }
    const buttonish = el.tagName === 'INPUT' && ['submit', 'button', 'reset'].includes(el.type);
    if (buttonish && el.value) out.push({where: `${where(el)} @value`, text: el.value});
  }
  return out;
}
"""

APOSTROPHE = "\u2019"  # the typographic one, as in "don\u2019t"
_WORD = re.compile(r"[A-Za-zÀ-ÖØ-öø-ÿ]+(?:['\u2019][A-Za-z]+)?")


@dataclass(frozen=True)
class Finding:
    where: str  # a short CSS path of the element, or "title"
    text: str  # the text as shown (cut)
    words: tuple[str, ...]  # the English words in it

    def __str__(self) -> str:
        return f"{self.where}: {self.text[:120]!r} ({', '.join(self.words)})"


def english_words(text: str) -> list[str]:
    """The words of `text` that are English and not German."""
    found = []
    for word in _WORD.findall(text):
        if len(word) > 1 and word.isupper():
            continue  # an acronym: IT, CSV, SLA
        if word.lower().replace(APOSTROPHE, "'") in ENGLISH:
            found.append(word)
    return found


def english_on(page: Page) -> list[Finding]:
    findings = []
    for item in page.evaluate(_COLLECT):
        words = english_words(item["text"])
        if words:
            findings.append(Finding(item["where"], item["text"], tuple(dict.fromkeys(words))))
    return findings


def assert_german(page: Page, name: str = "") -> None:
    findings = english_on(page)
    lang = page.evaluate("() => document.documentElement.lang")
    problems = [str(f) for f in findings]
    if lang != "de":
        problems.insert(0, f'<html lang="{lang}">, not "de"')
    assert not problems, f"English on {name or page.url}:\n" + "\n".join(problems)


def german_context(browser: Browser) -> BrowserContext:
    """A browser whose language is German and that has chosen none on the site."""
    context = browser.new_context(locale="de-DE", extra_http_headers={"Accept-Language": "de"})
    context.set_default_timeout(10_000)
    return context
