// Behaviour every page shares. Plain JavaScript, no build step; served by Flask under the strict CSP.
(function () {
  "use strict";

  if (window.htmx) {
    // Error answers carry a readable message (swapped into #alerts by the server's HX-Retarget).
    window.htmx.config.responseHandling = [
      { code: "204", swap: false },
      { code: "[23]..", swap: true },
      // A 422 is the form again with its messages by the fields: an expected answer, not an error.
      { code: "422", swap: true },
      { code: "[45]..", swap: true, error: true },
    ];
    window.htmx.config.allowEval = false;
    window.htmx.config.includeIndicatorStyles = false;
  }

  // Session-authenticated POSTs must carry the page's CSRF token.
  document.addEventListener("htmx:configRequest", function (event) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) {
      event.detail.headers["X-CSRFToken"] = meta.content;
    }
  });

  // The button that was pressed is gone after a swap: put the focus on its replacement.
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (!target || target.id === "alerts") {
      return;
    }
    var next = target.querySelector("button, a[href]");
    if (next) {
      next.focus();
    }
  });
})();
