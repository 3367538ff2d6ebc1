// Filters submit only what is chosen: an empty field would otherwise put `name=` in
// every shared URL that htmx pushes. (A script file, not an hx-on attribute, so the
// Content-Security-Policy needs neither inline scripts nor eval.)
document.addEventListener("htmx:configRequest", (event) => {
  for (const [name, value] of Object.entries(event.detail.parameters)) {
    if (value === "") delete event.detail.parameters[name];
  }
});
