// Search with Pagefind: the index is fetched in fragments, only what a query needs.
// Titles and excerpts are set as text (textContent), so a title is never markup.
(function () {
  "use strict";
  var form = document.querySelector(".el-search");
  var input = document.getElementById("el-search-input");
  var status = document.getElementById("el-search-status");
  var list = document.getElementById("el-search-results");
  var engine = null;

  function load() {
    if (!engine) {
      var root = new URL(".", document.baseURI);  // search.html sits at the site root
      engine = import(new URL("pagefind/pagefind.js", root).href).then(function (pagefind) {
        return pagefind.options({ baseUrl: root.pathname }).then(function () { return pagefind; });
      });
    }
    return engine;
  }

  function excerptText(html) {
    // Pagefind marks matches with <mark>; the reader sees the words, not the markup.
    var holder = document.createElement("div");
    holder.innerHTML = html;
    return holder.textContent || "";
  }

  function show(results, query) {
    list.replaceChildren();
    results.forEach(function (data) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = data.url;
      link.textContent = (data.meta && data.meta.title) || data.url;
      var heading = document.createElement("h2");
      heading.className = "el-result-title";
      heading.appendChild(link);
      var excerpt = document.createElement("p");
      excerpt.textContent = excerptText(data.excerpt);
      item.append(heading, excerpt);
      list.appendChild(item);
    });
    status.textContent = results.length
      ? results.length + (results.length === 1 ? " result" : " results") + " for \u201c" + query + "\u201d"
      : "No results for \u201c" + query + "\u201d";
  }

  function run(query) {
    query = query.trim();
    if (!query) {
      list.replaceChildren();
      status.textContent = "";
      return;
    }
    status.textContent = "Searching\u2026";
    load()
      .then(function (pagefind) { return pagefind.search(query); })
      .then(function (search) {
        return Promise.all(search.results.slice(0, 20).map(function (r) { return r.data(); }));
      })
      .then(function (results) { show(results, query); })
      .catch(function () { status.textContent = "The search index could not be loaded."; });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var url = new URL(window.location.href);
    url.searchParams.set("q", input.value);
    history.replaceState(null, "", url);
    run(input.value);
  });
  input.addEventListener("focus", load, { once: true });
  var initial = new URLSearchParams(window.location.search).get("q");
  if (initial) {
    input.value = initial;
    run(initial);
  }
})();
