// The campaign timeline (ECharts). Data comes from a json_script block rendered by the page: aggregate bars per
// level, per territorial unit below the focus (click to drill down), and one page of unit bars with their phases.
// No inline script: the CSP forbids it. Names (units, phases, the milestone) are data, never markup: the
// tooltip is HTML, so every piece of text in it goes through esc(); axis labels are drawn as text on the canvas.
(function () {
  "use strict";
  const DAY = 86400000;
  const PHASE_COLORS = ["#b3261e", "#d9822b", "#c9a227", "#4f7cac", "#5b8c5a", "#7d5ba6", "#6c757d"];
  const SPAN = { level: "#e8b4b0", group: "#f1d9a0" };
  const START_RANGE = -2;
  const ACTUAL = -3;
  const AGGREGATE = -1;

  const ENTITIES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

  function esc(value) {
    return String(value == null ? "" : value).replace(/[&<>"']/g, function (c) { return ENTITIES[c]; });
  }

  function ts(day) {
    return day ? Date.parse(day + "T00:00:00") : null;
  }

  function fmt(ms) {
    const d = new Date(ms);
    return d.getFullYear() + "-" + String(d.getMonth() + 1).padStart(2, "0") + "-" + String(d.getDate()).padStart(2, "0");
  }

  // The axis spans the plan window (the campaign's dates and every planned bar), not today: an actual bar
  // still open is drawn up to today or the window's end, whichever comes first.
  function planWindow(data) {
    let lo = data.window ? ts(data.window[0]) : null;
    let hi = data.window ? ts(data.window[1]) : null;
    data.rows.forEach(function (row) {
      const days = [row.start, row.start_last, row.end, row.milestone && row.milestone[0], row.milestone && row.milestone[1]];
      row.phases.forEach(function (p) { days.push(p.start, p.end); });
      days.forEach(function (day) {
        const t = ts(day);
        if (t === null || isNaN(t)) return;
        if (lo === null || t < lo) lo = t;
        if (hi === null || t > hi) hi = t;
      });
    });
    if (lo === null || hi === null) return null;
    const pad = Math.max(2, Math.round((hi - lo) / DAY / 40)) * DAY;
    return [lo - pad, hi + DAY + pad];
  }

  function build(el, data) {
    const rows = data.rows;
    // A phone: labels wrap within a third of the width, rows are taller, fewer and shorter month labels.
    const narrow = el.clientWidth < 576;
    el.style.height = Math.max(180, rows.length * (narrow ? 40 : 28) + 80) + "px";
    const span = planWindow(data);
    const chart = echarts.init(el, null, { renderer: "canvas" });
    const bars = [];
    const marks = [];
    rows.forEach(function (row, i) {
      if (row.start && row.end) {
        if (row.kind === "unit" && row.phases.length) {
          row.phases.forEach(function (p) {
            bars.push({ value: [i, ts(p.start), ts(p.end) + DAY, p.index], name: p.name,
                        itemStyle: { color: PHASE_COLORS[p.index % PHASE_COLORS.length] } });
          });
        } else {
          bars.push({ value: [i, ts(row.start), ts(row.end) + DAY, AGGREGATE], name: row.label,
                      itemStyle: { color: SPAN[row.kind] || "#ddd" } });
          if (row.start_last) {
            bars.push({ value: [i, ts(row.start), ts(row.start_last) + DAY, START_RANGE], name: row.label,
                        itemStyle: { color: "#8c1d18" } });
          }
        }
      }
      if (row.actual && row.actual[0]) {
        let end = row.actual[1] ? ts(row.actual[1]) : Date.now();
        if (!row.actual[1] && span && end > span[1] - DAY) end = Math.max(ts(row.actual[0]), span[1] - DAY);
        bars.push({ value: [i, ts(row.actual[0]), end + DAY, ACTUAL], name: row.label, itemStyle: { color: "#212529" } });
      }
      if (row.milestone && row.milestone[0]) {
        marks.push({ value: [ts(row.milestone[0]), i], range: row.milestone });
      }
    });

    function renderItem(params, api) {
      const row = api.value(0);
      const start = api.coord([api.value(1), row]);
      const end = api.coord([api.value(2), row]);
      const band = api.size([0, 1])[1];
      const kind = api.value(3);
      let height = band * 0.56;
      let y = start[1] - height / 2;
      if (kind === START_RANGE) { height = band * 0.2; y = start[1] - band * 0.28; }
      if (kind === ACTUAL) { height = band * 0.16; y = start[1] + band * 0.3; }
      const shape = echarts.graphic.clipRectByRect(
        { x: start[0], y: y, width: Math.max(end[0] - start[0], 2), height: height },
        { x: params.coordSys.x, y: params.coordSys.y, width: params.coordSys.width, height: params.coordSys.height }
      );
      return shape && { type: "rect", transition: ["shape"], shape: shape, style: api.style() };
    }

    chart.setOption({
      animation: false,
      grid: { left: 8, right: narrow ? 12 : 24, top: 24, bottom: 48, containLabel: true },
      tooltip: {
        formatter: function (p) {
          const row = rows[p.seriesType === "scatter" ? p.value[1] : p.value[0]];
          if (p.seriesType === "scatter") {
            const r = p.data.range;
            return esc(row.label) + "<br>◆ " + esc(data.milestone || "") + " " +
              esc(r[0] + (r[1] && r[1] !== r[0] ? "～" + r[1] : ""));
          }
          const kind = p.value[3];
          let head = row.label;
          if (kind >= 0) head += " · " + p.name;
          if (kind === ACTUAL) head += " · " + data.labels.actual;
          const lines = [head, fmt(p.value[1]) + "～" + fmt(p.value[2] - DAY)];
          if (row.kind !== "unit") {
            lines.push(data.labels.counts.replace("{units}", row.units).replace("{started}", row.started)
              .replace("{late}", row.late));
          }
          return lines.map(esc).join("<br>");
        },
      },
      dataZoom: [{ type: "inside", xAxisIndex: 0, filterMode: "weakFilter" }, { type: "slider", xAxisIndex: 0, height: 16, bottom: 8 }],
      xAxis: {
        type: "time", position: "top", min: span ? span[0] : null, max: span ? span[1] : null,
        splitNumber: narrow ? 3 : 8, splitLine: { show: true, lineStyle: { color: "#eee" } },
        axisLabel: { hideOverlap: true, fontSize: narrow ? 10 : 12,
                     formatter: { year: "{yyyy}年", month: "{M}月", day: "{M}月{d}日" } },
      },
      yAxis: {
        type: "category", inverse: true, data: rows.map(function (r) { return (r.kind === "group" ? "▸ " : "") + r.label; }),
        axisTick: { show: false },
        axisLabel: { width: narrow ? Math.round(el.clientWidth * 0.32) : 200, overflow: "break",
                     lineHeight: narrow ? 12 : 14, fontSize: narrow ? 11 : 12 },
      },
      series: [
        { type: "custom", renderItem: renderItem, encode: { x: [1, 2], y: 0 }, data: bars },
        { type: "scatter", symbol: "diamond", symbolSize: 11, itemStyle: { color: "#c9a227", borderColor: "#5c4a0f" }, data: marks, z: 5 },
      ],
    });
    chart.on("click", function (p) {
      const index = p.seriesType === "scatter" ? p.value[1] : p.value[0];
      const row = rows[index];
      if (row && row.url) window.location.href = row.url;
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    const el = document.getElementById("gantt");
    const source = document.getElementById("gantt-data");
    if (!el || !source || typeof echarts === "undefined") return;
    const data = JSON.parse(source.textContent);
    if (!data.rows.length) { el.classList.add("d-none"); return; }
    build(el, data);
  });
})();
