// The playground page: token handling, the fetcher, GraphiQL's props. A file, not an inline
// <script>: the page's Content-Security-Policy runs scripts from the server only.
(function () {
  'use strict';

  var TOKEN_KEY = 'flowgraph.token';
  var HTTP_URL = location.origin + '/graphql';
  var WS_URL = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/graphql/ws';

  var DEFAULT_QUERY = [
    '# Welcome to flowgraph. Your token is in the Headers tab.',
    '# Create a discovery flow from CSV text, run its data import, then read it back.',
    '# (For Import, put the id returned by Create into Variables: {"id": "..."})',
    'mutation Create {',
    '  createFlow(input: { flowType: DISCOVERY, name: "Demo estate", csv: "Server Name,Environment,Depends On\\nweb01,Prod,db01\\ndb01,Prod,\\n" }) {',
    '    id flowId status currentPhase',
    '  }',
    '}',
    '',
    'mutation Import($id: ID!) {',
    '  executePhase(flowId: $id, phase: DATA_IMPORT, wait: true) { name status progress result error }',
    '}',
    '',
    'query Flows {',
    '  flows(first: 10) {',
    '    totalCount',
    '    edges { node { id name flowType status progressPercentage phases { name status } } }',
    '  }',
    '}',
    ''
  ].join('\n');

  // --- token handling -------------------------------------------------
  // `flowgraph serve` prints .../playground#token=<JWT>. The fragment is
  // never sent to the server; we keep the token in localStorage and strip
  // it from the address bar (and thus from history / copied URLs).

  function loadToken() {
    try { return localStorage.getItem(TOKEN_KEY) || null; } catch (e) { return null; }
  }

  function saveToken(token) {
    try { localStorage.setItem(TOKEN_KEY, token); } catch (e) { /* storage disabled */ }
  }

  function takeTokenFromHash() {
    var hash = location.hash.replace(/^#/, '');
    if (!hash) return null;
    var token = null;
    var rest = hash.split('&').filter(function (part) {
      if (part.slice(0, 6) !== 'token=') return true;
      try { token = decodeURIComponent(part.slice(6)).trim(); } catch (e) { token = part.slice(6).trim(); }
      return false;
    });
    if (token === null) return null;
    try {
      history.replaceState(history.state, '',
        location.pathname + location.search + (rest.length ? '#' + rest.join('&') : ''));
    } catch (e) { /* ignore */ }
    return token || null;
  }

  var token = takeTokenFromHash();
  if (token) saveToken(token); else token = loadToken();

  var banner = document.getElementById('banner');
  document.getElementById('banner-close').onclick = function () { banner.hidden = true; };
  if (!token) banner.hidden = false;

  // --- fetcher ----------------------------------------------------------
  // HTTP requests carry whatever the Headers editor contains (pre-filled
  // with the token below). Subscriptions go over graphql-transport-ws at
  // /graphql/ws; their connectionParams are computed when the socket
  // connects: the Authorization header from the Headers editor if there
  // is one, otherwise the stored token.

  function authorizationFrom(headers) {
    if (!headers || typeof headers !== 'object') return undefined;
    for (var k in headers) {
      if (Object.prototype.hasOwnProperty.call(headers, k) &&
          k.toLowerCase() === 'authorization' && typeof headers[k] === 'string') {
        return headers[k];
      }
    }
    return undefined;
  }

  // One websocket client per Authorization value: pasting a new token
  // gives new subscriptions a fresh connection, while subscriptions that
  // are already running keep theirs (a lazy client closes its socket when
  // its last subscription ends).
  var current = { auth: undefined, fetcher: null };

  function fetcherFor(auth) {
    if (current.fetcher && current.auth === auth) return current.fetcher;
    var wsClient = graphqlWs.createClient({
      url: WS_URL,
      lazy: true,
      connectionParams: function () {
        return auth ? { authorization: auth } : {};
      }
    });
    current = {
      auth: auth,
      fetcher: GraphiQL.createFetcher({
        url: HTTP_URL,
        wsClient: wsClient,
        // plain application/json POSTs (no multipart/mixed negotiation)
        enableIncrementalDelivery: false
      })
    };
    return current.fetcher;
  }

  function fetcher(params, opts) {
    var auth = authorizationFrom(opts && opts.headers);
    if (auth) {
      // Remember a token pasted into the Headers editor for next visits.
      var m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
      if (m && m[1] !== token) {
        token = m[1];
        saveToken(token);
        banner.hidden = true;
      }
    } else {
      auth = token ? 'Bearer ' + token : null;
    }
    return fetcherFor(auth)(params, opts);
  }

  // --- render -----------------------------------------------------------
  var props = {
    fetcher: fetcher,
    defaultQuery: DEFAULT_QUERY,
    // The token lives under `flowgraph.token`; don't let GraphiQL keep
    // (possibly stale) copies of it in its own storage.
    shouldPersistHeaders: false,
    isHeadersEditorEnabled: true
  };
  if (token) {
    var headers = JSON.stringify({ Authorization: 'Bearer ' + token }, null, 2);
    props.headers = headers;        // the tab that opens now
    props.defaultHeaders = headers; // new tabs and restored tabs
  } else {
    props.defaultEditorToolsVisibility = 'headers';
  }

  ReactDOM.createRoot(document.getElementById('graphiql'))
    .render(React.createElement(GraphiQL, props));
})();
