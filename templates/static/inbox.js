// The inbox: after a batch approval the outcome list takes the focus (keyboard and screen-reader
// users hear what happened), on a plain page load as after an htmx swap; "select all" ticks every
// task that can be approved in a batch.
(() => {
  const focusOutcome = () => {
    const outcome = document.getElementById("batch-results");
    if (outcome) outcome.focus();
  };
  document.addEventListener("DOMContentLoaded", focusOutcome);
  document.addEventListener("htmx:after:settle", focusOutcome);
  document.addEventListener("change", (event) => {
    const all = event.target;
    if (!(all instanceof HTMLInputElement) || all.id !== "pick-all") return;
    for (const box of document.querySelectorAll("#inbox input.pick")) box.checked = all.checked;
  });
})();
