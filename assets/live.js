// Keeps live parts of a page current without a reload: each `data-live` part names the server
// event it follows (`queue` when left empty, or `texts`). When the event comes, the page is
// fetched again and its live parts swapped in, in order. Without JavaScript the page still
// works; it just shows what was true when it loaded.
(function () {
  "use strict";
  var parts = document.querySelectorAll("[data-live]");
  if (!window.EventSource || !parts.length) {
    return;
  }
  var refresh = function () {
    fetch(window.location.href, { credentials: "same-origin" })
      .then(function (response) {
        return response.ok ? response.text() : null;
      })
      .then(function (html) {
        if (!html) {
          return;
        }
        var fresh = new DOMParser().parseFromString(html, "text/html").querySelectorAll("[data-live]");
        var current = document.querySelectorAll("[data-live]");
        for (var i = 0; i < current.length && i < fresh.length; i++) {
          current[i].replaceWith(fresh[i]);
        }
      });
  };
  var source = new EventSource("/events");
  var followed = {};
  for (var i = 0; i < parts.length; i++) {
    var name = parts[i].getAttribute("data-live") || "queue";
    if (!followed[name]) {
      followed[name] = true;
      source.addEventListener(name, refresh);
    }
  }
})();
