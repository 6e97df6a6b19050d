// The queue's selection bar (desk/_bulk_bar.html). Without script the bar is a
// plain form with every action's inputs shown; with it, the inputs wait until a
// ticket is ticked, only the chosen action's are shown, the count is kept, and
// ticking the whole page offers every ticket that matches the filters.
(function () {
  "use strict";

  function boxes() {
    return Array.prototype.slice.call(document.querySelectorAll('input[name="t"][form="bulk-form"]'));
  }

  function matchingChosen(form) {
    return !!form.querySelector('input[name="scope"][value="matching"]');
  }

  function update(form) {
    var all = boxes();
    var ticked = all.filter(function (box) { return box.checked; });
    var count = form.querySelector("[data-bulk-count]");
    var head = document.querySelector("[data-bulk-all]");
    var matching = form.querySelector("[data-bulk-matching]");
    var whole = ticked.length > 0 && ticked.length === all.length;
    if (head) {
      head.checked = whole;
      head.indeterminate = ticked.length > 0 && !whole;
    }
    if (matching) {
      matching.hidden = !whole;
      if (!whole && matchingChosen(form)) reset(matching);
    }
    if (!matchingChosen(form)) {
      count.textContent = ticked.length
        ? interpolate(ngettext("%(count)s ticket selected", "%(count)s tickets selected", ticked.length),
          { count: ticked.length.toLocaleString(document.documentElement.lang || undefined) }, true)
        : gettext("Tick tickets to act on several at once.");
    }
    form.classList.toggle("has-selection", ticked.length > 0);
    document.querySelectorAll("tr[data-ticket]").forEach(function (row) {
      var box = row.querySelector('input[name="t"]');
      row.classList.toggle("is-selected", !!(box && box.checked));
    });
  }

  // The "every ticket that matches" offer, as it was before it was taken.
  function reset(matching) {
    if (matching.dataset.offer !== undefined) {
      matching.innerHTML = matching.dataset.offer;
      if (window.htmx) window.htmx.process(matching);
    }
  }

  function showFields(form) {
    var select = form.querySelector('select[name="action"]');
    var action = select ? select.value : "";
    form.querySelectorAll("[data-bulk-for]").forEach(function (field) {
      var wanted = field.getAttribute("data-bulk-for").split(" ").indexOf(action) !== -1;
      field.hidden = !wanted;
    });
  }

  function init() {
    var form = document.querySelector("form[data-bulk]");
    if (!form || form.dataset.bulkReady) return;
    form.dataset.bulkReady = "1";
    form.classList.add("is-scripted");
    var matching = form.querySelector("[data-bulk-matching]");
    if (matching) matching.dataset.offer = matching.innerHTML;
    showFields(form);
    update(form);
    form.addEventListener("change", function (event) {
      if (event.target.name === "action") showFields(form);
    });
    form.addEventListener("click", function (event) {
      if (event.target.closest("[data-bulk-clear]")) {
        boxes().forEach(function (box) { box.checked = false; });
        if (matching) reset(matching);
        update(form);
      }
    });
    form.addEventListener("htmx:afterSwap", function () {
      if (matchingChosen(form)) {
        form.querySelector("[data-bulk-count]").textContent = "";
      }
    });
  }

  document.addEventListener("change", function (event) {
    var form = document.querySelector("form[data-bulk]");
    if (!form) return;
    var target = event.target;
    if (target.matches("[data-bulk-all]")) {
      boxes().forEach(function (box) { box.checked = target.checked; });
      update(form);
    } else if (target.matches('input[name="t"][form="bulk-form"]')) {
      update(form);
    }
  });
  // The queue's keys (the sheet with "?"): j and k move through the tickets, x
  // ticks one, Enter opens it, a and e start assigning or closing the ticked ones
  // (the ticket under the cursor if none is ticked). Not while typing in a box.
  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("#queue tr[data-ticket]"));
  }
  function current() {
    return document.querySelector("#queue tr[data-ticket].is-current");
  }
  function moveTo(row) {
    var was = current();
    if (was) { was.classList.remove("is-current"); was.removeAttribute("aria-current"); }
    if (!row) return;
    row.classList.add("is-current");
    row.setAttribute("aria-current", "true");
    if (!row.hasAttribute("tabindex")) row.setAttribute("tabindex", "-1");
    row.focus({ preventScroll: true });
    row.scrollIntoView({ block: "nearest" });
  }
  function startAction(action, focusId) {
    var form = document.querySelector("form[data-bulk]");
    var row = current();
    if (!form) return;
    var select = form.querySelector('select[name="action"]');
    if (!select || !select.querySelector('option[value="' + action + '"]')) {
      // Not one of this agent's actions (an agent may not assign in bulk).
      var count = form.querySelector("[data-bulk-count]");
      if (count) count.textContent = gettext("You may not do that to several tickets at once.");
      return;
    }
    var ticked = boxes().some(function (box) { return box.checked; });
    if (!ticked && row) {
      var box = row.querySelector('input[name="t"]');
      if (box) box.checked = true;
    }
    update(form);
    select.value = action;
    showFields(form);
    var field = document.getElementById(focusId);
    if (field) field.focus();
  }
  function typing(target) {
    if (!target) return false;
    if (target.isContentEditable || /^(SELECT|TEXTAREA)$/.test(target.tagName)) return true;
    return target.tagName === "INPUT" && !/^(checkbox|radio)$/.test(target.type);
  }
  // The keys act only with the focus on the queue (its section) or nowhere in
  // particular (the page itself): single letters elsewhere stay the page's.
  function onQueue(target) {
    return target === document.body || target === document.documentElement ||
      !!(target.closest && target.closest("[data-queue-keys]"));
  }
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    if (!onQueue(event.target)) return;
    var sheet = document.getElementById("queue-keys");
    if (event.key === "?") {
      if (sheet && sheet.showModal && !sheet.open) { event.preventDefault(); sheet.showModal(); }
      return;
    }
    var all = rows();
    if (!all.length) return;
    var row = current();
    var at = row ? all.indexOf(row) : -1;
    switch (event.key) {
      case "j": moveTo(all[Math.min(at + 1, all.length - 1)]); break;
      case "k": moveTo(all[Math.max(at - 1, 0)]); break;
      case "x":
        if (!row) return;
        var box = row.querySelector('input[name="t"]');
        if (box) { box.checked = !box.checked; box.dispatchEvent(new Event("change", { bubbles: true })); }
        break;
      case "Enter":
        // Only on the row itself: Enter on a link or a button is theirs.
        if (!row || event.target !== row) return;
        var link = row.querySelector("td.num a[href], td.subject a[href]");
        if (link) window.location.assign(link.href);
        break;
      case "a": startAction("assign", "bulk-agent"); break;
      case "e": startAction("close", "bulk-reason"); break;
      default: return;
    }
    event.preventDefault();
  });
  // The ticket page's "Back to tickets" returns to the list the agent came from
  // (a queue with its filters, a saved view, its page): kept for the tab.
  function rememberList() {
    try {
      window.sessionStorage.setItem("helpline.list", window.location.pathname + window.location.search);
    } catch (e) { /* storage refused: the link goes to the queues */ }
  }
  document.addEventListener("DOMContentLoaded", rememberList);
  document.addEventListener("htmx:pushedIntoHistory", rememberList);
  document.addEventListener("DOMContentLoaded", init);
  // The queue's table is swapped by the filters (htmx): a new bar comes with it.
  document.addEventListener("htmx:load", init);
})();
