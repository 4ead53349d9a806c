// Starts GraphiQL on the page api/ide.py renders (this file is ours; refresh.sh leaves it alone).
// It asks only the page's own origin: the fetcher posts to the page's own path, /graphql.
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("graphiql-config").textContent);
  var fetcher = GraphiQL.createFetcher({ url: window.location.pathname });
  var explorer = GraphiQLPluginExplorer.explorerPlugin();
  var root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      plugins: [explorer],
      defaultQuery: config.defaultQuery,
      initialHeaders: config.headers || undefined,
      defaultHeaders: config.headers || undefined,
      // open the headers tab: that is where the API key goes
      defaultEditorToolsVisibility: "headers",
      isHeadersEditorEnabled: true,
      // keys stay out of localStorage
      shouldPersistHeaders: false,
      showPersistHeadersSettings: false,
    }),
  );
})();
