// Generic views: select-all, confirmations, filters that apply themselves, drag and drop
// on boards, and charts. Loaded as a file (the CSP allows no inline script).
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

  document.querySelectorAll("form[data-autosubmit] select").forEach(function (select) {
    select.addEventListener("change", function () { select.form.requestSubmit(); });
  });

  // Boards: drag a card to another column; the server moves it, then the counts refresh.
  document.querySelectorAll("[data-board][data-movable]").forEach(function (board) {
    var csrf = board.getAttribute("data-csrf");
    var dragged = null;
    board.querySelectorAll(".board-card").forEach(function (card) {
      card.addEventListener("dragstart", function (event) {
        dragged = card;
        card.classList.add("dragging");
        event.dataTransfer.setData("text/plain", card.getAttribute("data-id"));
      });
      card.addEventListener("dragend", function () { card.classList.remove("dragging"); });
    });
    board.querySelectorAll(".board-column").forEach(function (column) {
      column.addEventListener("dragover", function (event) {
        event.preventDefault();
        column.classList.add("drop-target");
      });
      column.addEventListener("dragleave", function () { column.classList.remove("drop-target"); });
      column.addEventListener("drop", function (event) {
        event.preventDefault();
        column.classList.remove("drop-target");
        if (!dragged || dragged.closest(".board-column") === column) return;
        var body = new URLSearchParams({stage: column.getAttribute("data-stage"), csrf_token: csrf});
        fetch(dragged.getAttribute("data-move-url"), {
          method: "POST", body: body, credentials: "same-origin",
          headers: {"X-Requested-With": "fetch", "X-CSRFToken": csrf}
        }).then(function (response) {
          if (response.ok) window.location.reload();
        });
      });
    });
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
})();
