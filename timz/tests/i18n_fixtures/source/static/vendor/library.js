// A fixture: vendored files are not extracted.
window.label = gettext("Vendored");
