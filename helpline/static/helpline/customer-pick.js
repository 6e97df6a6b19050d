// The new-ticket form's customer lookup: a picked customer without an email
// address (a caller taken on the phone before) is remembered in the hidden
// "customer" field, so the ticket goes to them and not to a new customer of the
// same name; picking anybody else empties it. helpline.js fills the visible
// fields. Without this script a caller without an address is a new customer.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-fill-customer]");
    if (!button) return;
    // By id: helpline.js may already have taken the button out of the form.
    var picked = document.getElementById("id_customer");
    if (picked) picked.value = button.getAttribute("data-customer") || "";
  });
})();
