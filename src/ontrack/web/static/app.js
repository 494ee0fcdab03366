/* ontrack web: the few things HTML cannot do alone (copy buttons). Loaded from this site only;
   the pages work without it. */
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-copy]") : null;
    if (!button) { return; }
    var source = document.querySelector(button.getAttribute("data-copy"));
    if (!source) { return; }
    source.select();
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(source.value).then(function () { button.textContent = "Copied"; },
        function () { button.textContent = "Select and copy"; });
    }
  });
})();
