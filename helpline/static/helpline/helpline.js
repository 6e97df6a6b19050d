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

  function initTabs(root) {
    root.querySelectorAll("[role=tablist]").forEach(function (list) {
      var tabs = list.querySelectorAll("[role=tab]");
      tabs.forEach(function (tab) {
        tab.addEventListener("click", function () {
          tabs.forEach(function (t) {
            var selected = t === tab;
            t.setAttribute("aria-selected", selected ? "true" : "false");
            var panel = document.getElementById(t.getAttribute("aria-controls"));
            if (panel) panel.hidden = !selected;
          });
        });
      });
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
      if (!form) return;
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
      if (before && !/\n$/.test(before)) text = "\n" + text;
      area.value = before + text + area.value.slice(at);
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
  document.addEventListener("DOMContentLoaded", function () {
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
