/* Render every chart on the page from the Vega-Lite spec embedded beside it.
   Works over HTTP with Material's instant navigation (document$) and from file:// (DOMContentLoaded).
   Needs window.vegaEmbed from vega-bundle.js; makes no network request. */
(function () {
  "use strict";

  // aria: false - the view's role="img" and aria-label name the chart, and the data table beside
  // it is the text alternative; the SVG's own marks would otherwise each be an unnamed image
  // to assistive technology (axe-core: svg-img-alt).
  var OPTIONS = { actions: false, renderer: "svg", tooltip: true, config: { aria: false } };

  function renderChart(figure) {
    var view = figure.querySelector(".dma-chart__view");
    var source = figure.querySelector('script.dma-chart__spec[type="application/json"]');
    if (!view || !source || view.getAttribute("data-rendered")) {
      return;
    }
    var spec;
    try {
      spec = JSON.parse(source.textContent);
    } catch (err) {
      view.setAttribute("data-rendered", "error");
      return;
    }
    view.setAttribute("data-rendered", "pending");
    // Vega gives its container a role and name of its own: keep the page's, which make the
    // focusable view an image named by its description and described by the summary.
    var kept = ["role", "aria-label", "aria-describedby", "tabindex"].map(function (name) {
      return [name, view.getAttribute(name)];
    });
    window.vegaEmbed(view, spec, OPTIONS).then(
      function () {
        kept.forEach(function (pair) {
          if (pair[1] === null) {
            view.removeAttribute(pair[0]);
          } else {
            view.setAttribute(pair[0], pair[1]);
          }
        });
        view.removeAttribute("aria-roledescription");
        var svg = view.querySelector("svg");
        if (svg) {
          svg.setAttribute("aria-hidden", "true");
          svg.setAttribute("focusable", "false");
        }
        view.setAttribute("data-rendered", "done");
      },
      function (err) {
        view.setAttribute("data-rendered", "error");
        if (window.console) {
          window.console.error("chart " + figure.id + ": " + err);
        }
      }
    );
  }

  function renderAll() {
    if (typeof window.vegaEmbed !== "function") {
      return;
    }
    var figures = document.querySelectorAll("figure.dma-chart");
    for (var i = 0; i < figures.length; i++) {
      renderChart(figures[i]);
    }
  }

  if (window.document$ && typeof window.document$.subscribe === "function") {
    window.document$.subscribe(renderAll);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", renderAll);
  } else {
    renderAll();
  }
})();
