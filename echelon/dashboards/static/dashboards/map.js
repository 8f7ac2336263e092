// The dashboard's map (ECharts): the children of the unit coloured by one measure on the map that draws them,
// or ranked bars where there is no map for them. Data: the json_script "board-map-data"
// ({map, measures: [{key, label}], areas: [{name, code, url, values: {key: number|null}}]}), rendered by
// dashboards/_map.html. Switching the measure redraws; a click on an area, a bar or a bar's name opens its url.
// No inline script: the CSP forbids it. Names are data, never markup: the tooltip is HTML, so every piece of
// text in it goes through esc(); labels are drawn as text on the canvas.
(function () {
  "use strict";
  const FONT = 'system-ui, -apple-system, "PingFang SC", "Noto Sans CJK SC", "Microsoft YaHei", sans-serif';
  const COLORS = ["#fdf0ed", "#f6c3b7", "#e8846f", "#c9402f", "#8c1d18"];
  const BAR = "#b3261e";
  const EMPTY = "#e9ecef";
  const NARROW = 576;
  const ENTITIES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

  // The map scripts (loaded after this one, all deferred) register their map with ECharts under a name of
  // their own (内蒙古, 呼和浩特 …): note it as they do, to draw with it.
  const registered = [];
  if (window.echarts && typeof window.echarts.registerMap === "function") {
    const register = window.echarts.registerMap;
    window.echarts.registerMap = function (name) {
      registered.push(name);
      return register.apply(this, arguments);
    };
  }

  function esc(value) {
    return String(value == null ? "" : value).replace(/[&<>"']/g, function (c) { return ENTITIES[c]; });
  }

  function number(value) {
    return typeof value === "number" && isFinite(value) ? value : null;
  }

  function featureNames(geo) {
    const map = echarts.getMap(geo);
    const json = map && (map.geoJSON || map.geoJson);
    const names = new Set();
    ((json && json.features) || []).forEach(function (f) {
      if (f.properties && f.properties.name) { names.add(f.properties.name); }
    });
    return names;
  }

  function init() {
    const el = document.getElementById("board-map");
    const source = document.getElementById("board-map-data");
    if (!el || !source || !window.echarts) { return; }
    const data = JSON.parse(source.textContent);
    if (!data || !Array.isArray(data.areas) || !Array.isArray(data.measures) || !data.measures.length) { return; }
    const select = document.getElementById("board-map-measure");
    const note = document.getElementById("board-map-note");
    const noData = el.dataset.noData || "—";
    const urls = new Map(data.areas.map(function (a) { return [a.name, a.url]; }));

    const geo = data.map && registered.length ? registered[registered.length - 1] : null;
    const features = geo ? featureNames(geo) : new Set();
    const onMap = data.areas.filter(function (a) { return features.has(a.name); });
    const asMap = onMap.length > 0; // no map, or none of the areas on it: ranked bars
    const offMap = data.areas.length - onMap.length;
    if (asMap && offMap > 0 && note) {
      note.textContent = (el.dataset.offMap || "").replace("{n}", String(offMap));
      note.classList.remove("d-none");
    }

    const chart = echarts.init(el, null, { renderer: "canvas" });

    function fmt(value) {
      return value == null ? noData : value.toLocaleString("zh-CN", { maximumFractionDigits: 1 });
    }

    function measure() {
      const key = select ? select.value : data.measures[0].key;
      return data.measures.find(function (m) { return m.key === key; }) || data.measures[0];
    }

    function tooltip(m) {
      return {
        trigger: "item",
        confine: true,
        formatter: function (p) {
          const raw = p.data ? p.data.raw : null;
          return "<strong>" + esc(p.name) + "</strong><br>" + esc(m.label) + "：" + esc(fmt(raw));
        },
      };
    }

    function mapOption(m, narrow) {
      const items = onMap.map(function (a) {
        const raw = number(a.values && a.values[m.key]);
        return { name: a.name, value: raw == null ? "-" : raw, raw: raw, url: a.url };
      });
      const values = items.map(function (i) { return i.raw; }).filter(function (v) { return v != null; });
      let min = values.length ? Math.min.apply(null, values) : 0;
      let max = values.length ? Math.max.apply(null, values) : 1;
      if (max === min) { min = Math.min(0, min); max = max > min ? max : min + 1; }
      const dark = min + (max - min) * 0.6; // from here on the fill is dark: white names read better
      items.forEach(function (i) {
        if (i.raw != null && i.raw >= dark) { i.label = { color: "#fff", textBorderColor: "#5a120e", textBorderWidth: 2 }; }
      });
      return {
        textStyle: { fontFamily: FONT },
        tooltip: tooltip(m),
        visualMap: {
          type: "continuous",
          min: min,
          max: max,
          precision: 1,
          calculable: true,
          orient: "horizontal",
          left: "center",
          bottom: 0,
          itemWidth: 12,
          itemHeight: narrow ? 140 : 200,
          textStyle: { fontSize: 11 },
          inRange: { color: COLORS },
          seriesIndex: 0,
        },
        series: [{
          type: "map",
          map: geo,
          roam: false,
          selectedMode: false,
          top: 8,
          left: 8,
          right: 8,
          bottom: 48,
          label: {
            show: true,
            fontSize: narrow ? 10 : 12,
            color: "#212529",
            textBorderColor: "#fff",
            textBorderWidth: 2,
          },
          labelLayout: { hideOverlap: true },
          itemStyle: { areaColor: EMPTY, borderColor: "#fff", borderWidth: 1 },
          emphasis: { label: { show: true, color: "#000" }, itemStyle: { areaColor: "#c9a227" } },
          data: items,
        }],
      };
    }

    function barOption(m, narrow) {
      const rows = data.areas.map(function (a) {
        return { name: a.name, raw: number(a.values && a.values[m.key]), url: a.url };
      });
      rows.sort(function (a, b) {
        const x = a.raw == null ? -Infinity : a.raw;
        const y = b.raw == null ? -Infinity : b.raw;
        return y - x;
      });
      return {
        textStyle: { fontFamily: FONT },
        tooltip: tooltip(m),
        grid: { left: 8, right: 48, top: 8, bottom: 8, containLabel: true },
        xAxis: { type: "value", axisLabel: { fontSize: 11 }, splitLine: { lineStyle: { color: "#eee" } } },
        yAxis: {
          type: "category",
          inverse: true,
          triggerEvent: true,
          data: rows.map(function (r) { return r.name; }),
          axisTick: { show: false },
          axisLabel: { fontSize: 12, width: narrow ? 84 : 180, overflow: "truncate", color: "#212529" },
        },
        series: [{
          type: "bar",
          barMaxWidth: 18,
          itemStyle: { color: BAR },
          label: {
            show: true,
            position: "right",
            fontSize: 11,
            formatter: function (p) { return fmt(p.data.raw); },
          },
          data: rows.map(function (r) {
            return { name: r.name, value: r.raw == null ? "-" : r.raw, raw: r.raw, url: r.url };
          }),
        }],
      };
    }

    function height(width) {
      if (asMap) { return Math.round(Math.min(560, Math.max(260, width * 0.72 + 56))); }
      return Math.max(160, data.areas.length * 28 + 40);
    }

    let lastWidth = -1;
    function draw() {
      const width = el.clientWidth;
      lastWidth = width;
      el.style.height = height(width) + "px";
      chart.resize();
      const m = measure();
      const narrow = width < NARROW;
      chart.setOption(asMap ? mapOption(m, narrow) : barOption(m, narrow), true);
    }

    chart.on("click", function (p) {
      let url = p.data && p.data.url;
      if (!url && p.componentType === "yAxis") { url = urls.get(p.value); } // a bar's name
      if (url) { window.location.assign(url); }
    });
    if (select) { select.addEventListener("change", draw); }

    let pending = false;
    function resized() {
      if (pending) { return; }
      pending = true;
      window.requestAnimationFrame(function () {
        pending = false;
        if (el.clientWidth !== lastWidth) { draw(); } // the height follows the width; labels follow both
      });
    }
    window.addEventListener("resize", resized);
    if (window.ResizeObserver && el.parentElement) { new ResizeObserver(resized).observe(el.parentElement); }
    draw();
  }

  // Deferred scripts run before DOMContentLoaded: by then the map script after this one has run too.
  if (document.readyState === "complete") { init(); } else { document.addEventListener("DOMContentLoaded", init); }
})();
