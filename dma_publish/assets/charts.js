/* Render every chart on the page from the Vega-Lite spec embedded beside it, when it is needed.
   Works over HTTP with Material's instant navigation (document$) and from file:// (DOMContentLoaded).
   Makes no network request beyond the site's own Vega bundle (vega-bundle.js, beside this file).

   A chart is drawn when it comes near the screen (within NEAR of the viewport), when its tab is
   chosen (a chart in a hidden tab is not near anything), or before the page is printed. The Vega
   bundle (Vega, Vega-Lite and vega-embed, about 870 KiB) is loaded the first time a chart is
   drawn: a reader who never scrolls to a chart never pays for it, and the page is ready to read
   as soon as its words are. Until then the view keeps its role and name (an image named by the
   chart's description, described by its summary), and the data table above it is the chart as
   text. Without IntersectionObserver every chart is drawn at once. */
(function () {
  "use strict";

  // aria: false - the view's role="img" and aria-label name the chart, and the data table beside
  // it is the text alternative; the SVG's own marks would otherwise each be an unnamed image
  // to assistive technology (axe-core: svg-img-alt).
  var OPTIONS = { actions: false, renderer: "svg", tooltip: true, config: { aria: false } };
  var NEAR = "200px 0px";
  var script = document.currentScript;
  // The page names the bundle relative to itself; resolved now, it stays right after Material's
  // instant navigation moves to a page in another folder.
  var named = script && script.getAttribute("data-bundle");
  var BUNDLE = named
    ? new URL(named, document.baseURI).href
    : new URL("vega-bundle.js", (script && script.src) || document.baseURI).href;
  var bundle = null; // a Promise once the bundle is asked for
  var observer = null;

  function loadBundle() {
    if (typeof window.vegaEmbed === "function") {
      return Promise.resolve();
    }
    if (!bundle) {
      bundle = new Promise(function (resolve, reject) {
        var tag = document.createElement("script");
        tag.src = BUNDLE;
        tag.onload = function () {
          resolve();
        };
        tag.onerror = function () {
          bundle = null;
          reject(new Error("the chart library did not load (" + BUNDLE + ")"));
        };
        document.head.appendChild(tag);
      });
    }
    return bundle;
  }

  function parseSpec(figure) {
    var source = figure.querySelector('script.dma-chart__spec[type="application/json"]');
    if (!source) {
      return null;
    }
    try {
      return JSON.parse(source.textContent);
    } catch (err) {
      return null;
    }
  }

  function fail(figure, view, err) {
    view.setAttribute("data-rendered", "error");
    if (window.console) {
      window.console.error("chart " + figure.id + ": " + err);
    }
  }

  function draw(figure, view, spec) {
    // Vega gives its container a role and name of its own: keep the page's, which make the
    // focusable view an image named by its description and described by the summary.
    var kept = ["role", "aria-label", "aria-describedby", "tabindex"].map(function (name) {
      return [name, view.getAttribute(name)];
    });
    return window.vegaEmbed(view, spec, OPTIONS).then(function () {
      kept.forEach(function (pair) {
        if (pair[1] === null) {
          view.removeAttribute(pair[0]);
        } else {
          view.setAttribute(pair[0], pair[1]);
        }
      });
      view.removeAttribute("aria-roledescription");
      view.style.minHeight = "";
      var svg = view.querySelector("svg");
      if (svg) {
        svg.setAttribute("aria-hidden", "true");
        svg.setAttribute("focusable", "false");
      }
      view.setAttribute("data-rendered", "done");
    });
  }

  // Draw one chart; a Promise that settles when it is drawn (or has failed).
  function renderChart(figure) {
    var view = figure.querySelector(".dma-chart__view");
    if (!view || view.getAttribute("data-rendered")) {
      return Promise.resolve();
    }
    if (observer) {
      observer.unobserve(view);
    }
    var spec = parseSpec(figure);
    if (!spec) {
      view.setAttribute("data-rendered", "error");
      return Promise.resolve();
    }
    view.setAttribute("data-rendered", "pending");
    return loadBundle()
      .then(function () {
        return draw(figure, view, spec);
      })
      .catch(function (err) {
        fail(figure, view, err);
      });
  }

  function figures() {
    return Array.prototype.slice.call(document.querySelectorAll("figure.dma-chart"));
  }

  // Draw every chart on the page now (before printing, or where nothing can tell what is near).
  function renderAll() {
    return Promise.all(figures().map(renderChart));
  }

  function watch() {
    if (observer) {
      observer.disconnect();
      observer = null;
    }
    if (typeof window.IntersectionObserver !== "function") {
      renderAll();
      return;
    }
    observer = new IntersectionObserver(
      function (entries) {
        entries.forEach(function (entry) {
          if (entry.isIntersecting) {
            renderChart(entry.target.closest("figure.dma-chart"));
          }
        });
      },
      { rootMargin: NEAR }
    );
    figures().forEach(function (figure) {
      var view = figure.querySelector(".dma-chart__view");
      if (!view || view.getAttribute("data-rendered")) {
        return;
      }
      // Keep the drawing's room while it is not drawn, so the page moves less when it is.
      var spec = parseSpec(figure);
      if (spec && typeof spec.height === "number") {
        view.style.minHeight = spec.height + "px";
      }
      observer.observe(view);
    });
  }

  window.dmaCharts = { renderAll: renderAll };
  window.addEventListener("beforeprint", renderAll);
  if (window.document$ && typeof window.document$.subscribe === "function") {
    window.document$.subscribe(watch);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", watch);
  } else {
    watch();
  }
})();
