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
