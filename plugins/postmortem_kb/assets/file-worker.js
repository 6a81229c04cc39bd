/* Postmortem KB: web workers for the site opened from disk (file://).

   Browsers refuse `new Worker()` on a page opened from disk, so mkdocs-material's search worker
   never starts there. On file:// pages only, this script replaces `Worker` with a stand-in that
   runs the worker's script in a hidden frame of the page and passes messages both ways, as a
   worker would: cloned, and delivered later, never during the call that posts them.

   The frame has no address of its own, so it shares the page's origin: the page can reach into
   it, and it loads scripts from disk as the page does. Inside it, `postMessage` answers the page,
   "message" events arrive from the page, and `importScripts` loads scripts in order, relative to
   the worker's script. A real `importScripts` blocks; this one cannot, so it returns a promise,
   which material's worker awaits. The script runs on the page's thread: a long task in it makes
   the page wait. Module workers are not supported. Served over http(s) nothing changes.

   One more request the theme makes cannot work from disk: for every <link rel="alternate"> in
   the head (it reads them as other languages of the site; ours are the Atom feeds), it fetches
   "sitemap.xml" beside the link's address, and the browser refuses it (an error in the console
   of every page). On file:// pages only, before the theme's bundle reads the document, those
   links lose the "alternate" keyword (kept in data-pmkb-rel); their address and type stay. */
(function () {
  "use strict";

  if (location.protocol !== "file:") return;

  function unlinkAlternates() {
    var links = document.querySelectorAll("link[rel]");
    for (var i = 0; i < links.length; i++) {
      var link = links[i];
      if (!link.relList || !link.relList.contains("alternate")) continue;
      link.setAttribute("data-pmkb-rel", link.getAttribute("rel"));
      link.relList.remove("alternate");
    }
  }
  // This script runs in <head>, before the theme's bundle (at the end of <body>) listens for
  // DOMContentLoaded: this listener runs first.
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", unlinkAlternates);
  else unlinkAlternates();

  if (typeof EventTarget !== "function") return;

  var clone = typeof structuredClone === "function"
    ? function (data, transfer) { return structuredClone(data, transfer.length ? { transfer: transfer } : undefined); }
    : function (data) { return data; };

  // postMessage(message, transfer) or postMessage(message, {transfer}), as on a real worker.
  function transferList(options) {
    if (Array.isArray(options)) return options;
    return (options && options.transfer) || [];
  }

  function later(task) { setTimeout(task, 0); }

  function loadInOrder(doc, urls) {
    return urls.reduce(function (done, url) {
      return done.then(function () {
        return new Promise(function (resolve, reject) {
          var script = doc.createElement("script");
          script.src = url;
          script.onload = function () { resolve(); };
          script.onerror = function () { reject(new Error("importScripts: could not load " + url)); };
          doc.head.appendChild(script);
        });
      });
    }, Promise.resolve());
  }

  class FrameWorker extends EventTarget {
    constructor(url, options) {
      super();
      if (options && options.type === "module") {
        throw new TypeError("module workers cannot run from file://");
      }
      var worker = this;
      var src = new URL(String(url), document.baseURI).href;
      var waiting = [];  // messages posted before the worker's script has run
      var started = false;
      var stopped = false;

      worker.onmessage = null;
      worker.onmessageerror = null;
      worker.onerror = null;
      // The on* properties act as the first listener, like a worker's event handler attributes.
      ["message", "messageerror", "error"].forEach(function (type) {
        worker.addEventListener(type, function (event) {
          var handler = worker["on" + type];
          if (typeof handler === "function") handler.call(worker, event);
        });
      });

      var frame = document.createElement("iframe");
      frame.hidden = true;
      frame.tabIndex = -1;
      frame.setAttribute("aria-hidden", "true");
      frame.title = "worker: " + src;
      (document.body || document.documentElement).appendChild(frame);
      var scope = frame.contentWindow;
      var doc = frame.contentDocument;

      // Relative addresses in the script (fetch, a script's src) resolve as in a worker.
      var base = doc.createElement("base");
      base.href = src;
      doc.head.appendChild(base);

      function toWorker(data) {
        if (!stopped) scope.dispatchEvent(new scope.MessageEvent("message", { data: data }));
      }

      scope.postMessage = function (message, options) {
        var data = clone(message, transferList(options));
        later(function () {
          if (!stopped) worker.dispatchEvent(new MessageEvent("message", { data: data }));
        });
      };
      scope.importScripts = function () {
        var urls = Array.prototype.map.call(arguments, function (u) { return new URL(String(u), src).href; });
        return loadInOrder(doc, urls);
      };
      scope.close = function () { worker.terminate(); };
      scope.addEventListener("error", function (event) {
        if (stopped) return;
        worker.dispatchEvent(new ErrorEvent("error", {
          message: event.message, filename: event.filename, lineno: event.lineno, colno: event.colno
        }));
      });

      worker.postMessage = function (message, options) {
        var data = clone(message, transferList(options));
        if (stopped) return;
        if (started) later(function () { toWorker(data); });
        else waiting.push(data);
      };
      worker.terminate = function () {
        stopped = true;
        waiting = [];
        if (frame.parentNode) frame.parentNode.removeChild(frame);
      };

      var script = doc.createElement("script");
      script.src = src;
      script.onload = function () {
        started = true;
        var queued = waiting;
        waiting = [];
        queued.forEach(function (data) { later(function () { toWorker(data); }); });
      };
      script.onerror = function () {
        if (!stopped) worker.dispatchEvent(new ErrorEvent("error", { message: "could not load the worker script " + src }));
      };
      doc.head.appendChild(script);
    }
  }

  window.Worker = FrameWorker;
})();
