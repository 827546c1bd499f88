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
