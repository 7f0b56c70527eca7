// The flow designer's drag and drop, focus keeping and keyboard shortcuts. Everything here is an
// enhancement: every action is also a button that posts a plain form, and moving a step into
// another branch is also the panel's "Move to" select.
(function () {
  "use strict";

  var lastFocus = null; // {id, step} of what had focus when a request left

  function designer() { return document.getElementById("flow-designer"); }

  function key() { var d = designer(); return d ? d.dataset.key : ""; }

  function lists() { return Array.prototype.slice.call(document.querySelectorAll("#flow-designer .ff-steps")); }

  function setDisabled(disabled) {
    lists().forEach(function (list) {
      var sortable = Sortable.get(list);
      if (sortable) sortable.option("disabled", disabled);
    });
  }

  function selected() {
    var current = document.querySelector("#flow-designer .ff-select[aria-current=true]");
    return current ? current.id.replace(/^select-/, "") : "";
  }

  // A drop posts from an empty element of the workspace, so only the move's own values go with it.
  function move(step, container, index) {
    setDisabled(true);
    var url = "/designer/flows/" + encodeURIComponent(key()) + "/steps/" + encodeURIComponent(step) + "/move";
    var values = {container: container, index: String(index), selected: selected()};
    var request = htmx.ajax("POST", url, {source: "#drop-source", target: "#workspace", swap: "outerMorph", values: values});
    if (request && request.finally) request.finally(function () { setDisabled(false); });
  }

  function initList(list) {
    if (Sortable.get(list)) return;
    Sortable.create(list, {
      group: "flow-steps",
      draggable: ".ff-item",
      handle: ".ff-handle",
      animation: 150,
      fallbackOnBody: true,
      swapThreshold: 0.5,
      emptyInsertThreshold: 24,
      onEnd: function (event) {
        if (event.from === event.to && event.oldIndex === event.newIndex) return;
        move(event.item.dataset.step, event.to.dataset.container, event.newIndex);
      }
    });
  }

  function init(root) {
    if (!designer() || typeof Sortable === "undefined") return;
    var scope = root && root.querySelectorAll ? root : document;
    if (scope !== document && !designer().contains(scope) && !scope.contains(designer())) return;
    lists().forEach(initList);
  }

  // --- focus: the same control (by id) after a swap, else the card of the step it belonged to ------

  function rememberFocus() {
    var el = document.activeElement;
    if (!el || !el.id || !designer() || !designer().contains(el)) return;
    var item = el.closest("[data-step]");
    lastFocus = {id: el.id, step: item ? item.dataset.step : ""};
  }

  function restoreFocus() {
    var wanted = document.querySelector("#flow-designer [autofocus]");
    if (wanted && wanted !== document.activeElement && lastFocus) { wanted.focus(); lastFocus = null; return; }
    if (!lastFocus) return;
    var el = document.getElementById(lastFocus.id);
    if (el && el === document.activeElement) { lastFocus = null; return; }
    if (!el || el.disabled || !el.offsetParent) {
      el = document.getElementById("select-" + (selected() || lastFocus.step));
    }
    if (el && !el.disabled) el.focus({preventScroll: false});
    lastFocus = null;
  }

  // --- keyboard: Alt+↑/↓ moves the focused step, Ctrl+Z / Ctrl+Shift+Z undo and redo, Esc closes a menu

  function onKey(event) {
    if (!designer()) return;
    var typing = /^(INPUT|TEXTAREA|SELECT)$/.test((event.target && event.target.tagName) || "");
    if (event.key === "Escape") {
      var menu = event.target.closest && event.target.closest("#flow-designer details.ff-insert[open]");
      if (menu) { menu.open = false; menu.querySelector("summary").focus(); event.preventDefault(); }
    } else if (event.altKey && (event.key === "ArrowUp" || event.key === "ArrowDown")) {
      var item = event.target.closest && event.target.closest("#flow-designer [data-step]");
      if (!item || typing) return;
      var button = document.getElementById((event.key === "ArrowUp" ? "up-" : "down-") + item.dataset.step);
      if (button && !button.disabled) { event.preventDefault(); button.click(); }
    } else if ((event.ctrlKey || event.metaKey) && (event.key === "z" || event.key === "Z") && !typing) {
      var step = document.getElementById(event.shiftKey ? "redo" : "undo");
      if (step && !step.disabled) { event.preventDefault(); step.click(); }
    }
  }

  // One "+" menu open at a time; opening one moves focus to its first kind.
  function onToggle(event) {
    var opened = event.target;
    if (!opened.matches || !opened.matches("#flow-designer details.ff-insert") || !opened.open) return;
    document.querySelectorAll("#flow-designer details.ff-insert[open]").forEach(function (other) {
      if (other !== opened) other.open = false;
    });
    var first = opened.querySelector("button");
    if (first) first.focus();
  }

  document.addEventListener("keydown", onKey);
  document.addEventListener("toggle", onToggle, true);
  document.addEventListener("htmx:before:request", function (event) {
    rememberFocus();
    if (designer() && designer().contains(event.target)) setDisabled(true);
  });
  document.addEventListener("htmx:after:swap", function (event) {
    setDisabled(false);
    init(event.target);
  });
  document.addEventListener("htmx:after:request", function () { setDisabled(false); });
  document.addEventListener("htmx:after:settle", restoreFocus);
  if (window.htmx && htmx.onLoad) htmx.onLoad(init);
  document.addEventListener("DOMContentLoaded", function () { init(document); });
})();
