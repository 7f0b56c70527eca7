// A confirmation after an action (role="status", tabindex="-1", data-focus-here) takes the focus
// when the page loads and when htmx swaps it in, so keyboard and screen-reader users hear what
// happened and go on from there. Loaded by base.html on every page; no inline scripts.
(function () {
  "use strict";
  function focusConfirmation(root) {
    var target = (root && root.querySelector ? root : document).querySelector("[data-focus-here]");
    if (target && document.activeElement !== target) target.focus();
  }
  document.addEventListener("DOMContentLoaded", function () { focusConfirmation(document); });
  document.addEventListener("htmx:after:settle", function () { focusConfirmation(document); });
})();
