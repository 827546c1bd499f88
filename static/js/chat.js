// Live conversation page and inbox refresh. The pages work without this file: the composer is a
// normal form that posts and redirects. With it, messages travel over /ws/chat/<id>/, typing and
// read receipts show up, and a dropped connection resumes with ?after=<last id> (nothing lost).
(function () {
  "use strict";

  var URL_RE = /\bhttps?:\/\/[^\s<>"'`]+/gi;
  var TRAILING = ".,;:!?)]}*";

  function splitUrl(url) {
    var tail = "";
    while (url && TRAILING.indexOf(url.charAt(url.length - 1)) !== -1) {
      var last = url.charAt(url.length - 1);
      if (last === ")" && (url.split("(").length >= url.split(")").length)) break;
      tail = last + tail;
      url = url.slice(0, -1);
    }
    return [url, tail];
  }

  function appendText(parent, text) {
    var lines = text.replace(/\r\n?/g, "\n").split("\n");
    lines.forEach(function (line, i) {
      if (i > 0) parent.appendChild(document.createElement("br"));
      if (line) parent.appendChild(document.createTextNode(line));
    });
  }

  // Same rules as the server's `linkify` filter: text nodes only, http(s) links only.
  function renderBody(parent, body) {
    var pos = 0;
    var match;
    URL_RE.lastIndex = 0;
    while ((match = URL_RE.exec(body)) !== null) {
      var parts = splitUrl(match[0]);
      if (parts[0].length <= 8) continue;
      appendText(parent, body.slice(pos, match.index));
      var link = document.createElement("a");
      link.href = parts[0];
      link.rel = "nofollow noopener noreferrer";
      link.target = "_blank";
      link.textContent = parts[0];
      parent.appendChild(link);
      appendText(parent, parts[1]);
      pos = match.index + match[0].length;
    }
    appendText(parent, body.slice(pos));
  }

  // Times are shown in the viewer's own zone (the page's data-tz), like the server renders them,
  // and in the page's language (<html lang>; English days as the server writes them, en-GB).
  var LANG = document.documentElement.lang || "en";
  var INTL_LANG = LANG === "en" ? "en-GB" : LANG;

  function formatters(zone) {
    var opts = function (extra) {
      var o = { timeZone: zone || undefined };
      for (var k in extra) o[k] = extra[k];
      return o;
    };
    try {
      return {
        time: new Intl.DateTimeFormat(INTL_LANG, opts({ hour: "2-digit", minute: "2-digit", hourCycle: "h23" })),
        day: new Intl.DateTimeFormat(INTL_LANG, opts({ weekday: "long", day: "numeric", month: "long", year: "numeric" })),
        key: new Intl.DateTimeFormat("en-CA", opts({ year: "numeric", month: "2-digit", day: "2-digit" }))
      };
    } catch (e) {
      return zone ? formatters("") : null;
    }
  }

  // The separator above a day's first message. Today's is the server's own words (the page's
  // data-today-label, written like the separators it rendered); another day's is the
  // browser's, in the page's language.
  function dayLabel(fmt, date, today) {
    if (today && fmt.key.format(date) === today.key) return today.label;
    if (LANG !== "en") return fmt.day.format(date);
    var parts = {};
    fmt.day.formatToParts(date).forEach(function (p) { parts[p.type] = p.value; });
    return parts.weekday + " " + parts.day + " " + parts.month + " " + parts.year;
  }

  function initConversation(root) {
    var me = Number(root.getAttribute("data-user-id"));
    var fmt = formatters(root.getAttribute("data-tz"));
    var today = root.getAttribute("data-today-label")
      ? { key: root.getAttribute("data-today"), label: root.getAttribute("data-today-label") }
      : null;
    var conversationId = root.getAttribute("data-conversation-id");
    var log = root.querySelector("[data-chat-log]");
    var scroller = root.querySelector("[data-chat-scroll]");
    var form = root.querySelector("[data-composer]");
    var textarea = form.querySelector("textarea");
    var errorBox = root.querySelector("[data-composer-error]");
    var typingEl = root.querySelector("[data-typing]");
    var connEl = root.querySelector("[data-chat-conn]");
    var lastId = Number(root.getAttribute("data-last-id")) || 0;
    var socket = null;
    var attempts = 0;
    var retryTimer = null;
    var typingTimer = null;
    var lastTypingSent = 0;
    var lastSentBody = "";
    var lastReadSent = 0;
    var stopped = false;

    function setConnection(state) {
      if (!connEl) return;
      connEl.hidden = false;
      connEl.className = "chat-conn is-" + state;
      // Translators: the conversation receives messages live (a connection state).
      connEl.textContent = state === "live" ? pgettext("connection", "Live") : gettext("Reconnecting…");
      connEl.title = state === "live" ? gettext("Messages arrive live") : gettext("Connection lost, retrying");
    }

    function showError(text) {
      errorBox.textContent = text;
      errorBox.hidden = !text;
    }

    function nearBottom() {
      // The scroller is column-reverse: 0 is the bottom, scrolling up goes negative.
      return Math.abs(scroller.scrollTop) < 120;
    }

    function scrollToBottom() {
      scroller.scrollTop = 0;
    }

    function lastMessageDate() {
      var times = log.querySelectorAll(".msg time[datetime]");
      if (!times.length) return null;
      return new Date(times[times.length - 1].getAttribute("datetime"));
    }

    function buildMessage(frame) {
      var item = document.createElement("li");
      var mine = frame.sender === me;
      item.className = "msg " + (mine ? "msg-mine" : "msg-theirs") + " msg-new";
      item.id = "m" + frame.id;
      item.setAttribute("data-message-id", frame.id);
      item.setAttribute("data-sender", frame.sender);
      var bubble = document.createElement("div");
      bubble.className = "msg-bubble";
      renderBody(bubble, frame.body);
      var meta = document.createElement("div");
      meta.className = "msg-meta";
      var created = new Date(frame.created_at);
      var time = document.createElement("time");
      time.setAttribute("datetime", frame.created_at);
      time.textContent = fmt.time.format(created);
      meta.appendChild(time);
      item.appendChild(bubble);
      item.appendChild(meta);
      return item;
    }

    function appendMessage(frame) {
      if (document.getElementById("m" + frame.id)) return false;  // replayed twice
      var stick = nearBottom() || frame.sender === me;
      var empty = log.querySelector("[data-chat-empty]");
      if (empty) empty.remove();
      var created = new Date(frame.created_at);
      var previous = lastMessageDate();
      if (!previous || fmt.key.format(previous) !== fmt.key.format(created)) {
        var day = document.createElement("li");
        day.className = "chat-day";
        var label = document.createElement("span");
        label.textContent = dayLabel(fmt, created, today);
        day.appendChild(label);
        log.appendChild(day);
      }
      log.appendChild(buildMessage(frame));
      lastId = Math.max(lastId, frame.id);
      if (stick) scrollToBottom();
      return true;
    }

    function latestTheirs() {
      var theirs = log.querySelectorAll(".msg-theirs[data-message-id]");
      return theirs.length ? Number(theirs[theirs.length - 1].getAttribute("data-message-id")) : 0;
    }

    function sendFrame(frame) {
      if (socket && socket.readyState === WebSocket.OPEN) {
        socket.send(JSON.stringify(frame));
        return true;
      }
      return false;
    }

    function sendRead() {
      var upTo = latestTheirs();
      if (upTo > lastReadSent && document.visibilityState === "visible") {
        if (sendFrame({ type: "read", up_to: upTo })) lastReadSent = upTo;
      }
    }

    function markSeen(upTo) {
      var mine = log.querySelectorAll(".msg-mine[data-message-id]");
      for (var i = mine.length - 1; i >= 0; i--) {
        if (Number(mine[i].getAttribute("data-message-id")) <= upTo) {
          var old = log.querySelectorAll("[data-seen]");
          for (var j = 0; j < old.length; j++) old[j].remove();
          var seen = document.createElement("span");
          seen.className = "msg-seen";
          seen.setAttribute("data-seen", "");
          seen.textContent = " · " + pgettext("a message read by the other person", "Seen");
          mine[i].querySelector(".msg-meta").appendChild(seen);
          return;
        }
      }
    }

    function showTyping() {
      typingEl.hidden = false;
      clearTimeout(typingTimer);
      typingTimer = setTimeout(function () { typingEl.hidden = true; }, 4000);
    }

    function onFrame(frame) {
      if (!frame || typeof frame !== "object") return;
      if (frame.type === "message") {
        var added = appendMessage(frame);
        if (frame.sender !== me) {
          typingEl.hidden = true;
          if (added) sendRead();
        } else {
          showError("");
        }
      } else if (frame.type === "read") {
        if (frame.by !== me) markSeen(frame.up_to);
      } else if (frame.type === "typing") {
        if (frame.by !== me) showTyping();
      } else if (frame.type === "resync") {
        // Missed more than the socket replays: the page reloads the history over HTTP.
        stopped = true;
        window.location.reload();
      } else if (frame.type === "error") {
        showError(frame.detail);
        if (!textarea.value && lastSentBody) textarea.value = lastSentBody;
      }
    }

    function connect() {
      retryTimer = null;
      if (stopped) return;
      var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
      var url = scheme + window.location.host + "/ws/chat/" + conversationId + "/";
      if (lastId) url += "?after=" + lastId;
      socket = new WebSocket(url);
      socket.addEventListener("open", function () {
        attempts = 0;
        setConnection("live");
        sendRead();
      });
      socket.addEventListener("message", function (event) {
        var frame;
        try { frame = JSON.parse(event.data); } catch (e) { return; }
        onFrame(frame);
      });
      socket.addEventListener("close", function (event) {
        socket = null;
        if (event.code === 4401 || event.code === 4403) {
          stopped = true;  // logged out or not allowed: the form still works (and says why)
          if (connEl) connEl.hidden = true;
          return;
        }
        setConnection("off");
        scheduleReconnect();
      });
    }

    function scheduleReconnect() {
      if (retryTimer || stopped) return;
      // Exponential backoff with jitter: 0.5 s, 1 s, 2 s ... capped at 15 s.
      var delay = Math.min(15000, 500 * Math.pow(2, attempts)) * (0.75 + Math.random() * 0.5);
      attempts += 1;
      retryTimer = setTimeout(connect, delay);
    }

    form.addEventListener("submit", function (event) {
      var body = textarea.value.trim();
      if (!socket || socket.readyState !== WebSocket.OPEN) return;  // plain POST fallback
      event.preventDefault();
      if (!body) {
        showError(gettext("Write a message first: it cannot be empty."));
        return;
      }
      lastSentBody = body;
      sendFrame({ type: "message", body: body });
      textarea.value = "";
      textarea.focus();
    });

    textarea.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        if (form.requestSubmit) form.requestSubmit(); else form.submit();
      }
    });

    textarea.addEventListener("input", function () {
      if (errorBox.textContent) showError("");
      var now = Date.now();
      if (textarea.value.trim() && now - lastTypingSent > 2500) {
        if (sendFrame({ type: "typing" })) lastTypingSent = now;
      }
    });

    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState !== "visible") return;
      if (!socket && !stopped) {
        clearTimeout(retryTimer);
        retryTimer = null;
        connect();
      } else {
        sendRead();
      }
    });
    window.addEventListener("online", function () {
      if (!socket && !stopped) {
        clearTimeout(retryTimer);
        retryTimer = null;
        attempts = 0;
        connect();
      }
    });

    // "Load older" in place: fetch the server-rendered older page and prepend its messages
    // (the plain link still works without JavaScript or if the fetch fails).
    root.addEventListener("click", function (event) {
      var link = event.target.closest && event.target.closest("[data-load-older]");
      if (!link) return;
      event.preventDefault();
      link.setAttribute("aria-disabled", "true");
      fetch(link.href, { credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) throw new Error(String(response.status));
          return response.text();
        })
        .then(function (html) {
          var doc = new DOMParser().parseFromString(html, "text/html");
          var items = doc.querySelectorAll("[data-chat-log] > li.msg, [data-chat-log] > li.chat-day");
          var days = doc.querySelectorAll("[data-chat-log] > li.chat-day");
          var first = log.firstElementChild;
          if (first && first.classList.contains("chat-day") && days.length &&
              days[days.length - 1].textContent === first.textContent) {
            first.remove();  // the same day continues: one separator is enough
          }
          var fragment = document.createDocumentFragment();
          for (var i = 0; i < items.length; i++) {
            var node = document.importNode(items[i], true);
            var seen = node.querySelectorAll("[data-seen]");
            for (var j = 0; j < seen.length; j++) seen[j].remove();
            fragment.appendChild(node);
          }
          log.insertBefore(fragment, log.firstChild);
          var next = doc.querySelector("[data-load-older]");
          if (next) {
            link.setAttribute("href", next.getAttribute("href"));
            link.removeAttribute("aria-disabled");
          } else {
            link.closest(".chat-older").remove();
          }
        })
        .catch(function () { window.location.href = link.href; });
    });

    if (!window.location.hash) scrollToBottom();
    connect();
  }

  // Inbox: when the unread count changes (notifications.js), refresh the list in place.
  function initInbox() {
    var badge = document.querySelector("[data-unread-badge]");
    var known = badge ? Number(badge.getAttribute("data-count")) : null;
    document.addEventListener("timz:unread", function (event) {
      var count = event.detail && event.detail.count;
      if (count === known) return;
      known = count;
      fetch(window.location.href, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
        .then(function (response) { return response.ok ? response.text() : null; })
        .then(function (html) {
          if (!html) return;
          var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("[data-inbox]");
          var current = document.querySelector("[data-inbox]");
          if (fresh && current) current.replaceWith(fresh);
        })
        .catch(function () {});
    });
  }

  var chat = document.querySelector("[data-chat]");
  if (chat && chat.getAttribute("data-live") !== "false" && "WebSocket" in window) {
    initConversation(chat);
  }
  var inbox = document.querySelector("[data-inbox]");
  if (inbox) initInbox();
})();
