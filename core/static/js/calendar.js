// The calendar: place the week's timed items on the hour grid, open a New form from an
// empty day, and move an item by dragging it to another slot or day (the server checks the
// move; without JavaScript an item's link opens its form, where its date is edited).
(function () {
  "use strict";
  var DAY = 24 * 60;

  function place(item) {
    var start = Number(item.dataset.start), length = Math.max(Number(item.dataset.length), 20);
    var lanes = Math.max(Number(item.dataset.lanes) || 1, 1), lane = Number(item.dataset.lane) || 0;
    item.style.top = (start / DAY * 100) + "%";
    item.style.height = (Math.min(length, DAY - start) / DAY * 100) + "%";
    item.style.left = (lane / lanes * 100) + "%";
    item.style.width = (100 / lanes) + "%";
  }

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function post(calendar, item, start) {
    var csrf = calendar.dataset.csrf;
    var body = new URLSearchParams({start: start, expected: item.dataset.value, csrf_token: csrf});
    return fetch(item.dataset.reschedule, {
      method: "POST", body: body, credentials: "same-origin",
      headers: {"X-Requested-With": "fetch", "X-CSRFToken": csrf}
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          window.alert((data.error && data.error.message) || response.statusText);
        }
        window.location.reload();  // the page shows the stored state either way
      });
    });
  }

  document.querySelectorAll("[data-calendar]").forEach(function (calendar) {
    calendar.querySelectorAll(".calendar-event[data-start]").forEach(place);
    var scroll = calendar.querySelector(".calendar-scroll");
    if (scroll) {  // the working day first, or earlier if an item starts before 07:00
      var first = 7 * 60;
      calendar.querySelectorAll(".calendar-event[data-start]").forEach(function (item) {
        first = Math.min(first, Number(item.dataset.start));
      });
      scroll.scrollTop = scroll.scrollHeight * Math.floor(first / 60) / DAY * 60;
    }

    // a click on a day's empty space (not on an item or link) opens the New form
    calendar.querySelectorAll("[data-new]").forEach(function (day) {
      day.addEventListener("click", function (event) {
        if (event.target.closest("a")) return;
        window.location.href = day.dataset.new;
      });
    });

    var dragged = null;
    calendar.querySelectorAll(".calendar-item[data-reschedule]").forEach(function (item) {
      item.addEventListener("dragstart", function (event) {
        dragged = item;
        item.classList.add("dragging");
        event.dataTransfer.setData("text/plain", item.dataset.id);
        event.dataTransfer.effectAllowed = "move";
      });
      item.addEventListener("dragend", function () { item.classList.remove("dragging"); });
    });
    // a timed week's columns take a time (to the quarter hour); month cells and date-only
    // days take a date
    calendar.querySelectorAll(".calendar-column, .calendar-cell[data-day], .calendar-day-head[data-day]")
      .forEach(function (target) {
        if (target.classList.contains("calendar-day-head") && calendar.hasAttribute("data-datetime")) return;
        target.addEventListener("dragover", function (event) {
          if (!dragged) return;
          event.preventDefault();
          target.classList.add("drop-target");
        });
        target.addEventListener("dragleave", function () { target.classList.remove("drop-target"); });
        target.addEventListener("drop", function (event) {
          event.preventDefault();
          target.classList.remove("drop-target");
          if (!dragged) return;
          var start = target.dataset.day;
          if (target.classList.contains("calendar-column")) {
            var box = target.getBoundingClientRect();
            var minutes = Math.round((event.clientY - box.top) / box.height * DAY / 15) * 15;
            minutes = Math.min(Math.max(minutes, 0), DAY - 15);
            start += "T" + pad(Math.floor(minutes / 60)) + ":" + pad(minutes % 60);
          }
          var item = dragged;
          dragged = null;
          post(calendar, item, start);
        });
      });
  });
})();
