/* Charts are drawn at build time: each is an SVG image that the page shows with no script. This
   script only makes a chart's PNG download, in the reader's browser, from that SVG: the image is
   drawn on a canvas at twice its size, on white, and saved under the chart's name. Nothing else
   is loaded and no request leaves the site.

   Works over HTTP with Material's instant navigation (document$) and from file://
   (DOMContentLoaded). From file:// the browser will not let a page read back a canvas it drew a
   file's image on, so there the button says so and points to the SVG, the same chart. */
(function () {
  "use strict";

  var SCALE = 2; // pixels of the PNG per CSS pixel of the chart: sharp on a high-density screen

  function status(button) {
    var next = button.nextElementSibling;
    if (next && next.classList.contains("dma-chart__status")) {
      return next;
    }
    var box = document.createElement("span");
    box.className = "dma-chart__status";
    box.setAttribute("role", "status");
    button.parentNode.insertBefore(box, button.nextSibling);
    return box;
  }

  function save(blob, name) {
    var url = URL.createObjectURL(blob);
    var link = document.createElement("a");
    link.href = url;
    link.download = name;
    link.style.display = "none";
    document.body.appendChild(link);
    link.click();
    link.remove();
    window.setTimeout(function () {
      URL.revokeObjectURL(url);
    }, 1000);
  }

  // The chart's SVG as a PNG Blob (a Promise).
  function toPng(source) {
    return new Promise(function (resolve, reject) {
      var image = new Image();
      image.onload = function () {
        var width = image.naturalWidth || source.width;
        var height = image.naturalHeight || source.height;
        var canvas = document.createElement("canvas");
        canvas.width = Math.round(width * SCALE);
        canvas.height = Math.round(height * SCALE);
        var context = canvas.getContext("2d");
        context.fillStyle = "#ffffff";
        context.fillRect(0, 0, canvas.width, canvas.height);
        context.drawImage(image, 0, 0, canvas.width, canvas.height);
        try {
          canvas.toBlob(function (blob) {
            if (blob) {
              resolve(blob);
            } else {
              reject(new Error("the browser made no PNG"));
            }
          }, "image/png");
        } catch (err) {
          reject(err); // a canvas the page may not read back (file://)
        }
      };
      image.onerror = function () {
        reject(new Error("the chart's image did not load"));
      };
      image.src = source.currentSrc || source.src;
    });
  }

  function makePng(button) {
    var figure = button.closest("figure.dma-chart");
    var source = figure && figure.querySelector("img.dma-chart__view");
    var box = status(button);
    if (!source) {
      box.textContent = "This chart has no image.";
      return;
    }
    button.disabled = true;
    box.textContent = "Making the PNG\u2026";
    toPng(source)
      .then(function (blob) {
        save(blob, button.getAttribute("data-file") || figure.id + ".png");
        box.textContent = "PNG saved.";
      })
      .catch(function (err) {
        box.textContent =
          location.protocol === "file:"
            ? "A PNG can be made only when the site is served by a web server: the SVG is the same chart."
            : "The PNG could not be made (" + err.message + "): the SVG is the same chart.";
      })
      .then(function () {
        button.disabled = false;
      });
  }

  function ready() {
    [].forEach.call(document.querySelectorAll("button.dma-chart__png"), function (button) {
      if (!button.hasAttribute("data-ready")) {
        button.setAttribute("data-ready", "");
        button.addEventListener("click", function () {
          makePng(button);
        });
      }
      button.hidden = false;
    });
  }

  // A lazy image not yet near the screen is fetched before the page is printed.
  window.addEventListener("beforeprint", function () {
    [].forEach.call(document.querySelectorAll("img.dma-chart__view"), function (image) {
      image.loading = "eager";
    });
  });
  window.dmaCharts = { toPng: toPng, ready: ready };
  if (window.document$ && typeof window.document$.subscribe === "function") {
    window.document$.subscribe(ready);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
})();
