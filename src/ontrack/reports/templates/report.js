/* ontrack report: dependency arrows and fold buttons for the Gantt. The page reads fine without
   it (groups fold with <details>); the script only adds what HTML cannot do alone. */
(function () {
  "use strict";
  var gantt = document.querySelector(".gantt");
  if (!gantt) { return; }

  var buttons = document.querySelector(".g-buttons");
  if (buttons && gantt.querySelector("details")) {
    buttons.hidden = false;
    buttons.addEventListener("click", function (event) {
      var fold = event.target.getAttribute("data-fold");
      if (!fold) { return; }
      var groups = gantt.querySelectorAll("details");
      for (var i = 0; i < groups.length; i++) { groups[i].open = fold === "open"; }
      draw();
    });
  }

  var svg = gantt.querySelector(".g-arrows");
  var source = document.getElementById("g-links");
  var links = svg && source ? JSON.parse(source.textContent) : [];
  var rows = {};
  var found = gantt.querySelectorAll("[data-i]");
  for (var i = 0; i < found.length; i++) { rows[found[i].getAttribute("data-i")] = found[i]; }
  var SVG = "http://www.w3.org/2000/svg";
  var pending = false;

  /* A row in a closed group keeps its boxes where <details> hides its content with
     content-visibility (Chromium 131+): ask whether it is rendered. */
  function shown(row) {
    if (!row) { return false; }
    return row.checkVisibility ? row.checkVisibility() : row.getClientRects().length > 0;
  }

  function box(row, origin) {
    var r = row.querySelector(".bar").getBoundingClientRect();
    return { left: r.left - origin.left, right: r.right - origin.left, y: r.top + r.height / 2 - origin.top };
  }

  /* An elbow from the predecessor's end (its start, for SS/SF) to the successor's start (its
     end, for FF/SF); when there is no room for one bend, it steps round below the bars. */
  function route(a, b, kind) {
    var fromStart = kind === "SS" || kind === "SF", toEnd = kind === "FF" || kind === "SF";
    var x0 = fromStart ? a.left : a.right, y0 = a.y;
    var x1 = toEnd ? b.right : b.left, y1 = b.y;
    var out = x0 + (fromStart ? -6 : 6), into = x1 + (toEnd ? 7 : -7);
    var xm = null;
    if (kind === "FS" && into >= out) { xm = out; }
    else if (kind === "SS") { xm = Math.min(out, into); }
    else if (kind === "FF") { xm = Math.max(out, into); }
    if (xm !== null) { return "M" + n(x0) + " " + n(y0) + "H" + n(xm) + "V" + n(y1) + "H" + n(x1); }
    var ym = y1 + (y1 > y0 ? -10 : 10);
    return "M" + n(x0) + " " + n(y0) + "H" + n(out) + "V" + n(ym) + "H" + n(into) + "V" + n(y1) + "H" + n(x1);
  }

  function n(value) { return Math.round(value * 10) / 10; }

  function draw() {
    if (!svg || !links.length) { return; }
    var origin = svg.getBoundingClientRect();
    var parts = [];
    for (var k = 0; k < links.length; k++) {
      var link = links[k];
      var a = rows[link[0]], b = rows[link[1]];
      if (!shown(a) || !shown(b)) { continue; }
      var d = route(box(a, origin), box(b, origin), link[2]);
      var weight = ["slack", "drive", "crit"][link[3]];
      parts.push('<path d="' + d + '" class="' + weight + '" marker-end="url(#g-' + weight + ')"/>');
    }
    svg.innerHTML = "<defs>" + head("slack", "#c9d0d8") + head("drive", "#8a96a3") +
      head("crit", "#c81e3a") + "</defs>" + parts.join("");
  }

  function head(name, colour) {
    return '<marker id="g-' + name + '" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="6" ' +
      'markerHeight="6" orient="auto"><path d="M0 0L8 4L0 8z" fill="' + colour + '"/></marker>';
  }

  function later() {
    if (pending) { return; }
    pending = true;
    window.requestAnimationFrame(function () { pending = false; draw(); });
  }

  gantt.addEventListener("toggle", later, true); /* toggle does not bubble: capture it */
  window.addEventListener("resize", later);
  window.addEventListener("beforeprint", draw);
  window.addEventListener("afterprint", draw);
  if (window.matchMedia) {
    var print = window.matchMedia("print");
    if (print.addEventListener) { print.addEventListener("change", draw); }
  }
  draw();
})();
