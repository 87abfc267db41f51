/* Sortable and filterable tables. Sortable: every table inside a .dma-sortable block gets a button in each column header
   that sorts the rows by that column (again: the other way). Numbers sort as numbers, words
   A to Z; the GSS symbols [c] and [x] and blanks always sort last. The table is in name order
   without this script; the sort is announced through aria-sort on the header. No request. */
(function () {
  "use strict";

  function cellValue(row, index) {
    var cell = row.children[index];
    return cell ? cell.textContent.trim() : "";
  }

  function asNumber(text) {
    var cleaned = text.replace(/,/g, "").replace("\u2212", "-");
    return /^[-+]?\d+(\.\d+)?$/.test(cleaned) ? parseFloat(cleaned) : null;
  }

  function compare(a, b, numeric) {
    var emptyA = a === "" || a.charAt(0) === "[";
    var emptyB = b === "" || b.charAt(0) === "[";
    if (emptyA || emptyB) {
      return emptyA === emptyB ? 0 : emptyA ? 1 : -1;
    }
    if (numeric) {
      return asNumber(a) - asNumber(b);
    }
    return a.localeCompare(b, "en", { sensitivity: "base" });
  }

  function sortBy(table, index, button) {
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var header = button.parentNode;
    var ascending = header.getAttribute("aria-sort") !== "ascending";
    var numeric = rows.every(function (row) {
      var text = cellValue(row, index);
      return text === "" || text.charAt(0) === "[" || asNumber(text) !== null;
    });
    rows = rows.map(function (row, n) {
      return { row: row, n: n, text: cellValue(row, index) };
    });
    rows.sort(function (x, y) {
      var order = compare(x.text, y.text, numeric);
      var empty = x.text === "" || x.text.charAt(0) === "[" || y.text === "" || y.text.charAt(0) === "[";
      if (!empty && !ascending) {
        order = -order;
      }
      return order || x.n - y.n;
    });
    rows.forEach(function (item) {
      body.appendChild(item.row);
    });
    var headers = table.tHead.rows[0].cells;
    for (var i = 0; i < headers.length; i++) {
      headers[i].removeAttribute("aria-sort");
    }
    header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
  }

  function enhance(table) {
    if (!table.tHead || !table.tBodies.length || table.getAttribute("data-dma-sortable")) {
      return;
    }
    table.setAttribute("data-dma-sortable", "");
    var headers = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(headers, function (header, index) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "dma-sort";
      while (header.firstChild) {
        button.appendChild(header.firstChild);
      }
      header.appendChild(button);
      button.addEventListener("click", function () {
        sortBy(table, index, button);
      });
    });
  }

  // Filterable tables: a labelled box above the table; rows without the typed text are hidden.
  var filters = 0;
  function addFilter(table) {
    if (!table.tBodies.length || table.getAttribute("data-dma-filter")) {
      return;
    }
    table.setAttribute("data-dma-filter", "");
    filters += 1;
    var id = "dma-filter-" + filters;
    var box = document.createElement("p");
    box.className = "dma-filter";
    var label = document.createElement("label");
    label.setAttribute("for", id);
    label.textContent = "Show only files whose name or organisation contains ";
    var input = document.createElement("input");
    input.type = "search";
    input.id = id;
    input.autocomplete = "off";
    var count = document.createElement("span");
    count.setAttribute("role", "status");
    box.appendChild(label);
    box.appendChild(input);
    box.appendChild(count);
    var holder = table.closest(".md-typeset__scrollwrap") || table;
    holder.parentNode.insertBefore(box, holder);
    input.addEventListener("input", function () {
      var wanted = input.value.trim().toLowerCase();
      var shown = 0;
      Array.prototype.forEach.call(table.tBodies[0].rows, function (row) {
        var match = !wanted || row.textContent.toLowerCase().indexOf(wanted) !== -1;
        row.hidden = !match;
        shown += match ? 1 : 0;
      });
      count.textContent = wanted ? " " + shown + " shown" : "";
    });
  }

  function enhanceAll() {
    var tables = document.querySelectorAll(".dma-sortable table");
    for (var i = 0; i < tables.length; i++) {
      enhance(tables[i]);
    }
    var filtered = document.querySelectorAll(".dma-filterable table");
    for (var j = 0; j < filtered.length; j++) {
      addFilter(filtered[j]);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", enhanceAll);
  } else {
    enhanceAll();
  }
})();
