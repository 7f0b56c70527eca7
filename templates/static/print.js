// The print page's "Print" button: the browser's own print dialog (a static script, as the
// Content-Security-Policy wants; the page prints just as well from the browser's menu).
document.addEventListener("click", (event) => {
  if (event.target instanceof Element && event.target.closest("[data-print]")) {
    window.print();
  }
});
