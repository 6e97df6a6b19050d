// Show only the chosen help topic's own questions. Without this script every
// topic's questions show, each under its topic's name; the server reads only the
// chosen topic's answers either way.
(function () {
  "use strict";
  function sync(select) {
    var chosen = select.value;
    document.querySelectorAll("fieldset[data-topic]").forEach(function (fieldset) {
      fieldset.hidden = fieldset.getAttribute("data-topic") !== chosen;
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var select = document.querySelector("select[data-topic-select]");
    if (!select) return;
    select.addEventListener("change", function () { sync(select); });
    sync(select);
  });
})();
