/* Postmortem KB: the theme's search box, answered by the KB's sharded index.

   mkdocs-material starts its search worker with `new Worker(<its search worker script>)`.
   This script, loaded in <head> before the theme's bundle, hands that one worker our
   pmkb-search-worker.js instead (next to this file); every other worker is left alone. It
   wraps whatever `Worker` is current when the worker is made, so it works with
   file-worker.js (which replaces `Worker` on file:// pages) in either order. */
(function () {
  "use strict";

  var me = document.currentScript && document.currentScript.src;
  if (!me || typeof window.Worker !== "function") return;
  var ours = new URL("pmkb-search-worker.js", me).href;
  var THEME_WORKER = /\/workers\/search\.[^/]*\.js(?:[?#].*)?$/;
  var current = window.Worker;

  function SearchWorker(url, options) {
    var target = THEME_WORKER.test(String(url)) ? ours : url;
    return new current(target, options);  // eslint-disable-line new-cap
  }
  SearchWorker.prototype = current.prototype;

  Object.defineProperty(window, "Worker", {
    configurable: true,
    get: function () { return SearchWorker; },
    set: function (value) {  // file-worker.js installing its stand-in after us
      current = value;
      SearchWorker.prototype = value.prototype;
    }
  });
})();
