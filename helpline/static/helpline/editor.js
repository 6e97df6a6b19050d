// The desk's reply and note editor: Trix (vendor/trix) in place of the plain text
// box, for bold, italics, links, headings, quotes, code, lists and pictures pasted
// or dropped into the text. Without script the text box stays and sends plain text.
//
// The text box stays in the form, hidden, and holds what is sent: the editor's
// HTML, tidied (below), with body_format "html". The server sanitizes it like any
// HTML and keeps a plain-text copy for mail (tickets.lifecycle). Each change is
// copied into the box and announced as its "input", so the draft saves itself as
// it did (htmx on the box).
//
// A picture put into the text gets a Content-ID and goes with the form as one of
// inline_images (its id in inline_ids, in the same order); the HTML names it as
// <img src="cid:...">, as a mail with inline pictures does. It is never uploaded
// before the form is sent: Trix only shows it from the file (a blob: URL). Other
// files dropped on the editor join the form's attachments instead.
(function () {
  "use strict";
  if (!window.Trix) return;

  var PICTURES = ["image/png", "image/jpeg", "image/gif", "image/webp"];
  // Editor HTML starts with one of Trix's blocks; a plain-text draft (written
  // without script) does not, and is made into paragraphs first.
  var EDITOR_HTML = /^<(div|h1|ul|ol|blockquote|pre)[\s>]/;

  var lang = window.Trix.config.lang;
  [
    ["attachFiles", gettext("Attach pictures")],
    ["bold", gettext("Bold")],
    ["bullets", gettext("Bulleted list")],
    ["byte", gettext("byte")],
    ["bytes", gettext("bytes")],
    ["captionPlaceholder", gettext("Add a caption…")],
    ["code", gettext("Code")],
    ["heading1", gettext("Heading")],
    ["indent", gettext("Indent")],
    ["italic", gettext("Italic")],
    ["link", gettext("Link")],
    ["numbers", gettext("Numbered list")],
    ["outdent", gettext("Outdent")],
    ["quote", gettext("Quote")],
    ["redo", gettext("Redo")],
    ["remove", gettext("Remove")],
    ["strike", gettext("Strikethrough")],
    ["undo", gettext("Undo")],
    ["unlink", gettext("Unlink")],
    ["url", gettext("Web address")],
    ["urlPlaceholder", gettext("Type a web address…")]
  ].forEach(function (pair) { lang[pair[0]] = pair[1]; });

  function escapeText(text) {
    var div = document.createElement("div");
    div.textContent = text;
    return div.innerHTML;
  }

  // Plain text as the editor's HTML: one block, its lines kept.
  function textToHtml(text) {
    return text ? "<div>" + escapeText(text).replace(/\r?\n/g, "<br>") + "</div>" : "";
  }

  // HTML parsed where nothing runs or loads. Style attributes (Trix puts a few on
  // its own elements) are dropped first: parsing one here is refused by the
  // page's Content-Security-Policy, which reports it as an error.
  function parse(html) {
    var template = document.createElement("template");
    template.innerHTML = html.replace(/\sstyle="[^"]*"/gi, "");
    return template;
  }

  function newContentId() {
    var bytes = new Uint8Array(12);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("") + "@helpline";
  }

  function enhance(area) {
    var form = area.form;
    if (!form || area.dataset.enhanced) return;
    area.dataset.enhanced = "1";
    var format = form.elements.namedItem("body_format");
    var ids = form.elements.namedItem("inline_ids");
    var images = form.elements.namedItem("inline_images");
    var files = form.elements.namedItem("attachments");
    var pictures = {};  // Content-ID: File, of the pictures in the text
    // A form sent back (a conflict, a mistake) holds no files: the ids of the
    // pictures it had go with them, or the next send would not add up.
    if (ids) ids.value = "";
    if (images) images.value = "";

    var start = area.value;
    if (!(format && format.value === "html") && !EDITOR_HTML.test(start)) {
      start = textToHtml(start);
    }
    var holder = document.createElement("input");
    holder.type = "hidden";
    holder.id = area.id + "-editor-value";
    // A picture in a saved draft lost its file with the page: it is left out,
    // and the agent told so (below, once the editor is there).
    var template = parse(start);
    var lost = template.content.querySelectorAll('img[src^="cid:"]');
    lost.forEach(function (img) { img.remove(); });
    holder.value = template.innerHTML;
    area.value = holder.value;  // sent as it is if nothing is typed

    var editor = document.createElement("trix-editor");
    editor.id = area.id + "-editor";
    editor.setAttribute("input", holder.id);
    editor.className = "rich-editor";
    var label = form.querySelector('label[for="' + area.id + '"]');
    if (label) {
      var named = label.cloneNode(true);  // the words only, not the "required" star
      named.querySelectorAll(".required").forEach(function (star) { star.remove(); });
      editor.setAttribute("aria-label", named.textContent.trim());
      label.htmlFor = editor.id;
    }
    // The editor is the one required (Trix checks it as a form field does); a
    // hidden required box would stop the form without a word.
    if (area.required) editor.setAttribute("required", "");
    area.required = false;
    area.hidden = true;
    area.insertAdjacentElement("afterend", holder);
    holder.insertAdjacentElement("afterend", editor);
    if (lost.length) {
      var note = document.createElement("p");
      note.className = "alert alert-warning";
      note.setAttribute("role", "status");
      note.textContent = ngettext(
        "A picture pasted into this text was not kept with the draft: please paste it again.",
        "%(count)s pictures pasted into this text were not kept with the draft: please paste them again.",
        lost.length);
      note.textContent = interpolate(note.textContent, { count: lost.length }, true);
      editor.insertAdjacentElement("afterend", note);
    }
    if (format) format.value = "html";
    area.helplineEditor = {
      // A canned reply's text where the cursor is, on lines of its own: a line
      // break before it when the cursor follows text on its line, and after it
      // when text follows the cursor there (it was glued on: "John DoeDraft").
      // The document's string ends each block with "\n". Inserted as a string
      // (its line breaks as the editor's): no block of its own to merge.
      insertText: function (text) {
        var trix = editor.editor;
        var range = trix.getSelectedRange() || [0, 0];
        var whole = trix.getDocument().toString();
        var lines = text.replace(/\r\n?/g, "\n");
        if (range[0] > 0 && whole.charAt(range[0] - 1) !== "\n") lines = "\n" + lines;
        var end = range[0] + lines.length;
        trix.setSelectedRange(range);
        trix.insertString(lines);
        if (whole.charAt(range[1]) && whole.charAt(range[1]) !== "\n") {
          trix.setSelectedRange([end, end]);
          trix.insertString("\n");
        }
        trix.setSelectedRange([end, end]);
        editor.focus();
      },
      // The box holds the editor's text as it is now (helpline.js, before the
      // draft is sent as the page is left): Trix copies it on its next render.
      sync: function () {
        if (editor.editorController && editor.editorController.render) editor.editorController.render();
      }
    };

    function syncPictures() {
      var list = new DataTransfer();
      var names = [];
      Object.keys(pictures).forEach(function (id) {
        list.items.add(pictures[id]);
        names.push(id);
      });
      if (images) images.files = list.files;
      if (ids) ids.value = names.join(" ");
    }

    // The editor's HTML as sent: each picture as <img src="cid:..."> with its
    // caption or name as the alternative text, Trix's wrappers and data left out.
    function tidy(html) {
      var doc = parse(html);
      doc.content.querySelectorAll("figure").forEach(function (figure) {
        var data = {};
        try { data = JSON.parse(figure.getAttribute("data-trix-attachment") || "{}"); } catch (e) { data = {}; }
        var attributes = {};
        try { attributes = JSON.parse(figure.getAttribute("data-trix-attributes") || "{}"); } catch (e) { attributes = {}; }
        if (data.contentId && pictures[data.contentId]) {
          var img = document.createElement("img");
          img.src = "cid:" + data.contentId;
          img.alt = attributes.caption || data.filename || "";
          figure.replaceWith(img);
        } else {
          figure.remove();
        }
      });
      return doc.innerHTML;
    }

    // The toolbar is one stop on the keyboard's way (the ARIA toolbar pattern):
    // Tab reaches one of its buttons, the last one used (Trix takes them all out
    // of the tab order, leaving only its keyboard shortcuts); the arrow keys,
    // Home and End move between them. A button Trix disables (Undo with nothing
    // to undo) cannot hold the stop: the first enabled one takes it. Its
    // toolbar may be made before this runs or after (Trix defines its elements
    // late): both ways.
    var current = null;  // the button in the tab order
    function toolbarButtons() {
      if (!editor.toolbarElement) return [];
      return Array.prototype.filter.call(
        editor.toolbarElement.querySelectorAll(".trix-button-row button.trix-button"),
        function (b) { return !b.disabled; });
    }
    function rove(to) {
      var buttons = toolbarButtons();
      if (!buttons.length) return;
      if (buttons.indexOf(to) === -1) to = buttons.indexOf(current) !== -1 ? current : buttons[0];
      current = to;
      editor.toolbarElement.querySelectorAll("button.trix-button").forEach(function (b) {
        b.tabIndex = b === to ? 0 : -1;
      });
    }
    function tabbableToolbar() {
      if (!editor.toolbarElement || editor.toolbarElement.dataset.roving) return;
      var toolbar = editor.toolbarElement;
      toolbar.dataset.roving = "1";
      var row = toolbar.querySelector(".trix-button-row");
      if (row) {
        row.setAttribute("role", "toolbar");
        row.setAttribute("aria-label", gettext("Formatting"));
        row.setAttribute("aria-controls", editor.id);
      }
      rove(null);
      toolbar.addEventListener("focusin", function (event) {
        if (event.target.matches && event.target.matches(".trix-button-row button.trix-button")) rove(event.target);
      });
      toolbar.addEventListener("keydown", function (event) {
        var buttons = toolbarButtons();
        var at = buttons.indexOf(event.target);
        if (at === -1 || event.altKey || event.ctrlKey || event.metaKey) return;
        var to;
        if (event.key === "ArrowRight") to = (at + 1) % buttons.length;
        else if (event.key === "ArrowLeft") to = (at - 1 + buttons.length) % buttons.length;
        else if (event.key === "Home") to = 0;
        else if (event.key === "End") to = buttons.length - 1;
        else return;
        event.preventDefault();
        rove(buttons[to]);
        buttons[to].focus();
      });
      // Trix turns buttons on and off as the text and the selection change.
      new MutationObserver(function () { rove(current); }).observe(toolbar, {
        subtree: true, attributes: true, attributeFilter: ["disabled"]
      });
    }
    editor.addEventListener("trix-initialize", tabbableToolbar);
    tabbableToolbar();
    setTimeout(tabbableToolbar, 0);
    // Trix acts on a button's mousedown (so a click keeps the editor's
    // selection): Enter or Space on a focused button does the same.
    document.addEventListener("keydown", function (event) {
      var button = event.target;
      if ((event.key !== "Enter" && event.key !== " ") || !button.matches ||
          !button.matches("button.trix-button") || !editor.toolbarElement ||
          !editor.toolbarElement.contains(button)) return;
      event.preventDefault();
      button.dispatchEvent(new MouseEvent("mousedown", { bubbles: true, cancelable: true }));
    });
    // A link made with nothing selected: Trix would make the next words typed
    // the link; the address itself becomes the linked text instead.
    document.addEventListener("click", function (event) {
      var button = event.target.closest && event.target.closest('.trix-dialog--link [data-trix-method="setAttribute"]');
      if (!button || !editor.toolbarElement || !editor.toolbarElement.contains(button)) return;
      var range = editor.editor.getSelectedRange();
      if (range[0] !== range[1]) return;
      var input = editor.toolbarElement.querySelector('.trix-dialog--link input[name="href"]');
      if (!input || !input.value.trim() || !input.checkValidity()) return;
      event.preventDefault();
      event.stopPropagation();
      var address = input.value.trim();
      input.value = "";
      // Closing the dialog first gives the editor its cursor back (Trix keeps
      // the selection while a dialog is open); the link goes in there.
      var linkButton = editor.toolbarElement.querySelector('[data-trix-action="link"]');
      if (linkButton) linkButton.click();
      editor.focus();
      editor.editor.setSelectedRange(range);
      editor.editor.insertHTML('<a href="' + escapeText(address).replace(/"/g, "&quot;") + '">' + escapeText(address) + "</a>");
      editor.editor.deactivateAttribute("href");
      editor.editor.insertString(" ");
    }, true);

    editor.addEventListener("trix-change", function () {
      area.value = tidy(holder.value);
      area.dispatchEvent(new Event("input", { bubbles: true }));
    });
    // A file that is not a picture goes with the reply's attachments.
    editor.addEventListener("trix-file-accept", function (event) {
      if (PICTURES.indexOf(event.file.type) !== -1) return;
      event.preventDefault();
      if (!files) return;
      var list = new DataTransfer();
      Array.prototype.forEach.call(files.files, function (f) { list.items.add(f); });
      list.items.add(event.file);
      files.files = list.files;
      files.dispatchEvent(new Event("change", { bubbles: true }));
    });
    editor.addEventListener("trix-attachment-add", function (event) {
      var attachment = event.attachment;
      if (!attachment.file) return;
      var id = newContentId();
      pictures[id] = attachment.file;
      // An href makes Trix count the picture as placed (not waiting for an
      // upload), so it stays in the HTML; nothing loads it.
      attachment.setAttributes({ contentId: id, href: "cid:" + id });
      syncPictures();
    });
    editor.addEventListener("trix-attachment-remove", function (event) {
      var id = event.attachment.getAttribute("contentId");
      if (id && pictures[id]) {
        delete pictures[id];
        syncPictures();
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("textarea[data-rich-editor]").forEach(enhance);
  });
})();
