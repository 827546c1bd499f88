// "Find a free time" forms: the browser's zone for visitors, "Use my location" (asks the
// browser, with permission), and the day select following the date picker. The form works
// without it: the zone falls back to the place's, the place is typed, the day is chosen.
(function () {
  "use strict";
  document.querySelectorAll("form[data-free-form]").forEach(function (form) {
    var tz = form.querySelector("input[name=tz]");
    if (tz && !tz.value && window.Intl) {
      tz.value = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    }
    var when = form.querySelector("select[name=when]");
    var date = form.querySelector("input[name=date]");
    if (when && date) {
      date.addEventListener("change", function () {
        if (date.value) { when.value = "date"; }
      });
      when.addEventListener("change", function () {
        if (when.value !== "date") { date.value = ""; }
      });
    }
    var locate = form.querySelector("[data-locate]");
    var near = form.querySelector("input[name=near]");
    var status = form.querySelector("[data-locate-status]");
    if (!locate || !near) { return; }
    if (!navigator.geolocation) {
      locate.hidden = true;
      return;
    }
    locate.addEventListener("click", function () {
      status.textContent = gettext("Finding your position…");
      navigator.geolocation.getCurrentPosition(
        function (position) {
          near.value = position.coords.latitude.toFixed(5) + "," + position.coords.longitude.toFixed(5);
          status.textContent = gettext("Searching around your position.");
        },
        function () {
          status.textContent = gettext("Your position is not available: type a city instead.");
        },
        { maximumAge: 600000, timeout: 10000 }
      );
    });
  });
})();
