// Keeps live parts of a page current without a reload: each `data-live` part names the server
// event it follows (`queue` when left empty, or `texts`). When the event comes, the page is
// fetched again and its live parts swapped in, in order. Without JavaScript the page still
// works; it just shows what was true when it loaded.
//
// A form marked `data-live-choices` is never swapped, since a dispatcher may be typing in it:
// only the options of its selects follow the fresh page, changed in place, so what is chosen and
// where the focus is stay as they were.
(function () {
  "use strict";
  var parts = document.querySelectorAll("[data-live]");
  if (!window.EventSource || !parts.length) {
    return;
  }

  // Makes `select`'s options those of `fresh`, in its order, keeping the chosen one.
  var follow = function (select, fresh) {
    var at = 0;
    for (var i = 0; i < fresh.options.length; i++) {
      var wanted = fresh.options[i];
      var have = null;
      for (var j = at; j < select.options.length; j++) {
        if (select.options[j].value === wanted.value) {
          have = select.options[j];
          break;
        }
      }
      if (!have) {
        have = new Option(wanted.text, wanted.value);
      }
      if (have !== select.options[at]) {
        select.insertBefore(have, select.options[at] || null);
      }
      at++;
    }
    for (var k = select.options.length - 1; k >= at; k--) {
      if (!select.options[k].selected) {
        select.options[k].remove();
      }
    }
  };

  // A select with its list open, or focused, is left alone until the dispatcher leaves it.
  var waiting = {};
  var followChoices = function (page) {
    var selects = document.querySelectorAll("form[data-live-choices] select");
    for (var i = 0; i < selects.length; i++) {
      var select = selects[i];
      var fresh = page.getElementById(select.id);
      if (!fresh) {
        continue;
      }
      if (select === document.activeElement) {
        if (!waiting[select.id]) {
          select.addEventListener("blur", function (event) {
            var later = waiting[event.target.id];
            delete waiting[event.target.id];
            follow(event.target, later);
          }, { once: true });
        }
        waiting[select.id] = fresh;
      } else {
        follow(select, fresh);
      }
    }
  };

  var refresh = function () {
    fetch(window.location.href, { credentials: "same-origin" })
      .then(function (response) {
        return response.ok ? response.text() : null;
      })
      .then(function (html) {
        if (!html) {
          return;
        }
        var page = new DOMParser().parseFromString(html, "text/html");
        var fresh = page.querySelectorAll("[data-live]");
        var current = document.querySelectorAll("[data-live]");
        for (var i = 0; i < current.length && i < fresh.length; i++) {
          current[i].replaceWith(fresh[i]);
        }
        followChoices(page);
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
