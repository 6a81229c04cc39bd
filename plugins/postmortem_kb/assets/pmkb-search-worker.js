/* Postmortem KB: the site search, loading only the parts of the index a query needs.

   It answers mkdocs-material's search box in the theme's own worker protocol (SETUP, READY,
   QUERY, RESULT), so the search box and the result list are the theme's. The index is
   written by postmortem_kb/site/searchindex.py into search/shards/: a manifest, one file of
   postings per word prefix, and the documents in small chunks. Each file is a script calling
   pmkbSearchLoaded(name, data). Over http a file is fetched and its JSON part parsed (no
   eval); from file:// (where fetch is refused, and this runs in the hidden frame of
   file-worker.js) it is loaded with importScripts, which there returns a promise.

   A query is split into words as the index was (letters and digits, lower-cased, stop words
   dropped); each word finds the indexed words equal to it or starting with it (a prefix match
   counts for less). A document's score adds, for each query word, its best match: the weight
   of where the word appears (title, facets, text), times how rare the word is. Documents that
   match more of the query words come first. Titles and texts are HTML-escaped before the
   matched words are marked, because the theme inserts them as HTML. */
(function () {
  "use strict";

  var SETUP = 0, READY = 1, QUERY = 2, RESULT = 3;
  var MAX_RESULTS = 100;
  // At most this much of longer-prefix files for one word: a word being typed ("co") otherwise
  // loads every file of the words it starts, most of an index of thousands of postmortems.
  // The word's own file (the longest prefix in the manifest) is always loaded, and it holds
  // every indexed word that starts with the same characters.
  var PREFIX_BYTES = 64 * 1024;
  var WORD = /[\p{L}\p{N}]+/gu;

  var script = (typeof document !== "undefined" && document.currentScript && document.currentScript.src) ||
    self.location.href;
  var base = new URL("../../search/shards/", script);
  var fromFile = base.protocol === "file:";
  var loaded = Object.create(null);
  var pending = Object.create(null);
  var manifest = null;
  var stop = Object.create(null);
  var latest = 0;

  self.pmkbSearchLoaded = function (name, data) { loaded[name] = data; };

  function load(name) {
    if (name in loaded) return Promise.resolve(loaded[name]);
    if (pending[name]) return pending[name];
    var url = new URL(name + ".js", base).href;
    var done;
    if (fromFile || typeof fetch !== "function") {
      done = Promise.resolve(importScripts(url));
    } else {
      done = fetch(url).then(function (response) {
        if (!response.ok) throw new Error(url + ": HTTP " + response.status);
        return response.text();
      }).then(function (text) {
        // pmkbSearchLoaded("name",{...});  ->  {...}
        loaded[name] = JSON.parse(text.slice(text.indexOf(",") + 1, text.lastIndexOf(")")));
      });
    }
    pending[name] = done.then(function () { delete pending[name]; return loaded[name]; },
      function (error) { delete pending[name]; throw error; });
    return pending[name];
  }

  function hex(text) {
    var bytes = new TextEncoder().encode(text), out = "";
    for (var i = 0; i < bytes.length; i++) out += (bytes[i] < 16 ? "0" : "") + bytes[i].toString(16);
    return out;
  }

  function words(text) {
    var out = [], seen = Object.create(null), match;
    WORD.lastIndex = 0;
    text = String(text).toLowerCase();
    while ((match = WORD.exec(text)) !== null) {
      var word = match[0];
      if (Array.from(word).length > manifest.max_token || stop[word] || seen[word]) continue;
      seen[word] = true;
      out.push(word);
    }
    return out;
  }

  // The shard holding `word` itself: the longest key that starts it. Then, for prefix matches,
  // every longer key that starts with the word, while they fit the budget.
  function shardsFor(word) {
    var chars = Array.from(word), keys = [], own = null;
    for (var n = chars.length; n >= 1 && own === null; n--) {
      var key = chars.slice(0, n).join("");
      if (key in manifest.shards) own = key;
    }
    if (own !== null) keys.push(own);
    if (chars.length >= 2) {
      var budget = PREFIX_BYTES;
      Object.keys(manifest.shards).forEach(function (key) {
        if (key.length > word.length && key.lastIndexOf(word, 0) === 0 && manifest.shards[key] <= budget) {
          budget -= manifest.shards[key];
          keys.push(key);
        }
      });
    }
    return keys;
  }

  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;" }[c];
    });
  }

  function mark(text, query) {
    var out = "", last = 0, match;
    WORD.lastIndex = 0;
    text = String(text);
    while ((match = WORD.exec(text)) !== null) {
      var word = match[0], lower = word.toLowerCase();
      out += escapeHtml(text.slice(last, match.index));
      var hit = query.some(function (q) { return lower.lastIndexOf(q, 0) === 0; });
      out += hit ? "<mark>" + escapeHtml(word) + "</mark>" : escapeHtml(word);
      last = match.index + word.length;
    }
    return out + escapeHtml(text.slice(last));
  }

  // `stale()` says whether a newer query has come: then the documents of this one are not loaded.
  function search(text, stale) {
    var query = words(text);
    if (!query.length) return Promise.resolve({ items: [] });
    var perWord = query.map(shardsFor);
    var names = [];
    perWord.forEach(function (keys) { keys.forEach(function (k) { names.push("t-" + hex(k)); }); });
    return Promise.all(names.map(load)).then(function () {
      var score = Object.create(null), matched = Object.create(null), terms = Object.create(null);
      query.forEach(function (q, i) {
        var best = Object.create(null);
        perWord[i].forEach(function (key) {
          var shard = loaded["t-" + hex(key)] || {};
          Object.keys(shard).forEach(function (term) {
            if (term.lastIndexOf(q, 0) !== 0) return;
            var postings = shard[term], count = postings.length / 2;
            var idf = Math.log(1 + manifest.docs / count);
            var factor = term === q ? 1 : 0.6 * q.length / term.length + 0.2;
            for (var j = 0, doc = 0; j < postings.length; j += 2) {
              doc += postings[j];
              var s = factor * idf * postings[j + 1];
              if (!(doc in best) || best[doc] < s) best[doc] = s;
            }
          });
        });
        Object.keys(best).forEach(function (doc) {
          score[doc] = (score[doc] || 0) + best[doc];
          matched[doc] = (matched[doc] || 0) + 1;
          (terms[doc] = terms[doc] || Object.create(null))[q] = true;
        });
      });
      var ranked = Object.keys(score).map(Number).sort(function (a, b) {
        return (matched[b] - matched[a]) || (score[b] - score[a]) || (a - b);
      }).slice(0, MAX_RESULTS);
      if (stale()) return null;
      var chunks = [];
      ranked.forEach(function (doc) {
        var name = "d-" + Math.floor(doc / manifest.chunk);
        if (chunks.indexOf(name) < 0) chunks.push(name);
      });
      return Promise.all(chunks.map(load)).then(function () {
        return {
          items: ranked.map(function (doc) {
            var record = loaded["d-" + Math.floor(doc / manifest.chunk)][doc % manifest.chunk];
            var found = {};
            query.forEach(function (q) { found[q] = !!terms[doc][q]; });
            return [{ location: record[0], title: mark(record[1], query), text: mark(record[2], query),
                      score: score[doc], terms: found }];
          })
        };
      });
    });
  }

  function answer(data) { self.postMessage({ type: RESULT, data: data }); }

  self.addEventListener("message", function (event) {
    var message = event.data || {};
    if (message.type === SETUP) {
      load("manifest").then(function (data) {
        manifest = data;
        (data.stop || []).forEach(function (word) { stop[word] = true; });
        self.postMessage({ type: READY });
      }, function (error) {
        // No index: say so in the console, and let queries find nothing rather than hang.
        console.error("search: the index could not be loaded", error);
        manifest = { docs: 0, chunk: 1, shards: {}, max_token: 40 };
        self.postMessage({ type: READY });
      });
    } else if (message.type === QUERY && manifest) {
      var mine = ++latest;
      search(message.data, function () { return mine !== latest; }).then(function (result) {
        if (result && mine === latest) answer(result);  // a newer query is on its way: its answer counts
      }, function (error) {
        console.error("search:", error);
        if (mine === latest) answer({ items: [] });
      });
    }
  });
})();
