// A fixture: a string marked in JavaScript (djangojs).
document.querySelector("[data-sent]").textContent = gettext("Sent");
