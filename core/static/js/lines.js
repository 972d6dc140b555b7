// The document editor (core/templates/generic/_lines.html): add, move and remove lines,
// sections and notes; fill a product line from the price list; and work out subtotals and
// totals while typing, reading and writing numbers as the user's language does. The server
// recomputes everything on save: these figures are a preview. Loaded as a file (the CSP
// allows no inline script).
(function () {
  "use strict";

  document.querySelectorAll(".doc-editor").forEach(function (editor) {
    var body = editor.querySelector("table.doc-lines tbody");
    var form = editor.closest("form");
    var decimal = editor.getAttribute("data-decimal");
    var group = editor.getAttribute("data-group");
    var zero = editor.getAttribute("data-money-zero");  // "0,00 ₫", "¥0.00": the money format
    var digits = (zero.match(/0[.,](0+)/) || [null, ""])[1].length;

    // as core.numbers.parse_number reads it: the language's grouping and decimal symbols
    // (Vietnamese 1.500.000 and 1,5), or a machine number ("1500.5") where the point cannot
    // be grouping; NaN for anything else
    function parse(text) {
      text = (text || "").trim();
      if (!text) return null;
      var esc = function (s) { return s.replace(/[.*+?^${}()|[\]\\\s]/g, "\\$&"); };
      var grouped = new RegExp("^[+-]?\\d{1,3}(" + esc(group) + "\\d{3})*(" + esc(decimal) +
                               "\\d+)?$");
      var plain = new RegExp("^[+-]?\\d*(" + esc(decimal) + "\\d+)?$");
      if (grouped.test(text) || plain.test(text)) {
        return Number(text.split(group).join("").replace(decimal, "."));
      }
      return decimal !== "." && /^[+-]?\d+\.\d+$/.test(text) ? Number(text) : NaN;
    }

    function format(number, places) {
      var fixed = Math.abs(number).toFixed(places).split(".");
      var whole = fixed[0].replace(/\B(?=(\d{3})+(?!\d))/g, group);
      return (number < 0 ? "-" : "") + whole + (places ? decimal + fixed[1] : "");
    }

    function money(number) {
      var pattern = zero.replace(/0([.,]0+)?/, "#");
      return pattern.replace("#", format(number, digits));
    }

    // half-up to the currency's decimals (the cent, the whole đồng), like core.money (a
    // preview should agree with what is saved); the tolerance takes 308.625, held as
    // 308.62499…, up as the server does
    var unit = Math.pow(10, digits);
    function cents(number) {
      return Math.sign(number) * Math.round(Math.abs(number) * unit + 1e-6) / unit;
    }

    function recompute() {
      var untaxed = 0, tax = 0;
      body.querySelectorAll("tr.doc-line.kind-line").forEach(function (row) {
        var quantity = parse(row.querySelector(".line-quantity").value);
        var price = parse(row.querySelector(".line-price").value);
        var discount = parse(row.querySelector(".line-discount").value) || 0;
        var rate = Number(row.querySelector(".line-tax").value || 0);
        var cell = row.querySelector(".line-subtotal");
        var bad = [quantity, price, discount].some(function (n) { return Number.isNaN(n); });
        row.classList.toggle("table-warning", bad);
        if (bad || price === null) { cell.textContent = ""; return; }
        var line = cents((quantity === null ? 1 : quantity) * price * (100 - discount) / 100);
        cell.textContent = money(line);
        untaxed += line;
        tax += cents(line * rate / 100);
      });
      var totals = form.querySelector(".doc-totals");
      if (!totals) return;
      totals.querySelector(".doc-untaxed").textContent = money(untaxed);
      totals.querySelector(".doc-tax").textContent = money(tax);
      totals.querySelector(".doc-total").textContent = money(untaxed + tax);
    }

    function addRow(template) {
      var source = editor.querySelector("template." + template);
      var row = source.content.firstElementChild.cloneNode(true);
      body.appendChild(row);
      row.querySelectorAll("select[data-lookup]").forEach(function (select) {
        if (window.erpLookup) window.erpLookup(select);
      });
      var first = row.querySelector("select, input:not([type=hidden]), textarea");
      if (first) first.focus();
      return row;
    }

    editor.querySelectorAll(".doc-add").forEach(function (button) {
      button.addEventListener("click", function () {
        addRow(button.getAttribute("data-template"));
      });
    });

    body.addEventListener("click", function (event) {
      var button = event.target.closest("button");
      if (!button) return;
      var row = button.closest("tr.doc-line");
      if (button.classList.contains("doc-remove")) {
        row.remove();
        if (!body.querySelector("tr.doc-line")) addRow("doc-new-line");
      } else if (button.classList.contains("doc-up") && row.previousElementSibling) {
        body.insertBefore(row, row.previousElementSibling);
      } else if (button.classList.contains("doc-down") && row.nextElementSibling) {
        body.insertBefore(row.nextElementSibling, row);
      } else {
        return;
      }
      recompute();
    });

    // a product line: its description, price, discount and tax from the customer's price list
    var priceUrl = editor.getAttribute("data-price-url");
    function fill(row) {
      var product = row.querySelector(".line-product");
      if (!priceUrl || !product || !product.value) return;
      var partner = document.getElementById(editor.getAttribute("data-partner-field"));
      var quantity = parse(row.querySelector(".line-quantity").value);
      var params = new URLSearchParams({product_id: product.value,
                                        partner_id: partner ? partner.value : "",
                                        quantity: quantity ? String(quantity) : "1"});
      fetch(priceUrl + "?" + params, {credentials: "same-origin"})
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (!data) return;
          row.querySelector(".line-price").value = format(Number(data.price_unit), digits);
          var discount = Number(data.discount);
          row.querySelector(".line-discount").value = discount ? format(discount, 2) : "";
          var tax = row.querySelector(".line-tax");
          var rate = String(Number(data.tax_rate));
          if (!Array.prototype.some.call(tax.options, function (o) { return o.value === rate; })) {
            tax.add(new Option(rate + "%", rate));
          }
          tax.value = rate;
          var description = row.querySelector(".line-description");
          if (!description.value) description.value = data.description;
          var field = row.querySelector(".line-quantity");
          // not while the user is in the field: setting it would break into their typing
          if (!field.value && document.activeElement !== field) field.value = format(1, 0);
          recompute();
        });
    }

    body.addEventListener("change", function (event) {
      var row = event.target.closest("tr.doc-line");
      if (event.target.matches(".line-product")) {
        row.querySelector(".line-description").value = "";
        fill(row);
      } else if (event.target.matches(".line-quantity")) {
        fill(row);
      }
      recompute();
    });
    body.addEventListener("input", recompute);
    recompute();
  });
})();
