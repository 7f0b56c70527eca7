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
      if (old.tagName === "INPUT" && (old.type === "checkbox" || old.type === "radio")) {
        old.checked = fresh.hasAttribute("checked");
      } else if (old.tagName === "OPTION") {
        old.selected = fresh.hasAttribute("selected");
      }
    },
  });
})();
