// Progressive enhancement shared by every page. Pages work without it.

// Words for people come from the JavaScript catalogue (timz/jsi18n.py), which base.html loads
// just before this file: gettext, ngettext, pgettext and interpolate, in the page's language.
// Should it fail to load, these stand-ins keep every script working, in English.
(function (root) {
  "use strict";
  if (typeof root.gettext === "function") return;
  root.gettext = function (msgid) { return msgid; };
  root.ngettext = function (singular, plural, count) { return count === 1 ? singular : plural; };
  root.pgettext = function (context, msgid) { return msgid; };
  root.interpolate = function (format, values, named) {
    if (named) {
      return format.replace(/%\(\w+\)s/g, function (match) { return String(values[match.slice(2, -2)]); });
    }
    var list = values.slice();
    return format.replace(/%s/g, function () { return String(list.shift()); });
  };
})(window);

(function () {
  "use strict";
  document.documentElement.classList.add("js");
  // A <select data-autosubmit> (sort orders, the language) submits its form on a change; the
  // form's own button, hidden with JS on (.js-hide), does it without JS.
  document.addEventListener("change", function (event) {
    var select = event.target;
    if (select.matches && select.matches("select[data-autosubmit]") && select.form) {
      select.form.submit();
    }
  });
  // The header's account menu is a <details>: close it on a click outside it and on Escape
  // (focus goes back to its button), as a menu does.
  document.addEventListener("click", function (event) {
    var menu = document.querySelector("[data-account-menu][open]");
    if (menu && !menu.contains(event.target)) menu.removeAttribute("open");
  });
  document.addEventListener("keydown", function (event) {
    var menu = document.querySelector("[data-account-menu][open]");
    if (menu && event.key === "Escape") {
      menu.removeAttribute("open");
      menu.querySelector("summary").focus();
    }
  });
  // File fields drawn as a button (templates/includes/_file_field.html): name the chosen file.
  document.addEventListener("change", function (event) {
    var input = event.target;
    var target = input.getAttribute && document.getElementById(input.getAttribute("data-file-name") || "");
    if (target && input.files) {
      target.textContent = input.files.length ? input.files[0].name : gettext("No file chosen");
    }
  });
  // Forms with data-confirm ask before submitting (destructive actions).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var message = form.getAttribute && form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  });
})();
