// The form designer's drag and drop, focus keeping and preview width. Everything here is an
// enhancement: every action is also a button that posts a plain form.
(function () {
  "use strict";

  var lastFocus = null; // {id, target} of what had focus when a request left

  function designer() { return document.getElementById("form-designer"); }

  function key() { var d = designer(); return d ? d.dataset.key : ""; }

  // A drop posts from an empty element of the workspace, so only the operation's own values and
  // the preview's sample data go with it, never the inputs of the cards' forms.
  function post(url, values, sortables) {
    sortables.forEach(function (s) { s.option("disabled", true); });
    var done = function () { sortables.forEach(function (s) { s.option("disabled", false); }); };
    var samples = document.getElementById("preview-form");
    if (samples) new FormData(samples).forEach(function (value, name) { if (!(name in values)) values[name] = value; });
    var request = htmx.ajax("POST", url, {source: "#drop-source", target: "#workspace", swap: "outerMorph", values: values});
    if (request && request.finally) request.finally(done); else done();
  }

  function fieldsUrl(target) {
    return "/designer/forms/" + encodeURIComponent(key()) + "/fields" + (target ? "/" + target : "");
  }

  function initCanvas(list) {
    if (Sortable.get(list)) return;
    var sortable = Sortable.create(list, {
      group: {name: "fields", pull: false, put: ["palette"]},
      draggable: ".fd-card",
      filter: "button, input, select, textarea, .fd-insert",
      preventOnFilter: false,
      animation: 150,
      onAdd: function (event) {
        var kind = event.item.dataset.type;
        event.item.remove();
        post(fieldsUrl(""), {type: kind, index: String(event.newIndex)}, [sortable]);
      },
      onUpdate: function (event) {
        post(fieldsUrl(event.item.dataset.target) + "/move", {to: String(event.newIndex)}, [sortable]);
      }
    });
  }

  function initColumns(list) {
    if (Sortable.get(list)) return;
    var sortable = Sortable.create(list, {
      group: {name: "columns-" + list.id, pull: false, put: false},
      draggable: ".fd-column",
      filter: "button, input, select, textarea",
      preventOnFilter: false,
      animation: 150,
      onUpdate: function (event) {
        post(fieldsUrl(event.item.dataset.target) + "/move", {to: String(event.newIndex)}, [sortable]);
      }
    });
  }

  function initPalette(list) {
    if (Sortable.get(list)) return;
    Sortable.create(list, {
      group: {name: "palette", pull: "clone", put: false},
      sort: false,
      draggable: ".fd-type-item",
      filter: "input",
      preventOnFilter: false
    });
  }

  function init(root) {
    if (!designer() || typeof Sortable === "undefined") return;
    var scope = root && root.querySelectorAll ? root : document;
    if (scope !== document && !designer().contains(scope)) return;
    document.querySelectorAll("#form-designer [data-palette]").forEach(initPalette);
    document.querySelectorAll("#form-designer #fields").forEach(initCanvas);
    document.querySelectorAll("#form-designer [data-sortable=columns]").forEach(initColumns);
    showView();
  }

  // --- focus: the same control (by id) after a swap, else the card it belonged to -----------------

  function rememberFocus() {
    var el = document.activeElement;
    if (!el || !el.id || !designer() || !designer().contains(el)) return;
    var card = el.closest("[data-target]");
    lastFocus = {id: el.id, target: card ? card.dataset.target : ""};
  }

  function restoreFocus() {
    var wanted = document.querySelector("#form-designer [data-autofocus]");
    if (wanted) { wanted.focus(); lastFocus = null; return; }
    if (!lastFocus) return;
    var el = document.getElementById(lastFocus.id);
    if (el && el === document.activeElement) { lastFocus = null; return; }
    if (!el || el.disabled) {
      el = lastFocus.target ? document.getElementById("select-card-" + lastFocus.target.replace(".", "--")) : null;
    }
    if (el && !el.disabled) el.focus({preventScroll: false});
    lastFocus = null;
  }

  // --- keyboard: Alt+↑/↓ moves the focused card, Ctrl+Z / Ctrl+Shift+Z undo and redo ---------------

  function onKey(event) {
    if (!designer()) return;
    var typing = /^(INPUT|TEXTAREA|SELECT)$/.test((event.target && event.target.tagName) || "");
    if (event.altKey && (event.key === "ArrowUp" || event.key === "ArrowDown")) {
      var card = event.target.closest && event.target.closest("#form-designer [data-target]");
      if (!card || typing) return;
      var button = card.querySelector((event.key === "ArrowUp" ? "[id^=up-]" : "[id^=down-]"));
      if (button && !button.disabled) { event.preventDefault(); button.click(); }
    } else if ((event.ctrlKey || event.metaKey) && (event.key === "z" || event.key === "Z") && !typing) {
      var step = document.getElementById(event.shiftKey ? "redo" : "undo");
      if (step && !step.disabled) { event.preventDefault(); step.click(); }
    }
  }

  // --- preview width: desktop or phone, kept on the page across swaps -------------------------------

  function showView() {
    var d = designer();
    if (!d) return;
    var phone = d.classList.contains("phone-preview");
    d.querySelectorAll("[data-view]").forEach(function (b) {
      b.setAttribute("aria-pressed", String((b.dataset.view === "phone") === phone));
      b.setAttribute("role", "button");
    });
  }

  function onClick(event) {
    var toggle = event.target.closest && event.target.closest("#form-designer [data-view]");
    if (!toggle) return;
    event.preventDefault();
    designer().classList.toggle("phone-preview", toggle.dataset.view === "phone");
    showView();
  }

  document.addEventListener("keydown", onKey);
  document.addEventListener("click", onClick);
  document.addEventListener("htmx:before:request", rememberFocus);
  document.addEventListener("htmx:after:swap", function (event) {
    document.querySelectorAll("#form-designer [data-sortable], #form-designer [data-palette]").forEach(function (el) {
      var sortable = Sortable.get(el);
      if (sortable) sortable.option("disabled", false);
    });
    init(event.target);
  });
  document.addEventListener("htmx:after:settle", restoreFocus);

  // A text box that has focus but was not typed in since shows what the server rendered (a key that
  // followed its label as the label was typed); the one being typed in keeps what the person typed.
  var typedIn = null;
  document.addEventListener("focusin", function () { typedIn = null; });
  document.addEventListener("input", function (event) { typedIn = event.target; });
  document.addEventListener("htmx:after:settle", function () {
    var el = document.activeElement;
    if (!el || el === typedIn || el.tagName !== "INPUT" || el.type !== "text") return;
    if (el.closest && el.closest("#properties") && el.hasAttribute("value")) el.value = el.getAttribute("value");
  });
  if (window.htmx && htmx.onLoad) htmx.onLoad(init);
  document.addEventListener("DOMContentLoaded", function () { init(document); });
})();
