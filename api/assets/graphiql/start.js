// Starts GraphiQL against the server that served this page. A separate file rather than an
// inline script, so the page works under a Content-Security-Policy of `script-src 'self'`.
(function () {
  var endpoint = new URL('/graphql', window.location.href).href;
  var fetcher = GraphiQL.createFetcher({ url: endpoint });
  var root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultEditorToolsVisibility: true,
      defaultQuery: '# Organizing Upgrade content API\n' +
        '# Ctrl-Enter runs it; the book icon opens the docs.\n\n' +
        '{\n  essays(first: 5) {\n    totalCount\n    edges {\n      node {\n        title\n        slug\n        publishedAt\n        authors { displayName }\n      }\n    }\n  }\n}\n',
    })
  );
})();
