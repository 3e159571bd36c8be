// Keeps the queue current without a reload: when the server says requests changed, this page is
// fetched again and its live part swapped in. Without JavaScript the page still works; it just
// shows what was true when it loaded.
(function () {
  "use strict";
  if (!window.EventSource || !document.querySelector("[data-live]")) {
    return;
  }
  var source = new EventSource("/events");
  source.addEventListener("queue", function () {
    fetch(window.location.href, { credentials: "same-origin" })
      .then(function (response) {
        return response.ok ? response.text() : null;
      })
      .then(function (html) {
        if (!html) {
          return;
        }
        var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("[data-live]");
        var current = document.querySelector("[data-live]");
        if (fresh && current) {
          current.replaceWith(fresh);
        }
      });
  });
})();
