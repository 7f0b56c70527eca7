// A form marked data-confirm asks before it is sent ("Withdraw this request?"): the browser's own
// dialog, so keyboard and screen-reader users get it too. Listens in the capture phase, ahead of
// htmx, so a cancelled confirmation sends nothing either way. With data-confirm-when="<field>" it
// asks only once that field holds something: a rejection without its reason goes to the server,
// which says what is missing, rather than asking first about a decision that cannot be made yet.
document.addEventListener("submit", (event) => {
  const form = event.target;
  const question = form instanceof HTMLFormElement ? form.dataset.confirm : undefined;
  const needed = question && form.dataset.confirmWhen ? form.elements.namedItem(form.dataset.confirmWhen) : null;
  const ready = !needed || (needed.value || "").trim() !== "";
  if (question && ready && !window.confirm(question)) {
    event.preventDefault();
    event.stopImmediatePropagation();
  }
}, true);
