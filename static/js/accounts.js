// Accounts pages. Everything here is optional: the forms work without JavaScript.
(function () {
  "use strict";
  // Sign-up: send the browser's IANA time zone (the server falls back to UTC without it).
  var tz = document.querySelector('input[type="hidden"][name="timezone"]');
  if (tz && window.Intl && Intl.DateTimeFormat) {
    try {
      var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
      if (zone) { tz.value = zone; }
    } catch (e) { /* keep the default */ }
  }
  // Profile forms: preview a newly chosen photo before it is uploaded.
  document.querySelectorAll("input[type=file][data-preview]").forEach(function (input) {
    var img = document.getElementById(input.getAttribute("data-preview"));
    if (!img || !window.FileReader) { return; }
    input.addEventListener("change", function () {
      var file = input.files && input.files[0];
      // Small files only: the preview is a data: URL (the CSP allows data:, not blob:).
      if (!file || !/^image\/(jpeg|png|webp)$/.test(file.type) || file.size > 5 * 1024 * 1024) {
        return;
      }
      // A new choice replaces the previous one: its error no longer applies.
      var field = input.closest(".field");
      var errors = field && field.querySelector(".errorlist");
      if (errors) { errors.hidden = true; }
      var reader = new FileReader();
      reader.onload = function () {
        img.src = reader.result;
        img.hidden = false;
        var fallback = document.getElementById(input.getAttribute("data-preview") + "-fallback");
        if (fallback) { fallback.hidden = true; }
      };
      reader.readAsDataURL(file);
    });
  });
  // Share link: a Copy button (without JavaScript the field is there to select and copy).
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var input = document.getElementById(button.getAttribute("data-copy"));
    var status = document.querySelector("[data-copy-status]");
    if (!input || !navigator.clipboard) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(input.value).then(function () {
        if (status) { status.textContent = gettext("Link copied."); }
      }, function () {
        input.select();
        if (status) { status.textContent = gettext("Select the link and copy it."); }
      });
    });
  });
})();
