// Two versions of a diagram side by side (bpmn-js NavigatedViewers): added elements green on the newer one,
// removed ones red on the older one, changed ones amber on both.
(function () {
  "use strict";

  var layout = document.getElementById("compare");
  if (!layout || !window.BpmnJS) {
    return;
  }

  function ids(name) {
    try {
      return JSON.parse(layout.getAttribute("data-" + name) || "[]");
    } catch (error) {
      return [];
    }
  }

  function show(side, markers) {
    var container = document.getElementById("diagram-" + side);
    var source = document.getElementById("diagram-" + side + "-xml");
    var viewer = new window.BpmnJS({ container: container });
    return viewer.importXML(JSON.parse(source.textContent)).then(function () {
      var canvas = viewer.get("canvas");
      var registry = viewer.get("elementRegistry");
      markers.forEach(function (pair) {
        ids(pair[0]).forEach(function (id) {
          if (registry.get(id)) {
            canvas.addMarker(id, pair[1]);
          }
        });
      });
      canvas.zoom("fit-viewport", "auto");
      container.setAttribute("data-ready", "true");
    }).catch(function (error) {
      container.textContent = layout.getAttribute("data-error");
      container.setAttribute("data-ready", "error");
      window.console.error(error);
    });
  }

  show("old", [["removed", "diff-removed"], ["changed", "diff-changed"]]);
  show("new", [["added", "diff-added"], ["changed", "diff-changed"]]);
})();
