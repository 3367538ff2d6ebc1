// Filters submit only what is chosen: an empty field would otherwise put `name=` in
// every shared URL that htmx pushes. (A script file, not an hx-on attribute, so the
// Content-Security-Policy needs neither inline scripts nor eval.)
document.addEventListener("htmx:configRequest", (event) => {
  for (const [name, value] of Object.entries(event.detail.parameters)) {
    if (value === "") delete event.detail.parameters[name];
  }
});

// GOV.UK Frontend's components start only where this class says its module bundle can run;
// without JavaScript the service navigation's links simply show and its "Menu" button stays
// hidden. The bundle is imported from the URL its own script tag has, hashed or not in
// production, so the page and this import share one module.
if ("noModule" in HTMLScriptElement.prototype) {
  document.body.classList.add("govuk-frontend-supported");
  import(document.getElementById("govuk-frontend").src).then(({ createAll, ServiceNavigation }) => {
    createAll(ServiceNavigation);
  });
}

// "Print this page", beside the exports: shown only where this script runs (CSS), and
// listened for on the document, so that buttons in fragments htmx swaps in work too.
document.addEventListener("click", (event) => {
  if (event.target.closest(".app-print-button")) window.print();
});
