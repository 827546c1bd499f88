// Bookings pages: progressive enhancement. Every page works without this file.
// - booking flow / reschedule: days and times update in place (fragment fetch), and visitors
//   see times in their browser's zone;
// - agenda: confirm / decline / cancel / complete in place, and the agenda refreshes itself
//   when a booking changes (a push on the notifications socket);
// - schedule: "Add interval" rows; rules: the feed address selects itself.
(function () {
  "use strict";

  function swapPicker(url, push) {
    var picker = document.getElementById("picker");
    if (!picker) { return; }
    picker.classList.add("is-loading");
    return fetch(url, { headers: { "X-Timz-Fragment": "picker" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.text();
      })
      .then(function (html) {
        var current = document.getElementById("picker");
        var holder = document.createElement("div");
        holder.innerHTML = html.trim();
        var fresh = holder.querySelector("#picker");
        if (current && fresh) { current.replaceWith(fresh); revealSelectedDay(); }
        if (push === "push") { history.pushState({ picker: true }, "", url); }
        if (push === "replace") { history.replaceState({ picker: true }, "", url); }
      })
      .catch(function () { window.location.href = url; });
  }

  // Phones: keep the selected day visible in the horizontally scrolling strip.
  function revealSelectedDay() {
    var strip = document.querySelector("[data-picker] .day-strip");
    var selected = strip && strip.querySelector(".is-selected");
    if (selected && strip.scrollWidth > strip.clientWidth) {
      strip.scrollLeft = selected.parentNode.offsetLeft - strip.offsetLeft - 8;
    }
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("[data-picker] a[data-swap]");
    if (!link || event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) { return; }
    event.preventDefault();
    swapPicker(link.href, "push");
  });

  window.addEventListener("popstate", function () {
    if (document.getElementById("picker")) { swapPicker(window.location.href, null); }
  });

  // Visitors: show the times in the browser's zone.
  function askBrowserZone() {
    var picker = document.querySelector("[data-picker][data-ask-tz]");
    if (!picker || !window.Intl) { return; }
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (!zone || zone === picker.getAttribute("data-zone")) { return; }
    var url = new URL(window.location.href);
    url.searchParams.set("tz", zone);
    swapPicker(url.toString(), "replace");
  }

  // Agenda: the part below the title (requests, toolbar, day or week) is one fragment, fetched
  // again after an action in place or a booking push (notifications.js: "timz:booking").
  var agendaBusy = null;
  var agendaAgain = false;
  var agendaMessage = null;

  // One fetch at a time; a request during it (the push of one's own action often arrives
  // before the action's response) runs once more after it, and the message waits for the last.
  function refreshAgenda(message) {
    var live = document.querySelector("[data-agenda-live]");
    if (!live || !window.fetch) { return null; }
    if (message) { agendaMessage = message; }
    if (agendaBusy) { agendaAgain = true; return agendaBusy; }
    agendaBusy = fetch(live.getAttribute("data-url"), {
      headers: { "X-Timz-Fragment": "agenda" }, credentials: "same-origin"
    })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.text();
      })
      .then(function (html) {
        var holder = document.createElement("div");
        holder.innerHTML = html.trim();
        var fresh = holder.querySelector("[data-agenda-live]");
        var current = document.querySelector("[data-agenda-live]");
        if (fresh && current) { current.replaceWith(fresh); }
      })
      .catch(function () { /* the page still shows the last state; a reload shows the new */ })
      .then(function () {
        agendaBusy = null;
        if (agendaAgain) { agendaAgain = false; refreshAgenda(null); return; }
        if (agendaMessage) { announce(agendaMessage); agendaMessage = null; }
      });
    return agendaBusy;
  }

  function announce(message) {
    var status = document.querySelector("[data-agenda-status]");
    if (!status) { return; }
    status.textContent = message;
    status.hidden = false;
    status.focus();
  }

  document.addEventListener("timz:booking", function () { refreshAgenda(null); });

  // Agenda and lists: actions in place. On the agenda a done action refreshes the whole
  // fragment (the card leaves "Requests waiting" and takes its place in the day or week).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || !form.matches || !form.matches("form[data-inplace]")) { return; }
    var card = form.closest("[data-card]");
    if (!card || !window.fetch) { return; }
    event.preventDefault();
    var token = form.querySelector("input[name=csrfmiddlewaretoken]");
    var onAgenda = !!card.closest("[data-agenda-live]");
    var done = false;
    card.classList.add("is-loading");
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { "X-Timz-Fragment": "card", "X-CSRFToken": token ? token.value : "" }
    })
      .then(function (response) {
        if (response.status >= 500) { throw new Error("HTTP " + response.status); }
        done = response.ok;
        return response.text();
      })
      .then(function (html) {
        var holder = document.createElement("div");
        holder.innerHTML = html.trim();
        var fresh = holder.querySelector("[data-card]");
        if (!fresh) { form.submit(); return; }
        if (done && onAgenda) {
          var note = fresh.querySelector("[role=status]");
          return refreshAgenda(note ? note.textContent : null);
        }
        card.replaceWith(fresh);
      })
      .catch(function () { form.submit(); });
  });

  // Schedule: more interval rows without a round trip.
  function enableAddRow() {
    document.querySelectorAll("[data-add-row]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        var scope = button.closest("[data-interval-scope]") || button.closest("form");
        var rows = scope.querySelector("[data-interval-rows]");
        var all = rows.querySelectorAll(".interval-row");
        var last = all[all.length - 1];
        var copy = last.cloneNode(true);
        var index = all.length;
        copy.querySelectorAll("input, label").forEach(function (el) {
          ["name", "id", "for"].forEach(function (attr) {
            var value = el.getAttribute(attr);
            if (value) { el.setAttribute(attr, value.replace(/_(\d+)$/, "_" + index)); }
          });
          if (el.tagName === "INPUT") { el.value = ""; }
        });
        copy.querySelectorAll(".errorlist").forEach(function (el) { el.remove(); });
        rows.appendChild(copy);
        var first = copy.querySelector("input");
        if (first) { first.focus(); }
      });
    });
  }

  function enableSelectOnFocus() {
    document.querySelectorAll("[data-select-on-focus]").forEach(function (input) {
      input.addEventListener("focus", function () { input.select(); });
    });
  }

  // Waitlist offer: a live countdown of the hold (the page shows the minutes without JS).
  function startCountdowns() {
    document.querySelectorAll("[data-countdown]").forEach(function (el) {
      var ends = Date.now() + 1000 * parseInt(el.getAttribute("data-countdown"), 10);
      function tick() {
        var left = Math.max(0, Math.round((ends - Date.now()) / 1000));
        var minutes = Math.floor(left / 60);
        var seconds = left % 60;
        el.textContent = minutes + ":" + (seconds < 10 ? "0" : "") + seconds;
        if (left === 0) { window.location.reload(); return; }
        setTimeout(tick, 1000);
      }
      tick();
    });
  }

  revealSelectedDay();
  startCountdowns();
  askBrowserZone();
  enableAddRow();
  enableSelectOnFocus();
})();
