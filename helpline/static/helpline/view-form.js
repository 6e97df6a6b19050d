// The saved view's form (desk/saved_view_form.html): the ticked columns stay at
// the top in their order; ↑ and ↓ move one among them at once, and a column
// ticked joins the end of them. Without script each arrow is a button that sends
// the form back with the column moved (nothing saved); the order sent is the list's.
(function () {
  "use strict";

  function ticked(item) {
    var box = item.querySelector('input[type="checkbox"]');
    return !!(box && box.checked);
  }

  function chosen(list) {
    return Array.prototype.filter.call(list.children, ticked);
  }

  function refresh(list) {
    var items = chosen(list);
    items.forEach(function (item, i) {
      var up = item.querySelector('[data-move="up"]');
      var down = item.querySelector('[data-move="down"]');
      if (up) up.disabled = i === 0;
      if (down) down.disabled = i === items.length - 1;
    });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-move]");
    if (!button) return;
    var item = button.closest("li");
    var list = item && item.parentElement;
    if (!list) return;
    event.preventDefault();
    var items = chosen(list);
    var at = items.indexOf(item);
    if (button.getAttribute("data-move") === "up" && at > 0) {
      list.insertBefore(item, items[at - 1]);
    } else if (button.getAttribute("data-move") === "down" && at >= 0 && at < items.length - 1) {
      list.insertBefore(items[at + 1], item);
    }
    refresh(list);
    var focus = button.disabled ? item.querySelector("[data-move]:not([disabled])") : button;
    if (focus) focus.focus();
  });

  document.addEventListener("change", function (event) {
    var box = event.target;
    var list = box.closest && box.closest(".column-list");
    if (!list || box.type !== "checkbox") return;
    var item = box.closest("li");
    var others = chosen(list).filter(function (other) { return other !== item; });
    var last = others[others.length - 1];
    list.insertBefore(item, last ? last.nextElementSibling : list.firstElementChild);
    refresh(list);
  });

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".column-list").forEach(refresh);
  });
})();
