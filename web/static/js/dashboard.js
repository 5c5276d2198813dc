// The supervision dashboard's charts (ECharts): trend lines, the dispute funnel and the agency ranking.
// The data and every label come from the server in <script type="application/json" id="dashboard-data">.
(function () {
  "use strict";

  var source = document.getElementById("dashboard-data");
  if (!source || !window.echarts) {
    return;
  }
  var data = JSON.parse(source.textContent);
  var dark = data.theme === "dark";
  var big = dark ? 1.6 : 1;  // the wall is read from across the room
  var text = dark ? "#e5e7eb" : "#1a1a1a";
  var font = { fontSize: Math.round(13 * big), color: text };
  var palette = ["#1d4ed8", "#b45309", "#15803d", "#7c3aed", "#be123c"];
  if (dark) {
    palette = ["#60a5fa", "#fbbf24", "#4ade80", "#c4b5fd", "#fb7185"];
  }
  var reduced = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  function base() {
    return {
      color: palette,
      backgroundColor: "transparent",
      animation: !reduced,
      animationDuration: 400,
      textStyle: { fontSize: font.fontSize },
      tooltip: { trigger: "item", textStyle: { fontSize: font.fontSize } },
    };
  }

  function trendOption(trend) {
    var option = base();
    option.tooltip.trigger = "axis";
    option.legend = { top: 0, textStyle: font };
    option.grid = { left: 48 * big, right: 16, top: 36 * big, bottom: 32 * big };
    option.xAxis = { type: "category", data: trend.dates, axisLabel: font, boundaryGap: false };
    option.yAxis = { type: "value", minInterval: 1, axisLabel: font };
    option.series = trend.series.map(function (series) {
      return { name: series.name, type: "line", data: series.values, symbolSize: 6 * big,
               lineStyle: { width: 2 * big } };
    });
    return option;
  }

  function funnelOption(funnel) {
    var option = base();
    var top = Math.max.apply(null, funnel.stages.map(function (stage) { return stage.value; }).concat([1]));
    option.series = [{
      name: funnel.title, type: "funnel", sort: "none", min: 0, max: top, minSize: "8%", gap: 2,
      left: "8%", right: "8%", top: 8, bottom: 8,
      label: { show: true, position: "inside", fontSize: font.fontSize, color: "#fff",
               formatter: "{b}: {c}", textBorderColor: "rgba(0,0,0,.6)", textBorderWidth: 2 },
      data: funnel.stages.map(function (stage) { return { name: stage.name, value: stage.value }; }),
    }];
    return option;
  }

  function rankingOption(ranking) {
    var option = base();
    option.tooltip.trigger = "axis";
    option.tooltip.axisPointer = { type: "shadow" };
    option.grid = { left: 8, right: 56 * big, top: 8, bottom: 8, containLabel: true };
    option.xAxis = { type: "value", axisLabel: font, max: ranking.unit === "%" ? 100 : null,
                     minInterval: 1 };
    option.yAxis = { type: "category", data: ranking.names, inverse: true, axisLabel: font };
    option.series = [{
      name: ranking.series_name, type: "bar", data: ranking.values, barMaxWidth: 28 * big,
      label: { show: true, position: "right", fontSize: font.fontSize, color: text,
               formatter: function (item) { return item.value + ranking.unit; } },
    }];
    return option;
  }

  function isEmpty(kind) {
    if (kind === "trend") {
      return data.trend.dates.length === 0;
    }
    if (kind === "funnel") {
      return data.funnel.stages.every(function (stage) { return !stage.value; });
    }
    return data.ranking.names.length === 0;
  }

  var builders = { trend: trendOption, funnel: funnelOption, ranking: rankingOption };
  var charts = [];
  document.querySelectorAll("[data-chart]").forEach(function (container) {
    var kind = container.getAttribute("data-chart");
    var chart = window.echarts.init(container, dark ? "dark" : null, { renderer: "canvas" });
    var option = builders[kind](data[kind]);
    if (isEmpty(kind)) {
      option.graphic = { type: "text", left: "center", top: "middle",
                         style: { text: data.empty, fontSize: font.fontSize * 1.2, fill: text } };
    }
    chart.on("finished", function () {
      container.setAttribute("data-ready", "true");
    });
    chart.setOption(option);
    charts.push(chart);
  });

  window.addEventListener("resize", function () {
    charts.forEach(function (chart) { chart.resize(); });
  });

  // Dates typed in the filter form mean a custom period.
  var preset = document.getElementById("filter-period");
  ["filter-from", "filter-to"].forEach(function (id) {
    var input = document.getElementById(id);
    if (input && preset) {
      input.addEventListener("change", function () { preset.value = "custom"; });
    }
  });
})();
