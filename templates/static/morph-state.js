// When htmx morphs a page into its new rendering, a box, radio or option takes the state the server
// rendered. htmx 4's morph copies attributes only, and a browser stops following the `checked` and
// `selected` attributes of a control once the person has changed it: after ticking "Required" on one
// field, the next field's panel (the same box, morphed) still showed it ticked though it was not.
// Loaded by base.html on every page; no inline scripts.
(function () {
  "use strict";
  if (!window.htmx || !window.htmx.registerExtension) return;
  window.htmx.registerExtension("formflow-morph-state", {
    htmx_before_morph_node: function (element, detail) {
      var old = detail && detail.oldNode, fresh = detail && detail.newNode;
      if (!old || !fresh || !fresh.hasAttribute) return;
      // The control the person is on keeps what they just did, as htmx keeps a focused box's text:
      // an answer to an earlier request must not undo a tick made while it was on its way.
      var focused = document.activeElement;
      if (old.tagName === "INPUT" && (old.type === "checkbox" || old.type === "radio")) {
        if (old !== focused) old.checked = fresh.hasAttribute("checked");
      } else if (old.tagName === "OPTION") {
        if (old.parentElement !== focused && !(old.parentElement && old.parentElement.parentElement === focused)) {
          old.selected = fresh.hasAttribute("selected");
        }
      }
    },
  });
})();
