// The modeler page: bpmn-js Modeler, a properties form for what the platform reads from a diagram (a lane's
// agency kind, a user task's deadline and form, a service task's operation), and "Deploy as new version".
// The properties are written as the shipped diagrams write them: the lane's name, and
// <spiffworkflow:properties><spiffworkflow:property name="deadline" value="..."/> or
// <spiffworkflow:serviceTaskOperator id="...">, kept as bpmn-moddle's generic elements so nothing else is lost.
(function () {
  "use strict";

  var container = document.getElementById("modeler");
  var source = document.getElementById("modeler-xml");
  if (!container || !source || !window.BpmnJS) {
    return;
  }
  var SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core";
  var choices = JSON.parse(document.getElementById("modeler-choices").textContent);
  var messages = JSON.parse(document.getElementById("modeler-messages").textContent);
  var status = document.getElementById("deploy-status");
  var button = document.getElementById("deploy-button");
  var selectionText = document.getElementById("prop-selection");
  var propError = document.getElementById("prop-error");
  var fields = {
    lane: document.getElementById("field-lane"),
    deadline: document.getElementById("field-deadline"),
    form: document.getElementById("field-form"),
    operation: document.getElementById("field-operation"),
  };
  var inputs = {
    kind: document.getElementById("prop-agency-kind"),
    deadline: document.getElementById("prop-deadline"),
    deadlineError: document.getElementById("prop-deadline-error"),
    form: document.getElementById("prop-form"),
    operation: document.getElementById("prop-operation"),
  };

  var modeler = new window.BpmnJS({ container: container });
  var moddle = modeler.get("moddle");
  var current = null; // the selected shape
  var marked = null; // the element a deploy error marks

  // The same rule as processes/deadlines.py: a positive number, then a unit it knows.
  var DEADLINE = /^\s*(\d+)\s*(.+?)\s*$/;
  function deadlineIsValid(text) {
    var match = DEADLINE.exec(text || "");
    return Boolean(match) && parseInt(match[1], 10) > 0 && choices.deadline_units.indexOf(match[2].toLowerCase()) >= 0;
  }

  function isSpiff(element, localName) {
    var descriptor = element && element.$descriptor;
    if (descriptor && descriptor.ns && descriptor.ns.uri) {
      return descriptor.ns.uri === SPIFF && descriptor.ns.localName === localName;
    }
    return Boolean(element) && element.$type === "spiffworkflow:" + localName;
  }

  function extension(bo, localName, create) {
    var values = (bo.extensionElements && bo.extensionElements.values) || [];
    var found = values.filter(function (value) { return isSpiff(value, localName); })[0];
    if (!found && create) {
      if (!bo.extensionElements) {
        bo.extensionElements = moddle.create("bpmn:ExtensionElements", { values: [] });
        bo.extensionElements.$parent = bo;
      }
      found = moddle.createAny("spiffworkflow:" + localName, SPIFF, {});
      found.$children = [];
      found.$parent = bo.extensionElements;
      bo.extensionElements.get("values").push(found);
    }
    return found;
  }

  function propertyElement(bo, name) {
    var properties = extension(bo, "properties", false);
    return ((properties && properties.$children) || []).filter(function (child) {
      return isSpiff(child, "property") && child.name === name;
    })[0];
  }

  function getProperty(bo, name) {
    var property = propertyElement(bo, name);
    return property ? property.value || "" : "";
  }

  function setProperty(bo, name, value) {
    var property = propertyElement(bo, name);
    if (!value) {
      if (property) {
        var siblings = property.$parent ? property.$parent.$children : extension(bo, "properties", false).$children;
        siblings.splice(siblings.indexOf(property), 1);
      }
      return;
    }
    if (!property) {
      var properties = extension(bo, "properties", true);
      properties.$children = properties.$children || [];
      property = moddle.createAny("spiffworkflow:property", SPIFF, { name: name, value: value });
      property.$parent = properties;
      properties.$children.push(property);
    }
    property.value = value;
  }

  function show(field, visible) {
    field.hidden = !visible;
  }

  function typeLabel(bo) {
    if (bo.$instanceOf("bpmn:Lane")) { return messages.lane; }
    if (bo.$instanceOf("bpmn:UserTask")) { return messages.user_task; }
    if (bo.$instanceOf("bpmn:ServiceTask")) { return messages.service_task; }
    return bo.$type.replace("bpmn:", "");
  }

  function selectValue(select, value) {
    var known = Array.prototype.some.call(select.options, function (option) { return option.value === value; });
    select.value = known ? value : "";
  }

  function kindOfLane(name) {
    var trimmed = (name || "").trim();
    var kind = choices.agency_kinds.filter(function (k) { return k.name === trimmed || k.code === trimmed; })[0];
    return kind ? kind.name : "";
  }

  function render(element) {
    current = element && element.businessObject ? element : null;
    var bo = current && current.businessObject;
    var lane = Boolean(bo) && bo.$instanceOf("bpmn:Lane");
    var user = Boolean(bo) && bo.$instanceOf("bpmn:UserTask");
    var service = Boolean(bo) && bo.$instanceOf("bpmn:ServiceTask");
    show(fields.lane, lane);
    show(fields.deadline, user);
    show(fields.form, user);
    show(fields.operation, service);
    propError.hidden = !(bo && marked && marked.id === bo.id && propError.textContent);
    if (!bo) {
      selectionText.textContent = selectionText.getAttribute("data-empty") || selectionText.textContent;
      return;
    }
    var title = typeLabel(bo) + " · " + (bo.name || bo.id) + " (" + bo.id + ")";
    selectionText.textContent = lane || user || service ? title : title + " — " + messages.no_platform_properties;
    if (lane) {
      selectValue(inputs.kind, kindOfLane(bo.name));
    }
    if (user) {
      inputs.deadline.value = getProperty(bo, "deadline");
      markDeadline(true);
      selectValue(inputs.form, getProperty(bo, "form"));
    }
    if (service) {
      var operator = extension(bo, "serviceTaskOperator", false);
      selectValue(inputs.operation, operator ? operator.id || "" : "");
    }
  }

  function markDeadline(valid) {
    inputs.deadlineError.hidden = valid;
    inputs.deadline.setAttribute("aria-invalid", valid ? "false" : "true");
    fields.deadline.classList.toggle("has-error", !valid);
  }

  inputs.kind.addEventListener("change", function () {
    if (current && inputs.kind.value) {
      modeler.get("modeling").updateLabel(current, inputs.kind.value);
    }
  });
  inputs.deadline.addEventListener("input", function () {
    if (!current) { return; }
    var text = inputs.deadline.value.trim();
    var valid = text === "" || deadlineIsValid(text);
    markDeadline(valid);
    if (valid) {
      setProperty(current.businessObject, "deadline", text);
    }
  });
  inputs.form.addEventListener("change", function () {
    if (current) {
      setProperty(current.businessObject, "form", inputs.form.value);
    }
  });
  inputs.operation.addEventListener("change", function () {
    if (current && inputs.operation.value) {
      extension(current.businessObject, "serviceTaskOperator", true).id = inputs.operation.value;
    }
  });

  function say(kind, lines, links) {
    status.textContent = "";
    status.className = "deploy-status " + kind;
    lines.forEach(function (line) {
      if (line) {
        var p = document.createElement("p");
        p.textContent = line;
        status.appendChild(p);
      }
    });
    (links || []).forEach(function (link) {
      var a = document.createElement("a");
      a.href = link[0];
      a.textContent = link[1];
      a.className = "deploy-link";
      status.appendChild(a);
      status.appendChild(document.createTextNode(" "));
    });
  }

  function clearMark() {
    if (marked) {
      modeler.get("canvas").removeMarker(marked.id, "deploy-error");
      modeler.get("overlays").remove({ type: "deploy-error" });
      marked = null;
      propError.textContent = "";
      propError.hidden = true;
    }
  }

  function markElement(answer) {
    var registry = modeler.get("elementRegistry");
    var element = answer.element_id && registry.get(answer.element_id);
    if (!element) {
      return;
    }
    marked = element;
    modeler.get("canvas").addMarker(element.id, "deploy-error");
    var note = document.createElement("div");
    note.className = "deploy-error-overlay";
    note.setAttribute("role", "note");
    note.textContent = answer.problem || answer.message;
    modeler.get("overlays").add(element.id, "deploy-error", {
      position: { top: (element.height || 0) + 6, left: 0 }, scale: false, html: note });
    propError.textContent = answer.problem || answer.message;
    focus(element);
    modeler.get("selection").select(element);
    container.setAttribute("data-error-element", element.id);
  }

  // Centre an element at a readable scale (whole diagrams are wide and come out small).
  function focus(element) {
    var scale = 0.9;
    var width = container.clientWidth / scale;
    var height = container.clientHeight / scale;
    modeler.get("canvas").viewbox({
      x: element.x + (element.width || 0) / 2 - width / 2,
      y: element.y + (element.height || 0) / 2 - height / 2,
      width: width,
      height: height,
    });
  }

  function deployed(response, answer) {
    if (response.ok) {
      var links = [[answer.list_url, messages.open_list]];
      if (answer.created) {
        links.push([answer.edit_url, messages.open_version]);
      }
      say("ok", [answer.message], links);
      container.setAttribute("data-deployed", String(answer.version));
      return;
    }
    var where = [answer.file, answer.line ? "line " + answer.line : "", answer.element].filter(Boolean).join(", ");
    say("error", [answer.title, where ? where + ": " + (answer.problem || answer.message) : answer.message]);
    markElement(answer);
  }

  button.addEventListener("click", function () {
    clearMark();
    button.disabled = true;
    say("", [messages.deploying]);
    var token = document.querySelector('meta[name="csrf-token"]');
    modeler.saveXML({ format: true }).then(function (saved) {
      return window.fetch(container.getAttribute("data-deploy-url"), {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "Accept": "application/json",
                   "X-CSRFToken": token ? token.content : "" },
        body: JSON.stringify({ xml: saved.xml }),
      });
    }).then(function (response) {
      var json = (response.headers.get("Content-Type") || "").indexOf("application/json") === 0;
      return (json ? response.json() : Promise.reject(new Error(response.status + " " + response.statusText)))
        .then(function (answer) { deployed(response, answer); });
    }).catch(function (error) {
      say("error", [messages.failed, String(error && error.message ? error.message : error)]);
    }).then(function () {
      button.disabled = false;
    });
  });

  selectionText.setAttribute("data-empty", selectionText.textContent);
  modeler.get("eventBus").on("selection.changed", function (event) {
    render(event.newSelection.length === 1 ? event.newSelection[0] : null);
  });
  modeler.get("eventBus").on("element.changed", function (event) {
    if (current && event.element === current) {
      render(current);
    }
  });

  modeler.importXML(JSON.parse(source.textContent)).then(function () {
    modeler.get("canvas").zoom("fit-viewport", "auto");
    button.disabled = false;
    container.setAttribute("data-ready", "true");
  }).catch(function (error) {
    container.textContent = container.getAttribute("data-error");
    container.setAttribute("data-ready", "error");
    window.console.error(error);
  });
})();
