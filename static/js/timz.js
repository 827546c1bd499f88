// Progressive enhancement shared by every page. Pages work without it.
(function () {
  "use strict";
  // Close the mobile menu when a link inside it is followed.
  document.addEventListener("click", function (event) {
    var toggle = document.getElementById("nav-toggle");
    if (toggle && event.target.closest && event.target.closest(".site-nav a")) {
      toggle.checked = false;
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
