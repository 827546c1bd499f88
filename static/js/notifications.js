// Live navigation badge and booking notices over /ws/notifications/ (logged-in pages only).
// Without it the badge still shows the count from the server when the page loads. A notice's
// message arrives written in the user's language (chat/notifications.py).
(function () {
  "use strict";
  if (!("WebSocket" in window)) return;

  var baseTitle = document.title.replace(/^\(\d+\) /, "");
  var attempts = 0;
  var retryTimer = null;
  var stopped = false;
  var socket = null;
  var stack = null;

  function setCount(count) {
    var badges = document.querySelectorAll("[data-unread-badge]");
    for (var i = 0; i < badges.length; i++) {
      badges[i].textContent = String(count);
      badges[i].setAttribute("data-count", String(count));
    }
    document.title = (count > 0 ? "(" + count + ") " : "") + baseTitle;
    document.dispatchEvent(new CustomEvent("timz:unread", { detail: { count: count } }));
  }

  function toast(text, url) {
    if (!stack) {
      stack = document.createElement("div");
      stack.className = "toast-stack";
      stack.setAttribute("role", "status");
      stack.setAttribute("aria-live", "polite");
      document.body.appendChild(stack);
    }
    var item = document.createElement("div");
    item.className = "toast";
    var message = document.createElement("p");
    message.textContent = text;
    if (url && url.indexOf(window.location.origin + "/") === 0) {
      var link = document.createElement("a");
      link.href = url;
      link.textContent = gettext("See the offer");
      message.appendChild(document.createTextNode(" "));
      message.appendChild(link);
    }
    var close = document.createElement("button");
    close.type = "button";
    close.className = "toast-close";
    close.setAttribute("aria-label", gettext("Dismiss"));
    close.textContent = "×";
    close.addEventListener("click", function () { item.remove(); });
    item.appendChild(message);
    item.appendChild(close);
    stack.appendChild(item);
    setTimeout(function () { item.remove(); }, 10000);
  }

  function onFrame(frame) {
    if (!frame || typeof frame !== "object") return;
    if (frame.type === "unread" && typeof frame.count === "number") {
      setCount(frame.count);
    } else if ((frame.type === "waitlist" || frame.type === "notice") && frame.message) {
      toast(frame.message, frame.url);
    } else if (frame.type === "booking") {
      // A change without a message is the user's own (another tab): pages refresh, no toast.
      if (frame.message) toast(frame.message);
      document.dispatchEvent(new CustomEvent("timz:booking", { detail: frame }));
    } else if (frame.type === "review" && frame.message) {
      toast(frame.message);
      document.dispatchEvent(new CustomEvent("timz:review", { detail: frame }));
    }
  }

  function connect() {
    retryTimer = null;
    if (stopped) return;
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + window.location.host + "/ws/notifications/");
    socket.addEventListener("open", function () { attempts = 0; });
    socket.addEventListener("message", function (event) {
      try { onFrame(JSON.parse(event.data)); } catch (e) { /* ignore a bad frame */ }
    });
    socket.addEventListener("close", function (event) {
      socket = null;
      if (event.code === 4401 || event.code === 4403) { stopped = true; return; }
      var delay = Math.min(30000, 1000 * Math.pow(2, attempts)) * (0.75 + Math.random() * 0.5);
      attempts += 1;
      retryTimer = setTimeout(connect, delay);
    });
  }

  function reconnectNow() {
    if (socket || stopped) return;
    clearTimeout(retryTimer);
    attempts = 0;
    connect();
  }

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") reconnectNow();
  });
  window.addEventListener("online", reconnectNow);
  connect();
})();
