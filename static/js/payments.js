// The "processing" page after checkout: poll the status until the webhook has landed, then
// reload to show the outcome. Without JavaScript the page has a refresh link.
(function () {
  "use strict";
  var box = document.querySelector("[data-payment-status-url]");
  if (!box || box.getAttribute("data-payment-done") === "true" || !window.fetch) {
    return;
  }
  var url = box.getAttribute("data-payment-status-url");
  var tries = 0;
  function poll() {
    tries += 1;
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (data && data.done) {
          window.location.reload();
        } else if (tries < 60) {
          window.setTimeout(poll, tries < 10 ? 1500 : 4000);
        }
      })
      .catch(function () {
        if (tries < 60) { window.setTimeout(poll, 4000); }
      });
  }
  window.setTimeout(poll, 1500);
})();

// The checkout page's hold: the server writes "(in 28 minutes)"; this ticks it down every
// second and reloads when it reaches zero, so the page shows that the hold expired.
(function () {
  "use strict";
  var timer = document.querySelector("[data-countdown]");
  if (!timer) {
    return;
  }
  var ends = Date.now() + 1000 * parseInt(timer.getAttribute("data-seconds-left"), 10);
  function tick() {
    var left = Math.ceil((ends - Date.now()) / 1000);
    if (left <= 0) {
      window.location.reload();
      return;
    }
    var minutes = Math.floor(left / 60);
    var seconds = left % 60;
    var shown = minutes + ":" + (seconds < 10 ? "0" : "") + seconds;
    // Translators: the time left to pay, in minutes and seconds ("(in 4:05)").
    timer.textContent = interpolate(gettext("(in %(time)s)"), { time: shown }, true);
    window.setTimeout(tick, ((ends - Date.now()) % 1000 || 1000) + 5);
  }
  tick();
})();
