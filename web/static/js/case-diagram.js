// The case page's diagram: bpmn-js NavigatedViewer with completed, current and overdue elements marked.
(function () {
  "use strict";

  var container = document.getElementById("case-diagram");
  var source = document.getElementById("case-diagram-xml");
  if (!container || !source || !window.BpmnJS) {
    return;
  }

  function ids(name) {
    try {
      return JSON.parse(container.getAttribute("data-" + name) || "[]");
    } catch (error) {
      return [];
    }
  }

  // Centre the first current step at a readable scale (whole diagrams are wide); no current step: fit it all.
  function focus(canvas, element) {
    if (!element) {
      canvas.zoom("fit-viewport", "auto");
      return;
    }
    var scale = container.clientWidth < 600 ? 0.6 : 0.65;
    var width = container.clientWidth / scale;
    var height = container.clientHeight / scale;
    canvas.viewbox({
      x: element.x + element.width / 2 - width / 2,
      y: element.y + element.height / 2 - height / 2,
      width: width,
      height: height,
    });
  }

  var viewer = new window.BpmnJS({ container: container });
  viewer.importXML(JSON.parse(source.textContent)).then(function () {
    var canvas = viewer.get("canvas");
    var registry = viewer.get("elementRegistry");
    [["completed", "highlight-completed"], ["active", "highlight-active"], ["overdue", "highlight-overdue"]]
      .forEach(function (pair) {
        ids(pair[0]).forEach(function (id) {
          if (registry.get(id)) {
            canvas.addMarker(id, pair[1]);
          }
        });
      });
    focus(canvas, registry.get(ids("active")[0] || ids("overdue")[0] || ""));
    container.setAttribute("data-ready", "true");
  }).catch(function (error) {
    container.textContent = container.getAttribute("data-error");
    container.setAttribute("data-ready", "error");
    window.console.error(error);
  });
})();
