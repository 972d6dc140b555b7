// The board (generic/board.html): drag a card to another column, a drop on a closing stage
// with an action asks its inputs in a dialog (Lost: the reason), and a column's "+" adds a
// record in that stage without leaving the page. Loaded as a file (the CSP allows no inline
// script); without script the arrows and the "+" links work as plain forms and pages.
(function () {
  "use strict";
  var board = document.querySelector("[data-board]");
  if (!board) return;
  var csrf = board.getAttribute("data-csrf");
  var dragged = null;

  function post(url, body) {
    return fetch(url, {method: "POST", body: body, credentials: "same-origin",
                       headers: {"X-Requested-With": "fetch", "X-CSRFToken": csrf}});
  }

  function moveCard(card, column, body) {
    body.set("csrf_token", csrf);
    body.set("stage", column.getAttribute("data-stage"));
    return post(card.getAttribute("data-move-url"), body);
  }

  function askThenMove(card, column) {
    var dialog = document.getElementById(column.getAttribute("data-drop-dialog"));
    var form = dialog.querySelector("form");
    var error = form.querySelector("[data-drop-error]");
    form.reset();
    error.textContent = "";
    form.onsubmit = function (event) {
      event.preventDefault();
      if (!form.reportValidity()) return;
      moveCard(card, column, new FormData(form)).then(function (response) {
        if (response.ok) { window.location.reload(); return; }
        return response.json().then(function (answer) {
          var fields = answer.fields || {};
          error.textContent = Object.keys(fields).map(function (k) { return fields[k]; })
            .join(" ") || answer.error || "";
        });
      });
    };
    form.querySelector("[data-drop-cancel]").onclick = function () { dialog.close(); };
    dialog.showModal();
  }

  if (board.hasAttribute("data-movable")) {
    board.addEventListener("dragstart", function (event) {
      var card = event.target.closest && event.target.closest(".board-card");
      if (!card) return;
      dragged = card;
      card.classList.add("dragging");
      board.classList.add("dragging-card");
      event.dataTransfer.setData("text/plain", card.getAttribute("data-id"));
    });
    board.addEventListener("dragend", function () {
      if (dragged) dragged.classList.remove("dragging");
      board.classList.remove("dragging-card");
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
        var card = dragged;
        dragged = null;
        if (!card || card.closest(".board-column") === column) return;
        if (column.hasAttribute("data-drop-dialog")) { askThenMove(card, column); return; }
        moveCard(card, column, new FormData()).then(function (response) {
          if (response.ok) window.location.reload();
        });
      });
    });
  }

  // Quick-create: the form from its <template>, in the column whose "+" was clicked.
  var template = document.getElementById("board-quick-template");
  function showErrors(form, fields) {
    form.querySelectorAll("[data-error-for]").forEach(function (slot) {
      var name = slot.getAttribute("data-error-for");
      var input = name && form.elements[name];
      slot.textContent = fields[name] || (name === "" ? fields.stage || "" : "");
      if (input && input.classList) input.classList.toggle("is-invalid", !!fields[name]);
    });
  }
  board.querySelectorAll(".board-quick-open").forEach(function (plus) {
    plus.addEventListener("click", function (event) {
      if (!template) return;  // the page shows the form already (no script, or an error)
      event.preventDefault();
      var column = plus.closest(".board-column");
      var open = board.querySelector("[data-quick-form]");
      if (open) open.remove();
      var form = template.content.firstElementChild.cloneNode(true);
      form.elements.stage.value = plus.getAttribute("data-quick-stage");
      column.querySelector(".board-cards").before(form);
      form.querySelector("[data-quick-cancel]").addEventListener("click", function (e) {
        e.preventDefault();
        form.remove();
      });
      form.addEventListener("submit", function (e) {
        e.preventDefault();
        post(form.action, new FormData(form)).then(function (response) {
          return response.json().then(function (answer) {
            if (!response.ok) { showErrors(form, answer.fields || {"": answer.error}); return; }
            column.querySelector(".board-cards").insertAdjacentHTML("afterbegin", answer.card);
            var count = column.querySelector(".board-count");
            count.textContent = String(Number(count.textContent.replace(/\D/g, "")) + 1);
            form.remove();
          });
        });
      });
      var first = form.querySelector("input:not([type=hidden]), select");
      if (first) first.focus();
    });
  });
})();
