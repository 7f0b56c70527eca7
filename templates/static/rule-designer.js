"use strict";
// After a morph, show exactly what the server rendered: a select or checkbox the person has
// touched no longer follows its `selected`/`checked` attribute, so a moved row would keep
// showing the old row's choice. The control being typed in is left alone.
document.addEventListener("htmx:after:settle", function (event) {
  var root = event.target;
  if (!root || !root.closest || !root.closest("#rule-designer")) return;
  root.querySelectorAll("input, select, textarea").forEach(function (el) {
    var typing = el === document.activeElement && (el.tagName === "TEXTAREA" ||
      (el.tagName === "INPUT" && !/^(checkbox|radio|hidden)$/.test(el.type)));
    if (typing) return;
    if (el.tagName === "SELECT") {
      var chosen = Array.prototype.findIndex.call(el.options, function (o) { return o.hasAttribute("selected"); });
      el.selectedIndex = chosen < 0 ? 0 : chosen;
    } else if (el.type === "checkbox" || el.type === "radio") {
      el.checked = el.hasAttribute("checked");
    } else if (el.tagName === "TEXTAREA") {
      el.value = el.defaultValue;
    } else if (el.type !== "file") {
      el.value = el.getAttribute("value") || "";
    }
  });
});
