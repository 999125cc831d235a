// The consoles' own script: counts the times that tick on the page (time
// in state, time waited, wrap-up left) from the instants the server drew,
// marks a wait once it passes its objective, and shows whether the live stream is connected. Everything else is
// htmx and plain forms.
(function () {
  "use strict";

  function clock(seconds) {
    if (seconds < 0) seconds = 0;
    var s = Math.floor(seconds), h = Math.floor(s / 3600), m = Math.floor(s / 60) % 60;
    var ss = String(s % 60).padStart(2, "0");
    if (h > 0) return h + ":" + String(m).padStart(2, "0") + ":" + ss;
    return Math.floor(s / 60) + ":" + ss;
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-since]").forEach(function (el) {
      el.textContent = clock((now - Date.parse(el.dataset.since)) / 1000);
    });
    document.querySelectorAll("[data-until]").forEach(function (el) {
      el.textContent = clock((Date.parse(el.dataset.until) - now) / 1000);
    });
    // A wait that passes its queue's objective between two redraws.
    document.querySelectorAll("[data-over-at]").forEach(function (el) {
      el.toggleAttribute("data-over", now >= Date.parse(el.dataset.overAt));
    });
  }

  function live(state) {
    document.body.dataset.live = state;
  }

  document.addEventListener("DOMContentLoaded", function () {
    tick();
    setInterval(tick, 1000);
    document.body.addEventListener("htmx:sseOpen", function () { live("open"); });
    document.body.addEventListener("htmx:sseError", function () { live("reconnecting"); });
    // The log position the page shows: the stream resumes from it.
    document.body.addEventListener("htmx:sseMessage", function (e) {
      if (e.detail && e.detail.lastEventId) document.body.dataset.seq = e.detail.lastEventId;
      tick();
    });
  });
})();
