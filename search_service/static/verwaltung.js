// Office pages: while a job runs, fetch the page again every few seconds and put its fresh parts
// (elements with `data-teil`) in place. A live region (role="status") keeps its node and gets the
// new text, so screen readers announce the change. Without JavaScript the page has a reload link.
(function () {
  "use strict";
  var running = document.querySelector("[data-aktualisieren]");
  if (!running) {
    return;
  }
  var seconds = Number(running.getAttribute("data-aktualisieren")) || 2;

  function update(fresh) {
    var parts = fresh.querySelectorAll("[data-teil][id]");
    for (var i = 0; i < parts.length; i += 1) {
      var current = document.getElementById(parts[i].id);
      if (!current) {
        continue;
      }
      if (current.getAttribute("role") === "status") {
        if (current.textContent.trim() !== parts[i].textContent.trim()) {
          current.textContent = parts[i].textContent.trim();
        }
      } else if (current.innerHTML !== parts[i].innerHTML) {
        current.innerHTML = parts[i].innerHTML;
      }
    }
    return fresh.querySelector("[data-aktualisieren]") !== null;
  }

  function poll() {
    fetch(window.location.pathname, { credentials: "same-origin" })
      .then(function (response) {
        return response.ok ? response.text() : null;
      })
      .then(function (html) {
        var again = true;
        if (html !== null) {
          again = update(new DOMParser().parseFromString(html, "text/html"));
        }
        if (again) {
          window.setTimeout(poll, seconds * 1000);
        } else {
          document.documentElement.setAttribute("data-fertig", "ja");
        }
      })
      .catch(function () {
        window.setTimeout(poll, seconds * 1000);
      });
  }

  window.setTimeout(poll, seconds * 1000);
})();
