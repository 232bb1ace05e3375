// Behaviour shared by every page (loaded by web/base.html). No inline script or on…= attribute
// runs under the Content-Security-Policy (docs/security.md), so pages mark elements instead:
//   <select data-autosubmit>  submits its form when the choice changes
//   <a data-action="print">   prints the page
document.addEventListener("change", ev => {
  const el = ev.target;
  if (el instanceof HTMLSelectElement && el.hasAttribute("data-autosubmit") && el.form) el.form.submit();
});
document.addEventListener("click", ev => {
  const el = ev.target instanceof Element ? ev.target.closest("[data-action='print']") : null;
  if (el) { ev.preventDefault(); window.print(); }
});
