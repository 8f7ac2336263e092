// Pickers (core/widgets.py) and the header search's type-ahead. No inline handlers (the CSP forbids them);
// every text shown comes from the page's data attributes, translated on the server.
(function () {
  "use strict";

  function fetchJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then((r) => {
      if (!r.ok) throw new Error(r.status);
      return r.json();
    });
  }

  function withQuery(url, q) {
    return url + (url.indexOf("?") >= 0 ? "&" : "?") + "q=" + encodeURIComponent(q);
  }

  // A text input naming a unit or a person (data-lookup = its endpoint) becomes a Tom Select type-ahead
  // that submits the chosen code or username. Without this script it stays a text input for a code.
  function picker(el) {
    if (el.tomselect || typeof TomSelect === "undefined") return;
    const d = el.dataset;
    const valueKey = d.lookupValue;
    const labelKey = d.lookupLabel;
    const detailKey = d.lookupDetail;
    const multiple = d.lookupMultiple === "1";
    const initial = el.value
      .split(",")
      .map((v) => v.trim())
      .filter(Boolean);
    const ts = new TomSelect(el, {
      maxItems: multiple ? null : 1,
      valueField: valueKey,
      labelField: labelKey,
      searchField: [],
      create: false,
      persist: false,
      loadThrottle: 250,
      closeAfterSelect: true,
      placeholder: el.getAttribute("placeholder") || "",
      score: () => () => 1, // the server has ranked the hits
      shouldLoad: (q) => q.trim().length > 0,
      load: function (q, callback) {
        fetchJSON(withQuery(d.lookup, q.trim()))
          .then((data) => {
            this.clearOptions();
            callback(data.results);
          })
          .catch(() => callback());
      },
      render: {
        option: (item, escape) => {
          const detail = detailKey && item[detailKey] ? `<div class="small text-muted">${escape(item[detailKey])}</div>` : "";
          const value = item[valueKey] !== item[labelKey] ? `<span class="small text-muted ms-1">${escape(item[valueKey])}</span>` : "";
          return `<div data-testid="picker-option"><div>${escape(item[labelKey] || item[valueKey])}${value}</div>${detail}</div>`;
        },
        item: (item, escape) => {
          const detail = !multiple && detailKey && item[detailKey] ? `<span class="small text-muted ms-2">${escape(item[detailKey])}</span>` : "";
          return `<div>${escape(item[labelKey] || item[valueKey])}${detail}</div>`;
        },
        no_results: () => `<div class="no-results">${d.lookupEmpty || ""}</div>`,
      },
    });
    // A value already there (a default, a form shown again) is a bare code: show its name instead.
    initial.forEach((value) => {
      fetchJSON(withQuery(d.lookup, value))
        .then((data) => {
          const hit = data.results.find((h) => h[valueKey] === value);
          if (hit && ts.options[value]) ts.updateOption(value, hit);
        })
        .catch(() => {});
    });
  }

  // The header search: a dropdown of units under the box (name, code, parent path); choosing one opens its
  // page, Enter without choosing submits the search page.
  function headerSearch(input) {
    const form = input.form;
    const menu = document.createElement("div");
    menu.className = "dropdown-menu ech-search-menu";
    menu.setAttribute("role", "listbox");
    menu.dataset.testid = "search-suggestions";
    form.appendChild(menu);
    let timer = null;
    let seq = 0;
    let active = -1;

    const items = () => Array.from(menu.querySelectorAll("a.dropdown-item"));
    const close = () => {
      menu.classList.remove("show");
      active = -1;
    };
    const highlight = (i) => {
      const list = items();
      list.forEach((a, j) => a.classList.toggle("active", j === i));
      active = i;
    };
    const row = (hit) => {
      const a = document.createElement("a");
      a.className = "dropdown-item";
      a.href = hit.url;
      a.setAttribute("role", "option");
      const name = document.createElement("div");
      name.textContent = hit.name + " ";
      const code = document.createElement("span");
      code.className = "small text-muted";
      code.textContent = hit.code;
      name.appendChild(code);
      a.appendChild(name);
      if (hit.parents) {
        const parents = document.createElement("div");
        parents.className = "small text-muted ech-search-parents";
        parents.textContent = hit.parents;
        a.appendChild(parents);
      }
      return a;
    };
    const show = (hits, q) => {
      menu.replaceChildren();
      if (!hits.length) {
        const empty = document.createElement("div");
        empty.className = "dropdown-item-text small text-muted";
        empty.textContent = input.dataset.searchEmpty || "";
        menu.appendChild(empty);
      }
      hits.forEach((hit) => menu.appendChild(row(hit)));
      if (hits.length) {
        const more = document.createElement("a");
        more.className = "dropdown-item small text-danger border-top";
        more.href = form.action + "?q=" + encodeURIComponent(q);
        more.textContent = input.dataset.searchMore || "";
        menu.appendChild(more);
      }
      menu.classList.add("show");
      active = -1;
    };
    const ask = () => {
      const q = input.value.trim();
      if (!q) return close();
      const mine = ++seq;
      fetchJSON(withQuery(input.dataset.searchLookup, q))
        .then((data) => {
          if (mine === seq && input.value.trim() === q) show(data.results, q);
        })
        .catch(close);
    };
    input.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(ask, 250);
    });
    input.addEventListener("keydown", (e) => {
      const list = items();
      if (e.key === "ArrowDown" && list.length) {
        e.preventDefault();
        if (!menu.classList.contains("show")) menu.classList.add("show");
        highlight((active + 1) % list.length);
      } else if (e.key === "ArrowUp" && list.length) {
        e.preventDefault();
        highlight((active - 1 + list.length) % list.length);
      } else if (e.key === "Enter" && active >= 0 && list[active]) {
        e.preventDefault();
        window.location.assign(list[active].href);
      } else if (e.key === "Escape") {
        close();
      }
    });
    document.addEventListener("click", (e) => {
      if (!form.contains(e.target)) close();
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("input[data-lookup]").forEach(picker);
    document.querySelectorAll("input[data-search-lookup]").forEach(headerSearch);
  });
  // Forms that arrive later (HTMX fragments) get their pickers too.
  document.addEventListener("htmx:afterSwap", (e) => {
    (e.detail.target.parentNode || document).querySelectorAll("input[data-lookup]").forEach(picker);
  });
})();
