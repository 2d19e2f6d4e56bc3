/**
 * The handbook on paper (issue 18): printing a page prints every folded block open.
 *
 * Before printing, every closed <details> (sphinx-design dropdowns such as "Solution", the
 * cells folded with hide-input/hide-output) is opened, and every admonition folded by
 * sphinx-togglebutton is unfolded; after printing they are folded again. Both the
 * beforeprint/afterprint events and the print media query trigger it, so Chromium's
 * page.pdf() and emulated print media do too. Checked by tests/test_site_offline.py.
 */
(() => {
  let unfolded = null; // what was opened for printing, to fold back afterwards

  const unfold = () => {
    if (unfolded) return;
    unfolded = {
      details: Array.from(document.querySelectorAll("details:not([open])")),
      toggles: Array.from(document.querySelectorAll(".toggle-hidden")),
    };
    unfolded.details.forEach((el) => { el.open = true; });
    unfolded.toggles.forEach((el) => { el.classList.remove("toggle-hidden"); });
  };

  const fold = () => {
    if (!unfolded) return;
    unfolded.details.forEach((el) => { el.open = false; });
    unfolded.toggles.forEach((el) => { el.classList.add("toggle-hidden"); });
    unfolded = null;
  };

  window.addEventListener("beforeprint", unfold);
  window.addEventListener("afterprint", fold);
  const print = window.matchMedia("print");
  print.addEventListener("change", (event) => (event.matches ? unfold() : fold()));
  if (print.matches) unfold();
})();
