// Expression helper chips: insert a field name or a function call at the cursor of the expression
// box they belong to (data-expr-target), wrapping the selection for functions, then tell htmx the box
// changed so its problem is checked; keeps the chips' list open across htmx morphs. No inline
// scripts: the designer page loads this file.
(function () {
  "use strict";
  // A chip never takes the focus from its box: blurring the box would send its change, and the problem
  // line that answer adds above the chips moves them, so the press could end off the chip and be lost.
  // Keeping the focus also keeps the cursor where the person left it. Keyboard users still Tab to a chip.
  document.addEventListener("mousedown", function (event) {
    if (event.target.closest && event.target.closest("button.expr-chip[data-expr-target]")) event.preventDefault();
  });
  document.addEventListener("click", function (event) {
    var chip = event.target.closest && event.target.closest("button.expr-chip[data-expr-target]");
    if (!chip) return;
    var box = document.getElementById(chip.getAttribute("data-expr-target"));
    if (!box) return;
    event.preventDefault();
    var before = chip.getAttribute("data-before") || "";
    var after = chip.getAttribute("data-after") || "";
    var start = box.selectionStart == null ? box.value.length : box.selectionStart;
    var end = box.selectionEnd == null ? start : box.selectionEnd;
    var selected = box.value.slice(start, end);
    box.value = box.value.slice(0, start) + before + selected + after + box.value.slice(end);
    var caret = start + before.length + selected.length;
    box.focus();
    box.setSelectionRange(caret, caret);
    box.dispatchEvent(new Event("input", { bubbles: true }));
  });
  // The chips' list stays open or closed as the person left it when the panel is morphed anew
  // (htmx 4 offers the morph's attribute step to extensions only).
  if (window.htmx && window.htmx.registerExtension) {
    window.htmx.registerExtension("formflow-expression-helper", {
      htmx_before_morph_attr: function (element, detail) {
        if (detail.attrName === "open" && element.matches && element.matches("details.expr-help")) {
          return false;
        }
      },
    });
  }
})();
