// Echelon's own behaviour: small, no inline handlers (the CSP forbids them).
document.addEventListener("DOMContentLoaded", () => {
  // Auto-submit filter forms when a select changes.
  document.querySelectorAll("form[data-autosubmit] select").forEach((el) => {
    el.addEventListener("change", () => el.form.requestSubmit());
  });
});

// Progress bars carry their width in data-width (no inline styles under the CSP).
function applyWidths(root) {
  root.querySelectorAll("[data-width]").forEach((el) => { el.style.width = el.dataset.width + "%"; });
}
document.addEventListener("DOMContentLoaded", () => applyWidths(document));
document.addEventListener("htmx:afterSwap", (e) => applyWidths(e.detail.target.parentNode || document));

// Phone first: every hand-written table with a header row gets its cells labelled by their column's header
// (data-label) and the class .ech-cards, which echelon.css shows as cards under 576 px. Opt out with
// .ech-plain. The django-tables2 template labels its own cells; here each cell's content is wrapped once
// (.ech-cell) so that it flows as one block beside its label.
function labelCells(root) {
  root.querySelectorAll("table.table:not(.ech-plain)").forEach((table) => {
    const head = table.tHead && table.tHead.rows[0];
    const wrapped = table.closest(".ech-cards-wrap");
    if (!head && !wrapped) return;
    const labels = [];
    if (head) {
      Array.from(head.cells).forEach((th) => {
        const span = th.colSpan || 1;
        for (let i = 0; i < span; i += 1) labels.push(i === 0 ? th.textContent.trim() : "");
      });
    }
    if (!wrapped) table.classList.add("ech-cards");
    Array.from(table.tBodies).concat(table.tFoot ? [table.tFoot] : []).forEach((body) => {
      Array.from(body.rows).forEach((tr) => {
        let col = 0;
        Array.from(tr.cells).forEach((cell) => {
          if (!wrapped && !cell.hasAttribute("data-label") && cell.colSpan === 1 && labels[col]) {
            cell.dataset.label = labels[col];
          }
          col += cell.colSpan || 1;
          if (cell.dataset.label && !cell.querySelector(":scope > .ech-cell")) {
            const inner = document.createElement("div");
            inner.className = "ech-cell";
            while (cell.firstChild) inner.appendChild(cell.firstChild);
            cell.appendChild(inner);
          }
        });
      });
    });
  });
}
document.addEventListener("DOMContentLoaded", () => labelCells(document));
document.addEventListener("htmx:afterSwap", (e) => labelCells(e.detail.target.parentNode || document));
