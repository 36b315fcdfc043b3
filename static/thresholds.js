// The low-stock thresholds grid's shortcuts: "same for every size" copies each colour's
// first filled cell across its row; "same for every colour" copies each size's first
// filled cell down its column. Nothing is saved until the form is submitted.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-fill]");
    if (!button) return;
    var form = button.closest("form");
    var along = button.dataset.fill; // "row" or "column"
    var groups = {};
    form.querySelectorAll("input[data-row]").forEach(function (input) {
      var key = input.dataset[along];
      (groups[key] = groups[key] || []).push(input);
    });
    Object.keys(groups).forEach(function (key) {
      var first = groups[key].find(function (input) { return input.value.trim() !== ""; });
      if (!first) return;
      groups[key].forEach(function (input) { input.value = first.value.trim(); });
    });
  });
})();
