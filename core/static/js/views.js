// Generic views: select-all, confirmations, filters that apply themselves, and charts (the
// board's drag and drop: board.js). Loaded as a file (the CSP allows no inline script).
(function () {
  "use strict";

  document.querySelectorAll("[data-select-all]").forEach(function (box) {
    box.addEventListener("change", function () {
      box.closest("form").querySelectorAll('input[name="ids"]').forEach(function (b) {
        b.checked = box.checked;
      });
    });
  });

  document.querySelectorAll("[data-confirm]").forEach(function (button) {
    button.addEventListener("click", function (event) {
      if (!window.confirm(button.getAttribute("data-confirm"))) event.preventDefault();
    });
  });

  // A bulk action's button asks what the chosen option asks (deleting does; most don't).
  document.querySelectorAll("[data-confirm-option]").forEach(function (button) {
    button.addEventListener("click", function (event) {
      var select = button.form.querySelector('select[name="action"]');
      var option = select && select.selectedOptions[0];
      var text = option && option.getAttribute("data-confirm");
      if (text && !window.confirm(text)) event.preventDefault();
    });
  });

  document.querySelectorAll("form[data-autosubmit] select").forEach(function (select) {
    select.addEventListener("change", function () { select.form.requestSubmit(); });
  });

  // Charts: the data is in the canvas's data-chart attribute (JSON made by the server).
  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    if (typeof window.Chart === "undefined") return;
    var spec = JSON.parse(canvas.getAttribute("data-chart"));
    new window.Chart(canvas, {
      type: spec.type,
      data: {labels: spec.labels, datasets: spec.datasets},
      options: {responsive: true, maintainAspectRatio: false, animation: false,
                plugins: {legend: {display: spec.datasets.length > 1}}}
    });
  });

  // Line editors (quotations, invoices): a button[data-add-row="<tbody selector>"] adds a
  // blank copy of the table's last row.
  document.querySelectorAll("button[data-add-row]").forEach(function (button) {
    button.addEventListener("click", function () {
      var body = document.querySelector(button.getAttribute("data-add-row"));
      var row = body.lastElementChild.cloneNode(true);
      row.querySelectorAll("input").forEach(function (input) { input.value = ""; });
      row.querySelectorAll("select").forEach(function (select) { select.value = ""; });
      row.querySelectorAll("[data-computed]").forEach(function (cell) { cell.textContent = ""; });
      body.appendChild(row);
      var first = row.querySelector("select, input");
      if (first) first.focus();
    });
  });
  // Reference pickers: a select[data-lookup] too long to scan gets a search box above it.
  // Typing asks the server for matching records (readable ones, any number of them) and
  // narrows the list to those; Enter takes the first. Listeners sit on the document, so
  // rows a line editor copies work too.
  var LOOKUP_FROM = 30;  // options; a shorter list is quicker to pick from as it is
  function addLookup(select) {
    var before = select.previousElementSibling;
    var always = select.hasAttribute("data-lookup-always");
    if (select.disabled || (select.options.length < LOOKUP_FROM && !always) ||
        (before && before.classList.contains("lookup-search"))) return;
    var box = document.createElement("input");
    box.type = "search";
    box.className = "form-control form-control-sm mb-1 lookup-search";
    box.placeholder = select.getAttribute("data-lookup-placeholder");
    box.setAttribute("aria-label", box.placeholder);
    box.autocomplete = "off";
    select.parentNode.insertBefore(box, select);
  }
  document.querySelectorAll("select[data-lookup]").forEach(addLookup);
  window.erpLookup = addLookup;  // for rows an editor adds later (static/js/lines.js)

  function fillPicker(select, items) {
    var current = select.options[select.selectedIndex];
    var keep = current && current.value ? [current.value, current.text] : null;
    select.textContent = "";
    select.add(new Option("—", ""));
    items.forEach(function (item) {
      var chosen = keep !== null && String(item[0]) === keep[0];
      if (chosen) keep = null;
      select.add(new Option(item[1], item[0], chosen, chosen));
    });
    if (keep) select.add(new Option(keep[1], keep[0], true, true));  // picked, not a match
  }

  // Text compared as readers type it: "duc" finds "Đức", case aside.
  function folded(text) {
    return text.toLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, "")
      .replace(/đ/g, "d");
  }

  function searchPicker(box) {
    var select = box.nextElementSibling;
    if (!select.lookupAll) {  // the list as the page gave it, to come back to
      select.lookupAll = Array.prototype.map.call(select.options, function (o) {
        return [o.value, o.text];
      }).filter(function (item) { return item[0]; });
    }
    var text = box.value.trim();
    if (!text) {
      fillPicker(select, select.lookupAll);
      return Promise.resolve(select);
    }
    if (!select.getAttribute("data-lookup")) {  // fixed choices (countries): its own list
      var wanted = folded(text);
      fillPicker(select, select.lookupAll.filter(function (item) {
        return folded(item[1]).indexOf(wanted) !== -1 || folded(item[0]) === wanted;
      }));
      return Promise.resolve(select);
    }
    return fetch(select.getAttribute("data-lookup") + "?q=" + encodeURIComponent(text),
                 {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (data && box.value.trim() === text) fillPicker(select, data.items);
        return select;
      });
  }

  function isLookupBox(element) {
    return element.classList && element.classList.contains("lookup-search");
  }

  var lookupTimer = null;
  document.addEventListener("input", function (event) {
    if (!isLookupBox(event.target)) return;
    window.clearTimeout(lookupTimer);
    lookupTimer = window.setTimeout(searchPicker, 200, event.target);
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || !isLookupBox(event.target)) return;
    event.preventDefault();  // not the form's submit
    window.clearTimeout(lookupTimer);
    searchPicker(event.target).then(function (select) {
      var first = Array.prototype.find.call(select.options, function (o) { return o.value; });
      if (first && select.value !== first.value) {
        select.value = first.value;
        select.dispatchEvent(new Event("change", {bubbles: true}));
      }
    });
  });
})();
