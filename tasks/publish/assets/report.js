// tradewatch report: the country filter. Everything shows without it; with it, what does not involve a chosen
// country is hidden. The choice is kept in the address (#countries=KR,US) so a view can be shared.
(function () {
  "use strict";
  var boxes = Array.prototype.slice.call(document.querySelectorAll("#filter input[type=checkbox]"));
  var tagged = Array.prototype.slice.call(document.querySelectorAll("[data-countries]"));

  function chosen() {
    var out = {};
    boxes.forEach(function (b) { if (b.checked) { out[b.value] = true; } });
    return out;
  }

  function apply(write) {
    var want = chosen();
    tagged.forEach(function (el) {
      var codes = el.getAttribute("data-countries").split(" ");
      el.hidden = !codes.some(function (c) { return want[c]; });
    });
    var visible = function (sel) {
      return Array.prototype.filter.call(document.querySelectorAll(sel), function (el) {
        return !el.closest("[hidden]");
      }).length;
    };
    var shown = document.getElementById("shown");
    var meetings = visible(".timeline .mark.meeting"), moves = visible(".timeline .move");
    var deadlines = visible(".timeline .deadline");
    shown.textContent = "Showing " + meetings + " meeting" + (meetings === 1 ? "" : "s") + ", " + deadlines +
      " deadline" + (deadlines === 1 ? "" : "s") + " and " + moves + " move" + (moves === 1 ? "" : "s") + ".";
    document.body.setAttribute("data-shown-meetings", String(meetings));
    document.body.setAttribute("data-shown-moves", String(moves));
    document.body.setAttribute("data-filter", Object.keys(want).sort().join(","));
    if (write) {
      var all = boxes.every(function (b) { return b.checked; });
      history.replaceState(null, "", all ? location.pathname + location.search
                                         : "#countries=" + Object.keys(want).sort().join(","));
    }
  }

  var match = /countries=([A-Za-z,]*)/.exec(location.hash);
  if (match) {
    var asked = {};
    match[1].toUpperCase().split(",").forEach(function (c) { asked[c] = true; });
    boxes.forEach(function (b) { b.checked = !!asked[b.value]; });
  }
  boxes.forEach(function (b) { b.addEventListener("change", function () { apply(true); }); });
  Array.prototype.forEach.call(document.querySelectorAll("#filter button"), function (button) {
    button.addEventListener("click", function () {
      var on = button.getAttribute("data-select") === "all";
      boxes.forEach(function (b) { b.checked = on; });
      apply(true);
    });
  });
  apply(false);

  // start the timeline where "now" is, rather than at its first month
  var scroller = document.querySelector(".timeline");
  var today = document.querySelector(".timeline .axis .today");
  if (scroller && today) {
    var x = parseFloat(today.getAttribute("x1"));
    scroller.scrollLeft = Math.max(0, x - scroller.clientWidth * 0.7);
  }
  document.body.setAttribute("data-overflow",
    String(document.documentElement.scrollWidth > document.documentElement.clientWidth));
  document.body.setAttribute("data-ready", "true");
}());
