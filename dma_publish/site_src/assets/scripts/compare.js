/* The compare page: choose up to five returns (an organisation in a care setting) and see their
   scores side by side. Data: the JSON embedded in the page (#dma-compare-data); the choice is
   kept in the address (#code-setting,code-setting), so it can be bookmarked. No request. */
(function () {
  "use strict";

  var root = document.getElementById("dma-compare");
  var source = document.getElementById("dma-compare-data");
  if (!root || !source) {
    return;
  }
  var data = JSON.parse(source.textContent);
  var byId = {};
  data.returns.forEach(function (r) {
    byId[r.id] = r;
  });
  var chosen = [];

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      node.setAttribute(k, attrs[k]);
    });
    if (text !== undefined) {
      node.textContent = text;
    }
    return node;
  }

  function label(r) {
    return r.name + " (" + r.code + "), " + r.setting;
  }

  // The chooser: a labelled text box with a list of matching returns.
  var form = el("form", { class: "dma-compare__form" });
  var inputId = "dma-compare-input";
  form.appendChild(el("label", { for: inputId }, "Organisation name or code"));
  var input = el("input", {
    id: inputId,
    type: "text",
    list: "dma-compare-options",
    autocomplete: "off",
    "aria-describedby": "dma-compare-status",
  });
  var options = el("datalist", { id: "dma-compare-options" });
  data.returns.forEach(function (r) {
    options.appendChild(el("option", { value: label(r) }));
  });
  var add = el("button", { type: "submit", class: "md-button" }, "Add");
  form.appendChild(input);
  form.appendChild(options);
  form.appendChild(add);
  var status = el("p", { id: "dma-compare-status", role: "status", class: "dma-compare__status" });
  var list = el("ul", { class: "dma-compare__chosen", "aria-label": "Chosen organisations" });
  var table = el("div", { class: "dma-compare__table" });
  root.appendChild(form);
  root.appendChild(status);
  root.appendChild(list);
  root.appendChild(table);

  function find(text) {
    var wanted = text.trim().toLowerCase();
    if (!wanted) {
      return null;
    }
    var exact = data.returns.filter(function (r) {
      return label(r).toLowerCase() === wanted;
    });
    if (exact.length) {
      return exact[0];
    }
    var partial = data.returns.filter(function (r) {
      return label(r).toLowerCase().indexOf(wanted) !== -1;
    });
    return partial.length === 1 ? partial[0] : null;
  }

  function save() {
    var hash = chosen.join(",");
    if (window.history && window.history.replaceState) {
      window.history.replaceState(null, "", hash ? "#" + hash : window.location.pathname);
    }
  }

  function render() {
    list.textContent = "";
    chosen.forEach(function (id) {
      var r = byId[id];
      var item = el("li");
      item.appendChild(el("span", {}, label(r) + " "));
      var remove = el("button", { type: "button", class: "dma-compare__remove" }, "Remove");
      remove.setAttribute("aria-label", "Remove " + label(r));
      remove.addEventListener("click", function () {
        chosen = chosen.filter(function (c) {
          return c !== id;
        });
        status.textContent = "Removed " + label(r) + ".";
        save();
        render();
      });
      item.appendChild(remove);
      list.appendChild(item);
    });
    table.textContent = "";
    if (!chosen.length) {
      table.appendChild(el("p", {}, "No organisations chosen yet."));
      return;
    }
    data.years.forEach(function (year) {
      var returns = chosen.map(function (id) {
        return byId[id];
      });
      if (!returns.some(function (r) { return r.scores[year]; })) {
        return;
      }
      var wrap = el("div", { class: "md-typeset__table" });
      var t = el("table");
      t.appendChild(el("caption", {}, "Pillar and overall scores, " + year));
      var head = el("tr");
      head.appendChild(el("th", { scope: "col" }, "Pillar"));
      returns.forEach(function (r) {
        var th = el("th", { scope: "col" });
        th.appendChild(el("a", { href: r.href }, r.name));
        th.appendChild(document.createTextNode(" (" + r.setting + ")"));
        head.appendChild(th);
      });
      var thead = el("thead");
      thead.appendChild(head);
      t.appendChild(thead);
      var body = el("tbody");
      data.measures.forEach(function (m) {
        var tr = el("tr");
        tr.appendChild(el("th", { scope: "row" }, m[1]));
        returns.forEach(function (r) {
          var s = r.scores[year] || {};
          tr.appendChild(el("td", {}, s[m[0]] || "[x]"));
        });
        body.appendChild(tr);
      });
      t.appendChild(body);
      wrap.appendChild(t);
      table.appendChild(wrap);
    });
    var surveys = {};
    chosen.forEach(function (id) {
      surveys[byId[id].setting] = true;
    });
    if (Object.keys(surveys).length > 1) {
      table.appendChild(
        el("p", { class: "dma-compare__warning" },
          "These are different care settings: their scores are not comparable with each other.")
      );
    }
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var r = find(input.value);
    if (!r) {
      status.textContent = "No single organisation matches \u201c" + input.value.trim() +
        "\u201d: choose one from the list.";
      return;
    }
    if (chosen.indexOf(r.id) !== -1) {
      status.textContent = label(r) + " is already chosen.";
      return;
    }
    if (chosen.length >= data.max) {
      status.textContent = "You can compare up to " + data.max + " organisations: remove one first.";
      return;
    }
    chosen.push(r.id);
    input.value = "";
    status.textContent = "Added " + label(r) + ". " + chosen.length + " of " + data.max + " chosen.";
    save();
    render();
  });

  var fromHash = decodeURIComponent(window.location.hash.replace(/^#/, "")).split(",");
  chosen = fromHash.filter(function (id, i) {
    return byId[id] && fromHash.indexOf(id) === i;
  }).slice(0, data.max);
  render();
})();
