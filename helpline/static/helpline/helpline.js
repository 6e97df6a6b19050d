// Helpline's few lines of page behaviour. Everything works without it; this adds
// the viewer's time zone, tabs and priority colours. (topic-fields.js shows the help
// topic's own questions.)
(function () {
  "use strict";
  try {
    var tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (tz && document.cookie.indexOf("tz=" + tz) === -1) {
      document.cookie = "tz=" + encodeURIComponent(tz) + "; path=/; max-age=31536000; SameSite=Lax";
    }
  } catch (e) { /* no Intl: the server's time zone is used */ }

  // Tabs (the ticket page's Reply and Internal note) follow the ARIA tabs
  // pattern: only the selected tab is in the Tab order, so Tab goes on into its
  // panel; the arrow keys (and Home, End) move to another tab and select it.
  var TAB_MOVES = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 };
  function initTabs(root) {
    root.querySelectorAll("[role=tablist]").forEach(function (list) {
      var tabs = Array.prototype.slice.call(list.querySelectorAll("[role=tab]"));
      function select(tab) {
        tabs.forEach(function (t) {
          var selected = t === tab;
          t.setAttribute("aria-selected", selected ? "true" : "false");
          t.tabIndex = selected ? 0 : -1;
          var panel = document.getElementById(t.getAttribute("aria-controls"));
          if (panel) panel.hidden = !selected;
        });
      }
      tabs.forEach(function (tab) {
        tab.addEventListener("click", function () { select(tab); });
      });
      list.addEventListener("keydown", function (event) {
        var at = tabs.indexOf(event.target);
        if (at === -1 || event.altKey || event.ctrlKey || event.metaKey) return;
        var to;
        if (event.key === "Home") to = 0;
        else if (event.key === "End") to = tabs.length - 1;
        else if (Object.prototype.hasOwnProperty.call(TAB_MOVES, event.key)) {
          to = (at + TAB_MOVES[event.key] + tabs.length) % tabs.length;
        } else return;
        event.preventDefault();
        select(tabs[to]);
        tabs[to].focus();
      });
      // The page chose the selected tab (the one a form sent back is on).
      var chosen = tabs.filter(function (t) { return t.getAttribute("aria-selected") === "true"; });
      var current = chosen[0] || tabs[0];
      tabs.forEach(function (t) { t.tabIndex = t === current ? 0 : -1; });
    });
  }
  // A priority's colour is data (set in the admin), and the Content-Security-Policy
  // refuses style attributes: the colour travels in data-prio-color and is set
  // through the CSSOM, which the policy allows. Without script the dot is grey.
  function paintPriorities(root) {
    root.querySelectorAll("[data-prio-color]").forEach(function (el) {
      el.style.setProperty("--prio", el.getAttribute("data-prio-color"));
    });
  }
  // A double click on a form's button sends the form once: a second submit of a
  // form already on its way is dropped (the page it leads to replaces this one).
  // Coming back to the page (back button, bfcache) sends it again on request.
  function guardDoubleSubmit() {
    document.addEventListener("submit", function (event) {
      var form = event.target;
      if (!(form instanceof HTMLFormElement) || form.method.toLowerCase() !== "post") return;
      if (form.hasAttribute("hx-post") || form.hasAttribute("data-hx-post")) return;
      if (form.dataset.sending === "1") {
        event.preventDefault();
        return;
      }
      form.dataset.sending = "1";
      // A form that leaves the page where it is (a download) may be sent again later.
      setTimeout(function () { delete form.dataset.sending; }, 15000);
    });
    window.addEventListener("pageshow", function () {
      document.querySelectorAll("form[data-sending]").forEach(function (form) {
        delete form.dataset.sending;
      });
    });
  }
  // Ctrl+Enter (Cmd+Enter on a Mac) in a form marked data-send-shortcut sends it,
  // as the button would: the browser's checks and the double-submit guard apply.
  function sendShortcut() {
    document.addEventListener("keydown", function (event) {
      if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey) || event.isComposing) return;
      var target = event.target;
      var form = target && target.closest ? target.closest("form[data-send-shortcut]") : null;
      // Not from a search box inside the form (the canned replies' search, and
      // the buttons of what it found): Ctrl+Enter there is no "send".
      if (!form || target.closest("input[type=search], .canned-picker")) return;
      event.preventDefault();
      // The rich editor copies its text into the form's field when it next draws
      // (an animation frame): sending now could leave out the last keystrokes, or
      // find a required box still empty and send nothing. So wait for that frame.
      requestAnimationFrame(function () {
        setTimeout(function () {
          if (form.requestSubmit) form.requestSubmit(); else form.submit();
        }, 0);
      });
    });
  }
  // A text box with a limit says so as the limit nears, and when a paste was cut
  // at it (the browser drops what is beyond maxlength without a word).
  function watchLimits(root) {
    var lang = document.documentElement.lang || undefined;
    root.querySelectorAll("textarea[maxlength]").forEach(function (area) {
      var limit = parseInt(area.getAttribute("maxlength"), 10);
      if (!limit || area.dataset.limitWatched) return;
      area.dataset.limitWatched = "1";
      var note = document.createElement("div");
      note.className = "help limit-note";
      note.setAttribute("aria-live", "polite");
      area.insertAdjacentElement("afterend", note);
      function update() {
        var used = area.value.length;
        note.classList.toggle("limit-reached", used >= limit);
        if (used >= limit) {
          note.textContent = interpolate(
            gettext("This box holds %(limit)s characters at most; anything beyond that was not added."),
            { limit: limit.toLocaleString(lang) }, true);
        } else if (used > limit * 0.9) {
          note.textContent = interpolate(gettext("%(left)s characters left"),
            { left: (limit - used).toLocaleString(lang) }, true);
        } else {
          note.textContent = "";
        }
      }
      area.addEventListener("input", update);
      update();
    });
  }
  // The desk's search box: "/" anywhere but in a text field goes to it (the
  // results page's own box first); Escape, or a click elsewhere, closes its
  // suggestions, which the arrow keys walk.
  function searchShortcut() {
    var header = document.getElementById("header-search");
    if (!header) return;
    var box = document.getElementById("search-suggestions");
    document.addEventListener("keydown", function (event) {
      if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
      var t = event.target;
      if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) return;
      event.preventDefault();
      var target = document.getElementById("search-q") || header;
      target.focus();
      target.select();
    });
    function close() { if (box) box.innerHTML = ""; }
    // Escape closes the suggestions and keeps the text (a search box's own
    // Escape, which empties it, only once they are closed).
    header.addEventListener("keydown", function (event) {
      if (event.key !== "Escape" || !box || !box.innerHTML.trim()) return;
      event.preventDefault();
      close();
    });
    // Up and down arrows walk the suggestions' links, from the box and back to
    // it; Escape on a link closes them and returns to the box.
    function links() { return box ? Array.prototype.slice.call(box.querySelectorAll("a")) : []; }
    header.form.addEventListener("keydown", function (event) {
      var all = links();
      if (!all.length) return;
      var at = all.indexOf(document.activeElement);
      if (event.key === "ArrowDown") {
        event.preventDefault();
        all[Math.min(at + 1, all.length - 1)].focus();
      } else if (event.key === "ArrowUp" && at >= 0) {
        event.preventDefault();
        if (at === 0) header.focus(); else all[at - 1].focus();
      } else if (event.key === "Escape" && at >= 0) {
        close();
        header.focus();
      }
    });
    document.addEventListener("click", function (event) {
      if (box && !header.form.contains(event.target)) close();
    });
  }
  // The new-ticket form's customer lookup: a picked customer fills the fields.
  function fillCustomer() {
    // Enter in the lookup box looks up (htmx) instead of sending the whole form.
    document.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && event.target && event.target.id === "customer-lookup") {
        event.preventDefault();
      }
    });
    document.addEventListener("click", function (event) {
      var button = event.target.closest && event.target.closest("[data-fill-customer]");
      if (!button) return;
      var form = button.form;
      ["email", "name", "phone"].forEach(function (name) {
        var input = form && form.elements.namedItem(name);
        if (input) input.value = button.getAttribute("data-" + name) || "";
      });
      var matches = document.getElementById("customer-matches");
      if (matches) matches.innerHTML = "";
      var subject = form && form.elements.namedItem("subject");
      if (subject) subject.focus();
    });
  }
  // The reply box's canned replies: a picked one's text goes in where the cursor
  // was (and is saved as a draft like typed text); its files join the reply as
  // hidden fields, each with a button that takes it out again.
  function cannedReplies() {
    document.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && event.target && event.target.id === "canned-q") {
        event.preventDefault();
      }
    });
    document.addEventListener("focusout", function (event) {
      var area = event.target;
      if (area && area.id === "reply-body") area.setAttribute("data-caret", area.selectionStart);
    });
    document.addEventListener("click", function (event) {
      var remove = event.target.closest && event.target.closest("[data-canned-remove]");
      if (remove) {
        remove.closest("li").remove();
        filesChanged();
        return;
      }
      var button = event.target.closest && event.target.closest("[data-canned-pick]");
      var area = document.getElementById("reply-body");
      if (!button || !area) return;
      var text = button.getAttribute("data-text") || "";
      if (area.helplineEditor) {
        area.helplineEditor.insertText(text);  // the editor (editor.js), where its cursor is
      } else {
        insertAtCaret(area, text);
      }
      addCannedFiles(button);
      filesChanged();
      var results = document.getElementById("canned-results");
      if (results) results.innerHTML = "";
      var search = document.getElementById("canned-q");
      if (search) search.value = "";
      if (!area.helplineEditor) area.focus();
    });
    function insertAtCaret(area, text) {
      var caret = area.getAttribute("data-caret");
      var at = caret === null ? area.value.length : Math.min(+caret, area.value.length);
      var before = area.value.slice(0, at);
      var after = area.value.slice(at);
      // Lines of its own: after the text before the cursor, before the text after it.
      if (before && !/\n$/.test(before)) text = "\n" + text;
      area.value = before + text + (after && !/^\n/.test(after) ? "\n" : "") + after;
      area.selectionStart = area.selectionEnd = before.length + text.length;
      area.setAttribute("data-caret", area.selectionStart);
      area.dispatchEvent(new Event("input", { bubbles: true }));
    }
    // The draft keeps the picked files too (the box's hx-trigger listens).
    function filesChanged() {
      var box = document.getElementById("reply-body");
      if (box) box.dispatchEvent(new Event("canned-change"));
    }
    function addCannedFiles(button) {
      var list = document.getElementById("canned-files");
      JSON.parse(button.getAttribute("data-files") || "[]").forEach(function (file) {
        if (!list || list.querySelector('input[value="' + file.id + '"]')) return;
        var item = document.createElement("li");
        var input = document.createElement("input");
        input.type = "hidden";
        input.name = "canned_files";
        input.value = file.id;
        var name = document.createElement("span");
        name.setAttribute("translate", "no");
        name.textContent = "\ud83d\udcce " + file.name;
        var drop = document.createElement("button");
        drop.type = "button";
        drop.className = "btn btn-small";
        drop.setAttribute("data-canned-remove", "");
        drop.setAttribute("aria-label", interpolate(gettext("Remove %(name)s"), { name: file.name }, true));
        drop.textContent = gettext("Remove");
        item.append(input, name, " ", drop);
        list.appendChild(item);
      });
    }
  }
  // The reply's signature: the choice fills the box with that signature's text
  // (then editable); "No signature" empties it.
  function signatureChoice() {
    document.addEventListener("change", function (event) {
      var select = event.target;
      if (!select || !select.matches || !select.matches("[data-signature-choice]")) return;
      var box = document.getElementById("reply-signature");
      var option = select.options[select.selectedIndex];
      if (box && option) box.value = option.getAttribute("data-text") || "";
    });
  }
  // A page sent in answer to a form (a reply refused because the ticket changed
  // meanwhile) stands at the form's address (/desk/tickets/N/reply/), which
  // answers no GET: reloading or bookmarking it led to a "cannot be opened this
  // way" page. Such a page names its own address in data-page-url, and the
  // address bar is set to it in place (no new history entry, nothing loaded).
  function pageAddress() {
    var page = document.querySelector("[data-page-url]");
    if (!page || !window.history.replaceState) return;
    var url = page.getAttribute("data-page-url") || "";
    // A path of this site only ("//host" would be another one's).
    if (!/^\/(?![\/\\])/.test(url) || window.location.pathname === url) return;
    window.history.replaceState(window.history.state, "", url + window.location.hash);
  }
  // A reply or note box saves itself as a draft a moment after typing stops
  // (htmx, 0.8 s after the last change; views.ticket._draft_attrs). Leaving the
  // page within that moment (a reload, a link, closing the tab, switching apps
  // on a phone) lost the last words. So a box whose last changes the server has
  // not confirmed is sent once more as the page is left or hidden: fetch with
  // keepalive (the request outlives the page) to the box's own address, with its
  // fields and the form's CSRF token. A reload may read the drafts before that
  // request is served, so the words are also kept in this tab's sessionStorage
  // for KEPT_SECONDS; the page that opens next takes them if its box holds
  // something else, and saves them. A form on its way (sent) keeps nothing: its
  // answer discards the draft, which must not come back.
  var KEPT_PREFIX = "helpline:draft:";
  var KEPT_SECONDS = 30;
  function isDraftBox(element) {
    return !!(element && element.matches && element.matches("textarea[data-rich-editor][hx-post]"));
  }
  function keptKey(box) { return KEPT_PREFIX + box.getAttribute("hx-post"); }
  // At the script's start, before the editor (editor.js) reads its box.
  function takeKeptDrafts() {
    var taken = [];
    document.querySelectorAll("textarea[data-rich-editor][hx-post]").forEach(function (box) {
      var kept = null;
      try {
        kept = JSON.parse(window.sessionStorage.getItem(keptKey(box)) || "null");
        window.sessionStorage.removeItem(keptKey(box));
      } catch (e) { return; }  // no storage (a private window's rules)
      if (!kept || typeof kept.body !== "string" || !(Date.now() - kept.at < KEPT_SECONDS * 1000)) return;
      if (kept.body === box.value) return;  // the save arrived first
      box.value = kept.body;
      taken.push(box);
    });
    return taken;
  }
  var keptDrafts = takeKeptDrafts();
  function keepDraftsOnLeaving() {
    var states = new Map();  // box: counts of its changes, sent, and confirmed saved
    function state(box) {
      if (!states.has(box)) states.set(box, { changes: 0, sending: 0, saved: 0 });
      return states.get(box);
    }
    function forget(box) {
      try { window.sessionStorage.removeItem(keptKey(box)); } catch (e) { /* none kept */ }
    }
    function changed(event) { if (isDraftBox(event.target)) state(event.target).changes += 1; }
    document.addEventListener("input", changed);
    document.addEventListener("canned-change", changed, true);  // a canned file picked or removed
    document.addEventListener("htmx:beforeRequest", function (event) {
      var box = event.detail && event.detail.elt;
      if (isDraftBox(box)) state(box).sending = state(box).changes;
    });
    document.addEventListener("htmx:afterRequest", function (event) {
      var box = event.detail && event.detail.elt;
      if (!isDraftBox(box) || !event.detail.successful) return;
      var seen = state(box);
      seen.saved = Math.max(seen.saved, seen.sending);
      if (seen.saved >= seen.changes) forget(box);
    });
    function send(box) {
      var form = box.form;
      if (!form || form.dataset.sending === "1") return;
      var wanted = (box.getAttribute("hx-params") || "body").split(",").map(function (name) {
        return name.trim();
      });
      var data = new FormData();
      new FormData(form).forEach(function (value, name) {
        if (typeof value === "string" && wanted.indexOf(name) !== -1) data.append(name, value);
      });
      var token = form.elements.namedItem("csrfmiddlewaretoken");
      try {
        window.sessionStorage.setItem(keptKey(box), JSON.stringify({ body: box.value, at: Date.now() }));
      } catch (e) { /* full, or none: the request below still goes */ }
      try {
        window.fetch(box.getAttribute("hx-post"), {
          method: "POST",
          body: data,
          keepalive: true,
          credentials: "same-origin",
          headers: token ? { "X-CSRFToken": token.value } : {}
        }).then(function (response) { if (response.ok) forget(box); }, function () { /* kept above */ });
      } catch (e) { /* over keepalive's size: kept above */ }
    }
    function leave() {
      // Each editor copies its text into its box first: a box typed into
      // since the editor last drew has had no "input" yet, so it would not be
      // counted as changed (keys typed, then a reload, within one frame).
      // Not a form on its way: its words went with it (and drawing its editor
      // again as the page goes would load its pictures' blob: files once more).
      document.querySelectorAll("textarea[data-rich-editor][hx-post]").forEach(function (box) {
        if (box.form && box.form.dataset.sending === "1") return;
        if (box.helplineEditor && box.helplineEditor.sync) box.helplineEditor.sync();
      });
      states.forEach(function (seen, box) {
        if (seen.saved >= seen.changes) return;
        send(box);
        seen.saved = seen.changes;  // not again on the next hide, unless typed on
      });
    }
    // A form sent: its boxes' words go with it, and its answer discards the
    // draft. Nothing of them is kept or sent again on leaving (a copy kept from
    // an earlier hide would otherwise bring the sent text back on the next page).
    document.addEventListener("submit", function (event) {
      var form = event.target;
      if (!(form instanceof HTMLFormElement)) return;
      form.querySelectorAll("textarea[data-rich-editor][hx-post]").forEach(function (box) {
        forget(box);
        var seen = state(box);
        seen.saved = seen.changes;
      });
    });
    // beforeunload comes before a reload's request; pagehide and a hidden page
    // cover the rest (a phone that never unloads, a tab closed).
    window.addEventListener("beforeunload", leave);
    window.addEventListener("pagehide", leave);
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden") leave();
    });
    // Words taken from the last page: saved as if typed just now.
    keptDrafts.forEach(function (box) { box.dispatchEvent(new Event("input", { bubbles: true })); });
  }
  // A button that destroys something asks first (its data-confirm says what).
  function confirmFirst() {
    document.addEventListener("click", function (event) {
      var button = event.target.closest && event.target.closest("[data-confirm]");
      if (button && !window.confirm(button.getAttribute("data-confirm"))) event.preventDefault();
    });
  }
  // "Download CSV" beside a list's filters is a submit button with a formaction
  // (it works without script). htmx remembers the last button of a form that was
  // clicked or focused and sends the form's next request (a filter's change) to
  // that button's formaction: the file, loaded into the page. So the button's
  // clicks and focus never reach htmx (caught first, on the way down), and the
  // click downloads the file of the filters as they are now.
  function exportButtons() {
    function exportButton(event) {
      return event.target.closest && event.target.closest("[data-export]");
    }
    document.addEventListener("focusin", function (event) {
      if (exportButton(event)) event.stopPropagation();
    }, true);
    document.addEventListener("click", function (event) {
      var button = exportButton(event);
      if (!button || !button.form) return;
      event.stopPropagation();
      event.preventDefault();
      var query = new URLSearchParams();
      new FormData(button.form).forEach(function (value, key) {
        if (value) query.append(key, value);
      });
      window.location.assign(button.getAttribute("formaction") + "?" + query.toString());
    }, true);
  }
  // "Back to tickets": the list the agent opened the ticket from (queue.js keeps it).
  function backToList() {
    var kept = null;
    try { kept = window.sessionStorage.getItem("helpline.list"); } catch (e) { return; }
    if (!kept || !/^\/desk\/(queues\/[\w-]+\/|views\/\d+\/)?(\?|$)/.test(kept)) return;
    document.querySelectorAll("a[data-back-to-list]").forEach(function (link) { link.href = kept; });
  }
  pageAddress();
  document.addEventListener("DOMContentLoaded", function () {
    backToList();
    keepDraftsOnLeaving();
    exportButtons();
    searchShortcut();
    cannedReplies();
    signatureChoice();
    confirmFirst();
    fillCustomer();
    initTabs(document);
    paintPriorities(document);
    guardDoubleSubmit();
    sendShortcut();
    watchLimits(document);
  });
  // The ticket page's presence poll says nothing while its tab is hidden: an
  // agent with ten tabs open is on the one they look at.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail && event.detail.elt;
    if (elt && elt.id === "presence" && document.hidden) event.preventDefault();
  });
  // Queue rows swapped in by htmx (the desk's filters).
  document.addEventListener("htmx:load", function (event) { paintPriorities(event.target); });
})();
