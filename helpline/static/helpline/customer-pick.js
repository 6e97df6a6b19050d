// The new-ticket form's customer lookup: a picked customer without an email
// address (a caller taken on the phone before) is remembered in the hidden
// "customer" field, so the ticket goes to them and not to a new customer of the
// same name; picking anybody else empties it. helpline.js fills the visible
// fields. Without this script a caller without an address is a new customer.
//
// Typing a new lookup after a pick means looking for somebody else: the picked
// customer's fields are emptied (and the hidden one), so a lookup that finds
// nobody ("fill in the new customer's details below") never leaves the last
// pick's name, address and phone in the form to be sent as the new person's.
(function () {
  "use strict";
  var FIELDS = ["email", "name", "phone"];
  var picked = false;
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-fill-customer]");
    if (!button) return;
    // By id: helpline.js may already have taken the button out of the form.
    var hidden = document.getElementById("id_customer");
    if (hidden) hidden.value = button.getAttribute("data-customer") || "";
    picked = true;
  });
  document.addEventListener("input", function (event) {
    var lookup = event.target;
    if (!picked || !lookup || lookup.id !== "customer-lookup" || !lookup.form) return;
    if (!lookup.value.trim()) return;  // the box emptied: no new lookup yet
    picked = false;
    FIELDS.forEach(function (name) {
      var input = lookup.form.elements.namedItem(name);
      if (input) input.value = "";
    });
    var hidden = document.getElementById("id_customer");
    if (hidden) hidden.value = "";
  });
})();
