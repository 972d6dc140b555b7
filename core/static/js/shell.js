// The side menu on a phone: folded into its one-line bar, so a page starts with the page,
// not with the menu. Loaded right after the menu, before the page is drawn, so it never
// shows open first. On a wider screen it stays open (the bar is hidden there).
(function () {
  "use strict";
  var menu = document.querySelector(".app-sidebar-menu");
  var bar = menu && menu.querySelector("summary");
  if (!bar) return;
  var phone = window.matchMedia("(max-width: 768px)");  // as app.css
  function state() { bar.setAttribute("aria-expanded", menu.open ? "true" : "false"); }
  function fit() { menu.open = !phone.matches; state(); }
  menu.addEventListener("toggle", state);
  phone.addEventListener("change", fit);
  fit();
})();

// A file picker (core/_form.html file_picker) names the chosen file beside its button.
document.addEventListener("change", function (event) {
  "use strict";
  var input = event.target;
  if (!input.matches || !input.matches(".file-picker input[type=file]")) return;
  var shown = input.closest(".file-picker").querySelector(".file-chosen");
  var names = Array.prototype.map.call(input.files, function (f) { return f.name; });
  shown.textContent = names.length ? names.join(", ") : shown.dataset.none;
});
