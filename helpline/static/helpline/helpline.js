// Helpline's few lines of page behaviour. Everything works without it; this adds
// the viewer's time zone, tabs and priority colours. (The portal's topic-fields.js shows the help
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
  document.addEventListener("DOMContentLoaded", function () {
    initTabs(document);
    paintPriorities(document);
  });
  // Queue rows swapped in by htmx (the desk's filters).
  document.addEventListener("htmx:load", function (event) { paintPriorities(event.target); });
})();
