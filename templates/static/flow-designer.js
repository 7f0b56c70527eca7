// The flow designer's drag and drop, focus keeping and keyboard shortcuts. Everything here is an
// enhancement: every action is also a button that posts a plain form, and moving a step into
// another branch is also the panel's "Move to" select.
(function () {
  "use strict";

  var lastFocus = null; // {id, step} of what had focus when a request left
  var dragging = false; // a step is being dragged: the workspace must not be redrawn under it
  var skipped = false; // a redraw was held back during the drag
  var moved = false; // the drag ended in a move (whose answer redraws the workspace)

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

  // Passing over a branch step's lanes on the way to one of them must not move the dragged step
  // beside that branch step: beside it is where its card or its "+" is pointed at.
  function staysOutOfLanes(event, original) {
    var target = original && original.target;
    var lanes = target && target.closest ? target.closest(".ff-lanes") : null;
    return !(lanes && event.related && event.related !== event.dragged && event.related.contains(lanes));
  }

  // The workspace as the server has it now (after a drag during which an answer was held back).
  function redraw() {
    var step = selected();
    htmx.ajax("GET", "/designer/flows/" + encodeURIComponent(key()) + (step ? "?step=" + encodeURIComponent(step) : ""),
              {source: "#drop-source", target: "#workspace", swap: "outerMorph"});
  }

  // An answer that would redraw the workspace while a step is dragged (the panel input left by
  // pressing the drag handle saves on "change") waits: the drop's own answer redraws it all.
  function holdDuringDrag(event) {
    if (!dragging) return;
    if (redrawsWorkspace(event)) { event.preventDefault(); skipped = true; }
  }

  // Whether a request's answer redraws the workspace. Not all do: a person picker's search answers
  // into its own list of choices, and must leave what was typed and chosen around it alone.
  function redrawsWorkspace(event) {
    var ctx = event.detail && event.detail.ctx;
    var target = ctx && ctx.target;
    var element = typeof target === "string" ? document.querySelector(target) : target;
    return !!(element && element.id === "workspace");
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
      onMove: staysOutOfLanes,
      // From the press on the handle (the panel input it leaves saves then), not only the drag.
      onChoose: function () { dragging = true; skipped = false; moved = false; },
      onUnchoose: function () {
        setTimeout(function () {
          dragging = false;
          if (skipped && !moved) redraw();
        }, 0);
      },
      onEnd: function (event) {
        if (event.from !== event.to || event.oldIndex !== event.newIndex) {
          moved = true;
          dragging = false;
          move(event.item.dataset.step, event.to.dataset.container, event.newIndex);
        }
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

  function rememberFocus(source) {
    var el = document.activeElement;
    if (!el || !el.id || !designer() || !designer().contains(el)) return;
    var item = el.closest("[data-step]");
    // A button whose row moves or goes (the ladder's ↑ ↓ remove, its add) names where focus goes
    // once its own request is answered (not when another request, the publish panel's, leaves).
    var then = source === el ? el.dataset.thenFocus : "";
    lastFocus = {id: then || el.id, step: item ? item.dataset.step : ""};
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

  // --- after a morph, choices show what the server rendered --------------------------------------
  // Morphing sets the `selected` and `checked` attributes, but a select or box a person has used
  // no longer follows its attributes: without this the panel of the next step selected would
  // still show the last step's choices.
  function syncChoices() {
    var workspace = document.getElementById("workspace");
    if (!workspace || !designer()) return;
    workspace.querySelectorAll("option").forEach(function (o) { o.selected = o.hasAttribute("selected"); });
    workspace.querySelectorAll("input[type=checkbox], input[type=radio]").forEach(function (box) {
      box.checked = box.hasAttribute("checked");
    });
  }

  // --- the what-if panel --------------------------------------------------------------------
  // Its own answer is what the server filled in: a morph leaves a typed value alone when the value
  // sent has not changed, so a scenario run again would show what was typed over its data. Any
  // other edit redraws the panel blank: what was typed there is put back, to simulate again.
  var fromWhatIf = false;
  var typed = null; // the panel's values before an edit of the tree or a step

  function whatIfControls() {
    var form = document.getElementById("whatif-form");
    return form ? Array.prototype.slice.call(form.querySelectorAll("input:not([type=hidden]), select, textarea")) : [];
  }

  function keyed(controls, each) {
    var seen = {};
    controls.forEach(function (el) {
      var name = el.name + "#" + (seen[el.name] = (seen[el.name] || 0) + 1);
      each(el, name);
    });
  }

  function whatIfAsked(event) {
    if (!redrawsWorkspace(event)) return;
    var ctx = event.detail && event.detail.ctx;
    var source = ctx && ctx.sourceElement;
    fromWhatIf = !!(source && source.closest && source.closest("#whatif"));
    typed = null;
    if (fromWhatIf) return;
    typed = {};
    keyed(whatIfControls(), function (el, name) {
      typed[name] = el.type === "checkbox" || el.type === "radio" ? el.checked :
        el.multiple ? Array.prototype.map.call(el.selectedOptions, function (o) { return o.value; }) : el.value;
    });
  }

  function syncWhatIf() {
    if (fromWhatIf) {
      whatIfControls().forEach(function (el) {
        if (el.tagName !== "SELECT" && el.type !== "checkbox" && el.type !== "radio" && el.value !== el.defaultValue) {
          el.value = el.defaultValue;
        }
      });
    } else if (typed) {
      var kept = typed;
      keyed(whatIfControls(), function (el, name) {
        if (!(name in kept)) return;
        if (el.type === "checkbox" || el.type === "radio") el.checked = kept[name];
        else if (el.multiple) Array.prototype.forEach.call(el.options, function (o) { o.selected = kept[name].indexOf(o.value) >= 0; });
        else el.value = kept[name];
      });
    }
    fromWhatIf = false;
    typed = null;
  }

  // --- the panel's typed inputs save once -----------------------------------------------------
  // A typed input saves after a pause in typing, and again on "change" when it is left: that second
  // save changed nothing but redrew the tree, closing the "+" menu just opened. The value the server
  // rendered is the input's default (a morph keeps it so), so a post of that very value is dropped.
  // Not htmx's `changed` modifier: it remembers what was sent, so after an undo the same text typed
  // again would never be saved.
  function unchangedTyping(event) {
    var ctx = event.detail && event.detail.ctx;
    var source = ctx && ctx.sourceElement;
    if (!source || source.tagName !== "INPUT" || !source.closest("#properties")) return;
    if (/^(checkbox|radio|hidden)$/.test(source.type) || ctx.request.method !== "POST") return;
    if (source.value === source.defaultValue) event.preventDefault();
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
  document.addEventListener("htmx:config:request", unchangedTyping);
  document.addEventListener("htmx:before:request", function (event) {
    rememberFocus(event.target);
    whatIfAsked(event);
    if (designer() && designer().contains(event.target)) setDisabled(true);
  });
  document.addEventListener("htmx:before:swap", holdDuringDrag);
  document.addEventListener("htmx:after:swap", function (event) {
    setDisabled(false);
    init(event.target);
  });
  document.addEventListener("htmx:after:request", function () { setDisabled(false); });
  document.addEventListener("htmx:after:settle", function (event) {
    // Only a redrawn workspace needs its choices and the what-if panel set again: after a picker's
    // list of choices came, doing so put every field of the what-if panel back to blank.
    if (event.target && event.target.id === "workspace") { syncChoices(); syncWhatIf(); }
    restoreFocus();
  });
  if (window.htmx && htmx.onLoad) htmx.onLoad(init);
  document.addEventListener("DOMContentLoaded", function () { init(document); });
})();
