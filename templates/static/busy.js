// Every form button shows that its request is running: disabled, aria-busy, and a "Working…"
// label with a spinner (formflow.css .busy), put back once the answer is in. Plain form posts are
// marked on submit (after confirm.js, which may cancel one); htmx requests between
// htmx:before:request and htmx:finally:request. The label comes translated from the page
// (body data-busy-label). Loaded by base.html on every page; no inline scripts.
(function () {
  "use strict";
  var SUBMITS = "button:not([type=button]):not([type=reset]), input[type=submit]";

  function label() {
    return (document.body && document.body.dataset.busyLabel) || "Working…";
  }

  function markBusy(button) {
    if (!button || button.getAttribute("aria-busy") === "true") return;
    button.dataset.idleLabel = button.tagName === "INPUT" ? button.value : button.textContent;
    button.dataset.wasDisabled = button.disabled ? "1" : "";
    button.setAttribute("aria-busy", "true");
    button.classList.add("busy");
    if (button.tagName === "INPUT") button.value = label(); else button.textContent = label();
    button.disabled = true;
  }

  function markIdle(button) {
    if (!button || button.getAttribute("aria-busy") !== "true") return;
    button.removeAttribute("aria-busy");
    button.classList.remove("busy");
    var idle = button.dataset.idleLabel || "";
    if (button.tagName === "INPUT") button.value = idle; else button.textContent = idle;
    button.disabled = button.dataset.wasDisabled === "1";
    delete button.dataset.idleLabel;
    delete button.dataset.wasDisabled;
  }

  function buttonOf(element, event) {
    if (!element || !element.matches) return null;
    if (element.matches(SUBMITS)) return element;
    if (element.tagName !== "FORM") return null;  // a preview as one types: no button of its own
    var ctx = event && event.detail && event.detail.ctx;
    var submitter = (ctx && ctx.sourceEvent && ctx.sourceEvent.submitter) || (event && event.submitter);
    return submitter && element.contains(submitter) ? submitter : element.querySelector(SUBMITS);
  }

  function byHtmx(form) {
    return window.htmx && (form.hasAttribute("hx-post") || form.hasAttribute("hx-get") ||
                           form.hasAttribute("hx-put") || form.hasAttribute("hx-delete"));
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || !(form instanceof HTMLFormElement) || byHtmx(form)) return;
    var button = buttonOf(form, event);
    // After the form's data is taken: a disabled button would leave its own name and value out.
    setTimeout(function () { markBusy(button); }, 0);
  });
  document.addEventListener("htmx:before:request", function (event) {
    markBusy(buttonOf(event.target, event));
  });
  document.addEventListener("htmx:finally:request", function (event) {
    var element = event.target;
    if (!element || !element.querySelectorAll) return;
    if (element.matches && element.matches(SUBMITS)) markIdle(element);
    element.querySelectorAll("[aria-busy=true]").forEach(markIdle);
  });
  window.addEventListener("pageshow", function () {  // back to a page the browser kept: idle again
    document.querySelectorAll("[aria-busy=true]").forEach(markIdle);
  });
})();
