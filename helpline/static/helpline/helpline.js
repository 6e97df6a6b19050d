// Helpline's few lines of page behaviour. Everything works without it; this adds
// the viewer's time zone and tabs. (The portal's topic-fields.js shows the help
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
  document.addEventListener("DOMContentLoaded", function () { initTabs(document); });
})();
