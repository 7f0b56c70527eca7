// Attachment fields: each chosen file is uploaded at once (POST to the widget's data-upload-url,
// CSRF token as a header); the server answers with the file's row (a hidden input holding its
// upload id) or the reason it was refused, which goes into the list. The form itself then posts
// the ids like any other field. Removing a row drops its id; either way the form re-checks itself.
(function () {
  "use strict";

  function csrfToken() {
    var carrier = document.querySelector("[hx-headers\\:inherited]");
    try { return JSON.parse(carrier.getAttribute("hx-headers:inherited"))["X-CSRF-Token"] || ""; }
    catch (e) { return ""; }
  }

  function changed(widget) {
    widget.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function rowFrom(html) {
    var holder = document.createElement("template");
    holder.innerHTML = html.trim();
    return holder.content.firstElementChild;
  }

  function upload(widget, file) {
    var list = widget.querySelector(".attachment-list");
    var pending = document.createElement("li");
    pending.className = "attachment pending";
    pending.textContent = file.name;
    list.appendChild(pending);
    var body = new FormData();
    body.append("file", file, file.name);
    return fetch(widget.dataset.uploadUrl, {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "X-CSRF-Token": csrfToken(), "HX-Request": "true" }
    }).then(function (response) { return response.text().then(function (text) {
      var row = rowFrom(text);  // in the place the file was chosen in, however the uploads finish
      if (row) pending.replaceWith(row); else pending.remove();
      return row && !row.classList.contains("refused");
    }); }).catch(function () { pending.textContent = file.name + " ✕"; return false; });
  }

  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches(".field-attachment input[type=file]")) return;
    event.stopPropagation();  // the file itself is not form data; its upload id will be
    var widget = input.closest(".field-attachment");
    var files = Array.prototype.slice.call(input.files);
    input.value = "";
    Promise.all(files.map(function (file) { return upload(widget, file); })).then(function (results) {
      if (results.some(Boolean)) changed(widget);
    });
  }, true);

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest(".attachment-remove");
    if (!button) return;
    var widget = button.closest(".field-attachment");
    var row = button.closest(".attachment");
    var held = row && !row.classList.contains("refused");
    if (row) row.remove();
    if (widget && held) changed(widget);
  });
})();
