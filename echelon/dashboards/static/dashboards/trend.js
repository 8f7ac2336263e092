// A unit's trend lines (ECharts) from its daily snapshots. Data: the json_script "board-trend-data"
// ({days: [iso], series: [{key, label, values: [number|null]}], partial: [iso]}), rendered by
// dashboards/_trend.html. A null is a gap (a backfilled day knows only the progress measures), never a zero.
// ECharts is the page's (the map's script tag) or, when the page has none, loaded here from data-echarts.
// No inline script: the CSP forbids it. Labels are data, never markup: the tooltip is HTML, so every piece of
// text in it goes through esc().
(function () {
  "use strict";
  const FONT = 'system-ui, -apple-system, "PingFang SC", "Noto Sans CJK SC", "Microsoft YaHei", sans-serif';
  const COLORS = ["#b3261e", "#2e7d32", "#d9822b", "#4f7cac", "#7d5ba6", "#6c757d", "#c9a227", "#00838f"];
  const ENTITIES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

  function esc(value) {
    return String(value == null ? "" : value).replace(/[&<>"']/g, function (c) { return ENTITIES[c]; });
  }

  function draw(el, data) {
    const partial = new Set(data.partial || []);
    const partialLabel = el.dataset.partial || "";
    const chart = echarts.init(el, null, { renderer: "canvas" });
    chart.setOption({
      color: COLORS,
      textStyle: { fontFamily: FONT },
      grid: { left: 16, right: 24, top: 40, bottom: 8, containLabel: true },
      legend: { type: "scroll", top: 0 },
      tooltip: {
        trigger: "axis",
        formatter: function (items) {
          if (!items.length) { return ""; }
          const day = items[0].axisValue;
          const lines = [esc(day) + (partial.has(day) ? " (" + esc(partialLabel) + ")" : "")];
          items.forEach(function (it) {
            const v = it.value == null ? "—" : Number(it.value).toLocaleString();
            lines.push(it.marker + esc(it.seriesName) + ": " + esc(v));
          });
          return lines.join("<br>");
        },
      },
      xAxis: {
        type: "category",
        data: data.days,
        boundaryGap: false,
        axisLabel: { hideOverlap: true, formatter: function (day) { return String(day).slice(5); } },
      },
      yAxis: { type: "value", minInterval: 1 },
      series: data.series.map(function (s) {
        return { name: s.label, type: "line", data: s.values, showSymbol: data.days.length < 40, connectNulls: false };
      }),
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function init() {
    const el = document.getElementById("board-trend");
    const source = document.getElementById("board-trend-data");
    if (!el || !source) { return; }
    const data = JSON.parse(source.textContent);
    if (!data || !Array.isArray(data.days) || !data.days.length || !Array.isArray(data.series)) { return; }
    if (window.echarts) {
      draw(el, data);
      return;
    }
    const script = document.createElement("script");
    script.src = el.dataset.echarts;
    script.onload = function () { draw(el, data); };
    document.head.appendChild(script);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
