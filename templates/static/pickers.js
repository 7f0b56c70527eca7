// User and department pickers (templates/partials/fields/_picker.html): the search box asks
// GET /org/search as the person types (htmx); choosing a result fills a hidden input named like the
// field (one more per choice when the field takes several) and shows it as a chip. The search box's
// own typing must not re-check the whole form, so its events stop at the picker.
(function () {
  "use strict";

  function chip(picker, value, label) {
    var item = document.createElement("li");
    item.className = "chip";
    var hidden = document.createElement("input");
    hidden.type = "hidden";
    hidden.name = picker.dataset.name;
    hidden.value = value;
    var text = document.createElement("span");
    text.textContent = label;
    var remove = document.createElement("button");
    remove.type = "button";
    remove.className = "chip-remove link";
    remove.setAttribute("aria-label", "✕ " + label);
    remove.textContent = "✕";
    item.append(hidden, text, remove);
    return item;
  }

  function changed(picker) {
    picker.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function choose(button) {
    var picker = document.getElementById("picker-" + button.dataset.field);
    if (!picker) return;
    var chips = picker.querySelector(".chips");
    var already = Array.prototype.some.call(chips.querySelectorAll("input[type=hidden]"), function (input) {
      return input.value === button.dataset.value;
    });
    if (picker.dataset.multiple !== "true") chips.replaceChildren();
    if (!already || picker.dataset.multiple !== "true") {
      chips.append(chip(picker, button.dataset.value, button.dataset.label));
    }
    var search = picker.querySelector(".picker-search");
    search.value = "";
    picker.querySelector(".choices").replaceChildren();
    search.focus();
    changed(picker);
  }

  document.addEventListener("click", function (event) {
    var pick = event.target.closest(".picker .pick");
    if (pick) {
      choose(pick);
      return;
    }
    var remove = event.target.closest(".picker .chip-remove");
    if (remove) {
      var picker = remove.closest(".picker");
      remove.closest(".chip").remove();
      changed(picker);
    }
  });

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && event.target.classList && event.target.classList.contains("picker-search")) {
      event.target.closest(".picker").querySelector(".choices").replaceChildren();
    }
    if (event.key === "Enter" && event.target.classList && event.target.classList.contains("picker-search")) {
      event.preventDefault(); // Enter picks the first choice rather than submitting the form
      var first = event.target.closest(".picker").querySelector(".pick");
      if (first) choose(first);
    }
  });

  function bind(root) {
    (root.querySelectorAll ? root : document).querySelectorAll(".picker-search:not([data-bound])").forEach(function (search) {
      search.dataset.bound = "1";
      ["input", "change"].forEach(function (name) {
        search.addEventListener(name, function (event) { event.stopPropagation(); });
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () { bind(document); });
  document.addEventListener("htmx:after:settle", function () { bind(document); });
})();
