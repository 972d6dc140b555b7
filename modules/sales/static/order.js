// The quotation editor: fill a line's price from the customer's price list
// when its product or quantity changes. Loaded as a file (the CSP allows no inline script).
(function () {
  var form = document.querySelector("form.order-form");
  if (!form) return;
  var body = form.querySelector("table.order-lines tbody");

  function refresh(row) {
    var product = row.querySelector(".line-product").value;
    if (!product) return;
    var partner = form.querySelector("#partner_id");
    var params = new URLSearchParams({product_id: product, partner_id: partner ? partner.value : "",
                                      quantity: row.querySelector(".line-quantity").value || "1"});
    fetch(form.getAttribute("data-price-url") + "?" + params, {credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) return;
        row.querySelector(".line-price").value = data.price_unit;
        row.querySelector(".line-discount").value = data.discount === "0" ? "" : data.discount;
        row.querySelector(".line-tax").textContent = data.tax_rate;
        var description = row.querySelector(".line-description");
        if (!description.value) description.value = data.description;
        var quantity = row.querySelector(".line-quantity");
        // not while the user is in the field: setting it would break into their typing
        if (!quantity.value && document.activeElement !== quantity) quantity.value = "1";
      });
  }

  body.addEventListener("change", function (event) {
    var row = event.target.closest("tr.order-line");
    if (event.target.matches(".line-product")) {
      row.querySelector(".line-description").value = "";
      refresh(row);
    } else if (event.target.matches(".line-quantity")) {
      refresh(row);
    }
  });

})();
