// Searchable multi-select: a <select multiple data-multiselect> (a contact's tags) becomes
// chips of the chosen values, each with a remove button, and a text box whose list offers
// the others, filtered as one types. Keyboard: arrows move in the list, Enter picks,
// Escape closes, Backspace in the empty box removes the last chip. The select stays in the
// form (hidden) and is what is posted, so the form works the same without script.
(function () {
  "use strict";

  var count = 0;

  function folded(text) {  // "duc" finds "Đức", case aside (as views.js's pickers)
    return text.toLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, "")
      .replace(/đ/g, "d");
  }

  function enhance(select) {
    count += 1;
    var id = "multiselect-" + count;
    var wrap = document.createElement("div");
    wrap.className = "multiselect form-control";
    var chips = document.createElement("ul");
    chips.className = "multiselect-chips";
    var input = document.createElement("input");
    input.type = "text";
    input.id = id + "-input";
    input.className = "multiselect-input";
    input.autocomplete = "off";
    input.placeholder = select.getAttribute("data-multiselect-placeholder") || "";
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", id + "-list");
    var list = document.createElement("ul");
    list.id = id + "-list";
    list.className = "multiselect-list";
    list.setAttribute("role", "listbox");
    list.hidden = true;
    var removeLabel = select.getAttribute("data-multiselect-remove") || "%(name)s";
    var active = -1;  // index among the options shown in the list

    // the select's label now names the text box
    var label = select.id && document.querySelector('label[for="' + select.id + '"]');
    if (label) label.htmlFor = input.id;
    else input.setAttribute("aria-label", input.placeholder);

    wrap.appendChild(chips);
    wrap.appendChild(input);
    wrap.appendChild(list);
    select.parentNode.insertBefore(wrap, select);
    select.hidden = true;
    select.classList.add("multiselect-source");

    function drawChips() {
      chips.textContent = "";
      Array.prototype.forEach.call(select.options, function (option) {
        if (!option.selected) return;
        var chip = document.createElement("li");
        chip.className = "multiselect-chip";
        var text = document.createElement("span");
        text.textContent = option.text;
        var remove = document.createElement("button");
        remove.type = "button";
        remove.className = "multiselect-remove";
        remove.textContent = "×";
        remove.setAttribute("aria-label", removeLabel.replace("%(name)s", option.text));
        remove.addEventListener("click", function () {
          toggle(option);
          input.focus();
        });
        chip.appendChild(text);
        chip.appendChild(remove);
        chips.appendChild(chip);
      });
    }

    function shown() {
      return Array.prototype.slice.call(list.querySelectorAll("[role=option]"));
    }

    function drawList() {
      var wanted = folded(input.value.trim());
      list.textContent = "";
      Array.prototype.forEach.call(select.options, function (option, index) {
        if (option.selected || !option.value || folded(option.text).indexOf(wanted) === -1) {
          return;
        }
        var item = document.createElement("li");
        item.id = id + "-option-" + index;
        item.className = "multiselect-option";
        item.setAttribute("role", "option");
        item.setAttribute("aria-selected", "false");
        item.textContent = option.text;
        item.erpOption = option;
        // mousedown, not click: the box keeps the focus
        item.addEventListener("mousedown", function (event) {
          event.preventDefault();
          toggle(option);
        });
        list.appendChild(item);
      });
      active = Math.min(active, shown().length - 1);
      mark();
    }

    function mark() {
      shown().forEach(function (item, index) {
        item.classList.toggle("active", index === active);
        item.setAttribute("aria-selected", String(index === active));
        if (index === active) item.scrollIntoView({block: "nearest"});
      });
      var current = shown()[active];
      if (current) input.setAttribute("aria-activedescendant", current.id);
      else input.removeAttribute("aria-activedescendant");
    }

    function open(yes) {
      list.hidden = !yes || !list.children.length;
      input.setAttribute("aria-expanded", String(!list.hidden));
    }

    function toggle(option) {
      option.selected = !option.selected;
      select.dispatchEvent(new Event("change", {bubbles: true}));
      input.value = "";
      drawChips();
      drawList();
      open(document.activeElement === input);
    }

    input.addEventListener("focus", function () { drawList(); open(true); });
    input.addEventListener("blur", function () { open(false); active = -1; });
    input.addEventListener("input", function () { active = 0; drawList(); open(true); });
    input.addEventListener("keydown", function (event) {
      var items = shown();
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        open(true);
        if (!items.length) return;
        var step = event.key === "ArrowDown" ? 1 : -1;
        active = (active + step + items.length) % items.length;
        mark();
      } else if (event.key === "Enter") {
        if (list.hidden) return;  // a closed list: Enter submits the form as usual
        event.preventDefault();
        if (items[Math.max(active, 0)]) toggle(items[Math.max(active, 0)].erpOption);
      } else if (event.key === "Escape") {
        if (!list.hidden) event.preventDefault();
        open(false);
      } else if (event.key === "Backspace" && !input.value) {
        var chosen = Array.prototype.filter.call(select.options, function (o) {
          return o.selected;
        });
        if (chosen.length) toggle(chosen[chosen.length - 1]);
      }
    });
    wrap.addEventListener("click", function (event) {
      if (event.target === wrap || event.target === chips) input.focus();
    });

    drawChips();
  }

  document.querySelectorAll("select[multiple][data-multiselect]").forEach(function (select) {
    if (!select.matches(":disabled")) enhance(select);  // a read-only form keeps it as it is
  });
})();
