// flowgraph console: one plain script, no build step. It speaks only the public API:
// POST /graphql (JSON, or the GraphQL multipart request spec for uploads) and
// graphql-transport-ws at /graphql/ws through the vendored `graphqlWs` client.
(function () {
  'use strict';

  // Shared with the playground: signing in on one page signs in on the other.
  var TOKEN_KEY = 'flowgraph.token';
  var WS_URL = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/graphql/ws';
  var RANK = { viewer: 0, analyst: 1, admin: 2 };
  var DISCOVERY_PHASES = ['DATA_IMPORT', 'ATTRIBUTE_MAPPING', 'DATA_CLEANSING', 'INVENTORY',
    'DEPENDENCY_ANALYSIS', 'TECH_DEBT_ANALYSIS'];
  var PAGE_SIZE = 25;
  var SIGNED_OUT = 'You are signed out. The token was removed from this browser.';
  // What a source column may map onto at the approval gate (the server's canonical attributes).
  var CANONICAL = ['name', 'hostname', 'fqdn', 'ip_address', 'asset_type', 'operating_system',
    'os_version', 'environment', 'application', 'cpu_cores', 'memory_gb', 'storage_gb', 'owner',
    'depends_on', 'business_criticality', 'location'];

  var S = {
    token: null, claims: null, ws: null, live: 'idle', wasDown: false,
    reconnectHooks: [], cleanup: [], signInMessage: null, expiryTimer: null
  };

  // --- small DOM helpers ---------------------------------------------------
  // Text always goes in as text nodes: asset names come from customers' spreadsheets.
  function h(tag, attrs) {
    var el = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        var v = attrs[k];
        if (v === null || v === undefined || v === false) return;
        if (k.slice(0, 2) === 'on') el.addEventListener(k.slice(2), v);
        else if (k === 'class') el.className = v;
        else if (k === 'style') el.style.cssText = v; // CSSOM: the page's CSP refuses style attributes
        else if (k in el && typeof v !== 'string') el[k] = v;
        else el.setAttribute(k, v === true ? '' : v);
      });
    }
    for (var i = 2; i < arguments.length; i++) append(el, arguments[i]);
    return el;
  }
  function append(el, child) {
    if (child === null || child === undefined || child === false) return;
    if (Array.isArray(child)) { child.forEach(function (c) { append(el, c); }); return; }
    el.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  function clear(el) { while (el.firstChild) el.removeChild(el.firstChild); return el; }
  function $(sel) { return document.querySelector(sel); }
  function go(hash) { if (location.hash === hash) render(); else location.hash = hash; }

  function words(s) { return String(s || '').toLowerCase().replace(/_/g, ' '); }
  function title(s) { var w = words(s); return w.charAt(0).toUpperCase() + w.slice(1); }
  function ago(iso) {
    if (!iso) return '—';
    var s = Math.max(0, (Date.now() - new Date(iso).getTime()) / 1000);
    if (s < 45) return 'just now';
    if (s < 3600) return Math.round(s / 60) + ' min ago';
    if (s < 86400) return Math.round(s / 3600) + ' h ago';
    return Math.round(s / 86400) + ' d ago';
  }
  function when(iso) { return iso ? new Date(iso).toLocaleString() : '—'; }
  function duration(ms) {
    if (ms === null || ms === undefined) return '—';
    if (ms < 1000) return Math.round(ms) + ' ms';
    if (ms < 60000) return (ms / 1000).toFixed(1) + ' s';
    return Math.floor(ms / 60000) + ' min ' + Math.round((ms % 60000) / 1000) + ' s';
  }
  function pct(x) { return Math.round((x || 0) * 100) + '%'; }

  var TONE = {
    COMPLETED: 'ok', HEALTHY: 'ok', RUNNING: 'run', QUEUED: 'run', WAITING_FOR_APPROVAL: 'wait',
    PAUSED: 'wait', DEGRADED: 'wait', FAILED: 'bad', CANCELLED: 'bad', UNHEALTHY: 'bad',
    INITIALIZED: 'idle', PENDING: 'idle', SKIPPED: 'idle', IDLE: 'idle'
  };
  function pill(status, label) {
    return h('span', { class: 'pill ' + (TONE[status] || 'idle'), 'data-status': status }, label || title(status));
  }
  function bar(value, done) {
    return h('div', { class: 'bar' + (done ? ' done' : '') }, h('span', { style: 'width:' + Math.max(0, Math.min(100, value)) + '%' }));
  }
  function progress(value, done) {
    return h('div', { class: 'progress' }, bar(value, done), h('span', { class: 'pct' }, value + '%'));
  }

  function toast(text, kind) {
    var box = $('.toasts') || document.body.appendChild(h('div', { class: 'toasts', role: 'status' }));
    var m = h('div', { class: 'msg ' + (kind || 'info') }, text);
    box.appendChild(m);
    setTimeout(function () { m.remove(); }, kind === 'error' ? 9000 : 4000);
  }

  // --- token ---------------------------------------------------------------
  // `flowgraph serve` prints .../console#token=<JWT>. The fragment never reaches the server;
  // the token is kept in localStorage and removed from the address bar.
  function takeTokenFromHash() {
    var parts = location.hash.replace(/^#/, '').split('&');
    var token = null;
    var rest = parts.filter(function (p) {
      if (p.slice(0, 6) !== 'token=') return true;
      try { token = decodeURIComponent(p.slice(6)).trim(); } catch (e) { token = p.slice(6).trim(); }
      return false;
    });
    if (token === null) return null;
    var route = rest.join('&');
    history.replaceState(null, '', location.pathname + location.search + (route ? '#' + route : '#/flows'));
    return token;
  }

  // Reads the claims to show the role and the expiry; the server is what checks the signature.
  function decode(token) {
    var parts = String(token).replace(/^Bearer\s+/i, '').split('.');
    if (parts.length !== 3) throw new Error('This is not a flowgraph token: a token is three parts separated by dots (eyJ…).');
    try {
      var b64 = parts[1].replace(/-/g, '+').replace(/_/g, '/');
      var json = decodeURIComponent(atob(b64).split('').map(function (c) {
        return '%' + ('00' + c.charCodeAt(0).toString(16)).slice(-2);
      }).join(''));
      var claims = JSON.parse(json);
      if (!claims.role || !claims.client_account_id) throw new Error('no role');
      return claims;
    } catch (e) {
      throw new Error('This token cannot be read: it has no flowgraph role or tenant. Mint one with `flowgraph token --role analyst`.');
    }
  }

  function can(action) {
    var need = { delete: 'admin' }[action] || 'analyst';
    return S.claims && (RANK[S.claims.role] || 0) >= RANK[need];
  }

  function signOut(message) {
    try { localStorage.removeItem(TOKEN_KEY); } catch (e) { /* storage disabled */ }
    S.token = null; S.claims = null; S.signInMessage = message || null;
    if (S.ws) { S.ws.dispose(); S.ws = null; }
    clearTimeout(S.expiryTimer);
    runCleanup();
    go('#/signin');
  }

  function acceptToken(token) {
    var claims = decode(token);
    if (claims.exp && claims.exp * 1000 <= Date.now()) {
      throw new Error('This token expired on ' + new Date(claims.exp * 1000).toLocaleString() +
        '. Ask for a new one (`flowgraph token`), or restart a demo server for a fresh link.');
    }
    S.token = String(token).replace(/^Bearer\s+/i, '').trim();
    S.claims = claims;
    try { localStorage.setItem(TOKEN_KEY, S.token); } catch (e) { /* storage disabled */ }
    clearTimeout(S.expiryTimer);
    if (claims.exp) {
      S.expiryTimer = setTimeout(function () {
        signOut('Your session ended: the token expired at ' + new Date(claims.exp * 1000).toLocaleTimeString() + '. Paste a new token to continue.');
      }, Math.min(claims.exp * 1000 - Date.now(), 2147483000));
    }
  }

  // --- GraphQL over HTTP ---------------------------------------------------
  function ApiError(message, code) { this.message = message; this.code = code; }
  ApiError.prototype = Object.create(Error.prototype);

  function gql(query, variables, file) {
    var init = { method: 'POST', headers: { Authorization: 'Bearer ' + S.token } };
    if (file) {
      // The GraphQL multipart request spec: operations, map, then the file.
      var form = new FormData();
      form.append('operations', JSON.stringify({ query: query, variables: variables }));
      form.append('map', JSON.stringify({ 0: ['variables.input.file'] }));
      form.append('0', file, file.name);
      init.body = form;
    } else {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify({ query: query, variables: variables || {} });
    }
    return fetch('/graphql', init).then(function (res) {
      return res.json().catch(function () {
        throw new ApiError('The server answered HTTP ' + res.status + ' without a GraphQL response.', 'HTTP');
      });
    }, function () {
      throw new ApiError('The server cannot be reached. Check that flowgraph is running; the console retries when you act again.', 'NETWORK');
    }).then(function (body) {
      var err = body.errors && body.errors[0];
      if (err) {
        var code = err.extensions && err.extensions.code;
        if (code === 'UNAUTHENTICATED') {
          signOut('The server refused your token (' + err.message + '). It may have expired or belong to another server: paste a new one.');
        }
        throw new ApiError(err.message, code);
      }
      return body.data;
    });
  }

  // --- subscriptions -----------------------------------------------------
  function setLive(state) {
    S.live = state;
    var el = $('.live');
    if (el) {
      el.className = 'live ' + (state === 'on' ? 'on' : 'off');
      el.hidden = state === 'idle';
      el.lastChild.textContent = state === 'on' ? 'Live' : 'Reconnecting…';
    }
    var banner = $('#conn-banner');
    if (banner) banner.hidden = state !== 'off';
  }

  function ws() {
    if (S.ws) return S.ws;
    S.ws = graphqlWs.createClient({
      url: WS_URL,
      lazy: true,
      lazyCloseTimeout: 5000, // moving between views keeps the socket
      keepAlive: 10000,
      retryAttempts: Infinity,
      shouldRetry: function () { return true; },
      retryWait: function (n) { return new Promise(function (r) { setTimeout(r, Math.min(500 * Math.pow(2, n), 5000)); }); },
      connectionParams: function () { return { authorization: 'Bearer ' + S.token }; },
      on: {
        connected: function () {
          setLive('on');
          if (S.wasDown) {
            S.wasDown = false;
            S.reconnectHooks.slice().forEach(function (f) { f(); });
          }
        },
        closed: function (event) {
          if (!S.token) return;
          // 1002 (async-graphql) or 4401/4403: the server refused the token in connection_init.
          if (event && [1002, 4401, 4403].indexOf(event.code) >= 0) {
            signOut('The server refused your token for live updates (' + (event.reason || 'forbidden') + '). Paste a new token.');
            return;
          }
          if (event && event.code === 1000) { setLive('idle'); return; } // closed by us: nothing is subscribed
          S.wasDown = true;
          setLive('off');
        }
      }
    });
    return S.ws;
  }

  // Subscribes until the view is left; `onData` gets `data`. A stream the server ends (at its
  // shutdown, say) goes to `onDone`, or is started again. Returns the unsubscribe function.
  function subscribe(query, variables, onData, onDone) {
    var left = false, stop = null;
    function start() {
      if (left) return;
      stop = ws().subscribe({ query: query, variables: variables || {} }, sink);
    }
    var sink = {
      next: function (msg) {
        if (msg.errors && msg.errors.length) { toast(msg.errors[0].message, 'error'); return; }
        onData(msg.data);
      },
      error: function (err) {
        // A refused token is reported by the sign-in page (see `closed` above).
        if (!S.token || (err && [1002, 4401, 4403].indexOf(err.code) >= 0)) return;
        var m = Array.isArray(err) ? err[0] && err[0].message : err && (err.reason || err.message);
        if (m) toast('Live updates: ' + m, 'error');
      },
      complete: function () {
        if (left) return;
        if (onDone) onDone(); else setTimeout(start, 1000);
      }
    };
    start();
    function leave() { left = true; if (stop) stop(); }
    S.cleanup.push(leave);
    return leave;
  }

  function onReconnect(f) {
    S.reconnectHooks.push(f);
    S.cleanup.push(function () { S.reconnectHooks = S.reconnectHooks.filter(function (g) { return g !== f; }); });
  }

  function runCleanup() {
    var fs = S.cleanup; S.cleanup = [];
    fs.forEach(function (f) { try { f(); } catch (e) { /* already gone */ } });
  }

  // --- layout --------------------------------------------------------------
  var NAV = [
    ['flows', 'Flows', '▤'], ['inventory', 'Inventory', '▦'],
    ['dependencies', 'Dependencies', '⬡'], ['agents', 'Agents', '◉']
  ];

  function shell(section, crumbs, body) {
    var roleName = S.claims.role;
    return h('div', { class: 'shell' },
      h('aside', { class: 'side' },
        h('div', { class: 'brand' }, h('span', { class: 'logo' }, '⇢'),
          h('div', null, 'flowgraph', h('small', null, 'Migration discovery console'))),
        h('nav', { class: 'nav' }, NAV.map(function (n) {
          return h('a', { href: '#/' + n[0], class: section === n[0] ? 'active' : '', 'data-nav': n[0] },
            h('span', { class: 'ico' }, n[2]), n[1]);
        })),
        h('div', { class: 'grow' }),
        h('div', { class: 'who' },
          h('div', null, 'Signed in as'),
          h('span', { class: 'role', id: 'role' }, roleName),
          h('div', { class: 'mono', title: 'Client account' }, shortId(S.claims.client_account_id)),
          S.claims.engagement_id ? h('div', { class: 'mono', title: 'Engagement' }, 'eng ' + shortId(S.claims.engagement_id)) : null,
          h('div', { style: 'margin:6px 0 10px' }, S.claims.exp ? 'Token valid until ' + new Date(S.claims.exp * 1000).toLocaleString() : ''),
          h('button', { class: 'ghost', id: 'signout', onclick: function () { signOut(SIGNED_OUT); } }, 'Sign out'))),
      h('div', { class: 'main' },
        h('div', { class: 'banner warn', id: 'conn-banner', role: 'alert', hidden: S.live !== 'off' },
          '⚠ Connection to the server lost: live updates are paused. Reconnecting automatically…'),
        h('div', { class: 'topbar' },
          h('div', null, h('div', { class: 'crumbs' }, crumbs[0]), h('h1', null, crumbs[1])),
          h('div', { class: 'spacer' }),
          h('span', { class: 'live ' + (S.live === 'on' ? 'on' : 'off'), hidden: S.live === 'idle', title: 'Live updates over the websocket' },
            h('span', { class: 'dot' }), h('span', null, S.live === 'off' ? 'Reconnecting…' : 'Live'))),
        h('div', { class: 'content' }, body)));
  }

  function shortId(id) { return id ? String(id).slice(0, 8) : '—'; }

  function card(heading, body, extra) {
    return h('section', { class: 'card' + (extra && extra.cls ? ' ' + extra.cls : ''), id: extra && extra.id },
      h('header', null, h('h2', null, heading), h('div', { class: 'spacer' }), extra && extra.tools),
      h('div', { class: 'body' + (extra && extra.flush ? ' flush' : '') }, body));
  }

  function stat(label, value, id) {
    return h('div', { class: 'stat' }, h('div', { class: 'label' }, label), h('div', { class: 'value', id: id }, value));
  }

  function errorBox(err) {
    return h('div', { class: 'msg error', role: 'alert' }, err && err.message ? err.message : String(err));
  }

  // --- sign-in -------------------------------------------------------------
  function viewSignIn(root) {
    var area = h('textarea', { id: 'token-input', rows: 5, placeholder: 'eyJhbGciOiJIUzI1NiIs…' });
    var msg = h('div', { id: 'signin-message' });
    if (S.signInMessage) {
      var signedOut = S.signInMessage === SIGNED_OUT;
      append(msg, h('div', { class: 'msg ' + (signedOut ? 'info' : 'error'), role: signedOut ? 'status' : 'alert' }, S.signInMessage));
    }
    function submit(e) {
      e.preventDefault();
      clear(msg);
      try {
        acceptToken(area.value.trim());
      } catch (err) {
        append(msg, errorBox(err));
        return;
      }
      // Check the token with the server before showing anything.
      gql('{ flows(first: 1) { totalCount } }').then(function () {
        S.signInMessage = null;
        go('#/flows');
      }, function (err) {
        if (S.token) { S.token = null; S.claims = null; }
        clear(msg);
        append(msg, errorBox(err));
      });
    }
    append(root, h('div', { class: 'signin' },
      h('form', { class: 'card', onsubmit: submit },
        h('div', { class: 'brand' }, h('span', { class: 'logo' }, '⇢'),
          h('div', null, 'flowgraph', h('small', null, 'Migration discovery console'))),
        h('div', null, h('h1', null, 'Sign in'),
          h('p', { class: 'muted' }, 'Open the console link printed by ', h('code', null, 'flowgraph serve'),
            ' (it carries your token), or paste a token below. Viewers can look; analysts run and approve flows; admins can also delete them.')),
        msg,
        h('label', null, h('div', { class: 'small muted', style: 'margin-bottom:4px' }, 'Access token'), area),
        h('div', null, h('button', { class: 'primary', type: 'submit', id: 'signin' }, 'Sign in')))));
  }

  // --- flows ---------------------------------------------------------------
  var FLOWS_Q = 'query Flows($filter: FlowFilter) { flows(filter: $filter, first: 100) { totalCount nodes {' +
    ' id flowId name flowType status currentPhase progressPercentage createdAt updatedAt } } }';

  function viewFlows(root) {
    var state = { status: '', type: '', text: '', flows: [] };
    var tbody = h('tbody');
    var count = h('span', { class: 'muted small', id: 'flow-count' });
    var msg = h('div');

    function row(f) {
      return h('tr', { class: 'link', 'data-flow': f.id, onclick: function () { location.hash = '#/flows/' + f.id; } },
        h('td', null, h('a', { href: '#/flows/' + f.id, style: 'font-weight:600' }, f.name), h('div', { class: 'mono muted' }, f.flowId)),
        h('td', null, title(f.flowType)),
        h('td', null, pill(f.status)),
        h('td', null, f.currentPhase ? title(f.currentPhase) : '—'),
        h('td', { style: 'min-width:160px' }, progress(f.progressPercentage, f.status === 'COMPLETED')),
        h('td', { title: when(f.createdAt) }, ago(f.createdAt)));
    }
    function draw() {
      var needle = state.text.toLowerCase();
      var shown = state.flows.filter(function (f) {
        return !needle || (f.name + ' ' + f.flowId).toLowerCase().indexOf(needle) >= 0;
      });
      clear(tbody);
      if (!shown.length) {
        append(tbody, h('tr', null, h('td', { colspan: 6, class: 'empty' },
          state.flows.length ? 'No flow matches this filter.' : 'No flows yet. ' +
            (can('create') ? 'Upload a CMDB export above to start your first discovery.' : 'An analyst can start one.'))));
      }
      shown.forEach(function (f) { append(tbody, row(f)); });
      count.textContent = shown.length + ' of ' + state.flows.length + ' flows';
    }
    function load() {
      var filter = {};
      if (state.status) filter.status = state.status;
      if (state.type) filter.flowType = state.type;
      return gql(FLOWS_Q, { filter: filter }).then(function (d) {
        state.flows = d.flows.nodes; clear(msg); draw();
      }, function (err) { clear(msg); append(msg, errorBox(err)); });
    }
    function select(id, label, options, key) {
      return h('select', { id: id, 'aria-label': label, onchange: function (e) { state[key] = e.target.value; load(); } },
        h('option', { value: '' }, label), options.map(function (o) { return h('option', { value: o }, title(o)); }));
    }

    var tools = h('div', { class: 'toolbar' },
      h('input', { type: 'search', id: 'flow-search', placeholder: 'Search flows by name…',
        oninput: function (e) { state.text = e.target.value; draw(); } }),
      select('flow-status', 'Any status', ['INITIALIZED', 'RUNNING', 'WAITING_FOR_APPROVAL', 'PAUSED', 'COMPLETED', 'FAILED'], 'status'),
      select('flow-type', 'Any type', ['DISCOVERY', 'ASSESSMENT', 'COLLECTION'], 'type'),
      count);

    append(root, shell('flows', ['Flows', 'Discovery flows'], [
      can('create') ? uploadCard() : null,
      msg,
      card('Flows', h('table', null,
        h('thead', null, h('tr', null, ['Flow', 'Type', 'Status', 'Current phase', 'Progress', 'Created'].map(function (t) { return h('th', null, t); }))),
        tbody), { tools: tools, flush: true })
    ]));
    load();
    // Live status and progress of every flow this token may see.
    var pending = null;
    subscribe('subscription { flowUpdates { flowId status currentPhase progressPercentage sequence } }', {}, function (d) {
      var ev = d.flowUpdates;
      var f = state.flows.filter(function (x) { return x.id === ev.flowId; })[0];
      if (!f) { clearTimeout(pending); pending = setTimeout(load, 300); return; }
      f.status = ev.status; f.currentPhase = ev.currentPhase; f.progressPercentage = ev.progressPercentage;
      draw();
    });
    onReconnect(load);
  }

  var CREATE_M = 'mutation Create($input: CreateFlowInput!) { createFlow(input: $input) { id } }';

  // The sniffing is a courtesy: the server's importer is what decides, and its message is shown.
  function checkFile(file) {
    var name = file.name.toLowerCase();
    if (/\.(csv|tsv|txt|json|xlsx|xlsm|xls|ods)$/.test(name)) return null;
    if (/\.xlsb$/.test(name)) return '“' + file.name + '” is a binary Excel workbook: open it in Excel, save it as .xlsx (Excel Workbook) and upload that.';
    return '“' + file.name + '” is not a workbook, CSV or JSON file. Upload the Excel or OpenDocument workbook (.xlsx, .xlsm, .xls, .ods), a CSV or tab-delimited text (UTF-8 or UTF-16), or a JSON array of objects.';
  }

  function uploadCard() {
    var msg = h('div', { id: 'upload-message' });
    var file = h('input', { type: 'file', id: 'upload-file', accept: '.xlsx,.xlsm,.xls,.ods,.csv,.tsv,.txt,.json,text/csv,application/json' });
    var name = h('input', { type: 'text', id: 'upload-name', placeholder: 'Flow name (default: the file name)', style: 'min-width:280px' });
    var gate = h('input', { type: 'checkbox', id: 'upload-approval', checked: true });
    var go = h('button', { class: 'primary', id: 'upload-start', type: 'submit' }, 'Upload and start discovery');
    var drop = h('div', { class: 'drop' }, file, h('div', { class: 'small', style: 'margin-top:6px' },
      'An Excel or OpenDocument workbook (every sheet is looked at; RVTools exports are recognised), CSV or tab-delimited text (UTF-8 or UTF-16, with a header row), or a JSON array of objects.'));
    ['dragover', 'dragenter'].forEach(function (t) { drop.addEventListener(t, function (e) { e.preventDefault(); drop.classList.add('over'); }); });
    ['dragleave', 'drop'].forEach(function (t) { drop.addEventListener(t, function () { drop.classList.remove('over'); }); });
    drop.addEventListener('drop', function (e) {
      e.preventDefault();
      if (e.dataTransfer.files.length) { file.files = e.dataTransfer.files; file.dispatchEvent(new Event('change')); }
    });
    file.addEventListener('change', function () {
      clear(msg);
      var f = file.files[0];
      if (!f) return;
      var bad = checkFile(f);
      if (bad) append(msg, h('div', { class: 'msg error', role: 'alert' }, bad));
      else if (!name.value) name.value = f.name.replace(/\.[^.]+$/, '');
    });
    function submit(e) {
      e.preventDefault();
      clear(msg);
      var f = file.files[0];
      if (!f) { append(msg, h('div', { class: 'msg error', role: 'alert' }, 'Choose a workbook, CSV or JSON file first.')); return; }
      var bad = checkFile(f);
      if (bad) { append(msg, h('div', { class: 'msg error', role: 'alert' }, bad)); return; }
      go.disabled = true; go.textContent = 'Uploading…';
      var input = {
        flowType: 'DISCOVERY', name: name.value.trim() || f.name, file: null,
        configuration: { requireMappingApproval: gate.checked }
      };
      gql(CREATE_M, { input: input }, f).then(function (d) {
        var id = d.createFlow.id;
        return gql('mutation Run($id: ID!) { executeFlow(flowId: $id) { id } }', { id: id }).then(function () {
          location.hash = '#/flows/' + id;
        });
      }).catch(function (err) {
        go.disabled = false; go.textContent = 'Upload and start discovery';
        append(msg, h('div', { class: 'msg error', role: 'alert' }, 'The upload was refused: ' + err.message));
      });
    }
    return h('form', { onsubmit: submit }, card('New discovery', h('div', { class: 'form' },
      drop,
      h('div', { class: 'row' }, name,
        h('label', { class: 'check' }, gate, 'Stop for my review of the field mappings'),
        h('div', { class: 'spacer', style: 'flex:1' }), go),
      msg)));
  }

  // --- one flow, live ------------------------------------------------------
  var FLOW_Q = 'query Flow($id: ID!) { flow(id: $id) { id flowId name flowType status currentPhase progressPercentage' +
    ' createdAt updatedAt completedAt flowState performanceMetrics' +
    ' phases { name status progress attempt startedAt completedAt durationMs error }' +
    ' fieldMappings { sourceField targetAttribute confidence status agent reasoning }' +
    ' auditTrail { id action userId details at }' +
    ' masterFlow { id name } childFlows { id name flowType status }' +
    ' assets(first: 1) { totalCount } } }';

  function camel(phase) { return phase.toLowerCase().replace(/_([a-z])/g, function (_, c) { return c.toUpperCase(); }); }

  function viewFlow(root, id) {
    var flow = null, lastSeq = null, refetch = null, frame = null, gone = false;
    var body = h('div', { style: 'display:contents' }, h('div', { class: 'empty' }, 'Loading flow…'));
    append(root, shell('flows', [h('a', { href: '#/flows' }, 'Flows'), 'Flow'], body));

    function action(label, mutation, cls, confirmText) {
      return h('button', {
        class: cls || '', 'data-action': label.toLowerCase(), onclick: function (e) {
          if (confirmText && !confirm(confirmText)) return;
          e.target.disabled = true;
          gql(mutation, { id: id }).then(function (d) {
            if (d && d.deleteFlow) { toast('Flow deleted.', 'ok'); location.hash = '#/flows'; return; }
            toast(label + ': done.', 'ok'); load();
          }, function (err) { e.target.disabled = false; toast(label + ' was refused: ' + err.message, 'error'); });
        }
      }, label);
    }
    function actions(f) {
      var s = f.status, out = [];
      if (can('execute') && (s === 'INITIALIZED' || s === 'FAILED')) out.push(action(s === 'FAILED' ? 'Retry' : 'Run', 'mutation($id: ID!) { executeFlow(flowId: $id) { id } }', 'primary'));
      if (can('pause') && s === 'RUNNING') out.push(action('Pause', 'mutation($id: ID!) { pauseFlow(flowId: $id) { id } }'));
      if (can('resume') && s === 'PAUSED') out.push(action('Resume', 'mutation($id: ID!) { resumeFlow(flowId: $id) { id } }', 'primary'));
      if (can('complete') && s !== 'COMPLETED' && s !== 'CANCELLED') out.push(action('Complete', 'mutation($id: ID!) { completeFlow(flowId: $id) { id } }', '', 'Mark this flow as completed now? Phases that have not run will not run.'));
      if (can('delete')) out.push(action('Delete', 'mutation($id: ID!) { deleteFlow(flowId: $id) }', 'danger', 'Delete this flow? It disappears from every view; its audit trail is kept.'));
      return out;
    }

    function timeline(f) {
      var metrics = f.performanceMetrics || {};
      return h('ul', { class: 'timeline', id: 'timeline' }, f.phases.map(function (p, i) {
        var m = metrics[p.name.toLowerCase()] || {};
        var agents = Object.keys(m.agentMs || {}).filter(function (a) { return a !== 'flow_supervisor'; });
        var tone = TONE[p.status] || 'idle';
        return h('li', { 'data-phase': p.name, 'data-status': p.status },
          h('span', { class: 'icon ' + tone }, p.status === 'COMPLETED' ? '✓' : p.status === 'FAILED' ? '!' : String(i + 1)),
          h('div', null, h('div', { class: 'name' }, title(p.name)),
            h('div', { class: 'small muted' }, p.attempt > 1 ? 'attempt ' + p.attempt : p.startedAt ? 'started ' + ago(p.startedAt) : 'not started')),
          h('div', null, pill(p.status)),
          progress(p.progress, p.status === 'COMPLETED'),
          h('div', { class: 'num', title: 'Duration' }, duration(p.durationMs)),
          h('div', { class: 'num', title: 'Items processed' }, m.items !== undefined ? m.items + ' items' : ''),
          h('div', { class: 'agents', title: 'Agent tasks in this phase' },
            agents.length ? agents.length + ' agent tasks: ' + agents.join(', ') : ''),
          p.error ? h('div', { class: 'err' }, p.error) : null);
      }));
    }

    // Which sheets of a workbook were taken, and why the others were not.
    function workbookReport(w) {
      var counts = [];
      if (w.recognised) counts.push('Recognised as an ' + w.recognised + ' export.');
      if (w.templatesSkipped) counts.push(w.templatesSkipped + ' virtual machine templates left out of the inventory.');
      if (w.poweredOff) counts.push(w.poweredOff + ' powered-off machines kept (marked power_state: poweredOff).');
      return h('div', { id: 'workbook-report', style: 'margin-bottom:12px' },
        counts.length ? h('div', { class: 'small', style: 'margin-bottom:6px' }, counts.join(' ')) : null,
        h('table', { id: 'workbook-sheets' },
          h('thead', null, h('tr', null, h('th', null, 'Sheet'), h('th', null, 'Taken'), h('th', { class: 'num' }, 'Header row'), h('th', null, 'What became of it'))),
          h('tbody', null, (w.sheets || []).map(function (s) {
            return h('tr', null, h('td', null, s.name), h('td', null, s.imported ? 'yes' : 'no'),
              h('td', { class: 'num' }, s.headerRow ? String(s.headerRow) : ''), h('td', null, s.note || ''));
          }))));
    }

    function importReport(f) {
      var r = (f.flowState || {}).dataImport;
      if (!r) return null;
      var bad = r.badRowDetails || [];
      return card('Import report', [
        h('div', { class: 'kv', style: 'margin-bottom:12px' },
          h('dt', null, 'Rows imported'), h('dd', { id: 'import-rows' }, String(r.rows)),
          h('dt', null, 'Rows refused'), h('dd', { id: 'import-bad' }, String(r.badRows)),
          h('dt', null, 'Format'), h('dd', null, String(r.format || '') + (r.delimiter ? ' (delimiter “' + r.delimiter + '”)' : '') + (r.encoding ? ', ' + r.encoding : '')),
          h('dt', null, 'Columns'), h('dd', null, (r.columns || []).join(', '))),
        r.workbook ? workbookReport(r.workbook) : null,
        bad.length ? h('table', { id: 'bad-rows' },
          h('thead', null, h('tr', null, h('th', { class: 'num' }, 'Line'), h('th', null, 'Why it was refused'), h('th', null, 'Raw row'))),
          h('tbody', null, bad.map(function (b) {
            return h('tr', null, h('td', { class: 'num' }, String(b.line)), h('td', null, b.reason), h('td', { class: 'mono' }, b.raw || ''));
          }))) : h('div', { class: 'msg ok' }, 'Every line of the file was imported.'),
        r.badRows > bad.length ? h('div', { class: 'small muted' }, 'First ' + bad.length + ' of ' + r.badRows + ' refused lines shown.') : null
      ], { id: 'import-report' });
    }

    function mappings(f) {
      if (!f.fieldMappings.length) return null;
      var waiting = f.status === 'WAITING_FOR_APPROVAL';
      var editable = waiting && can('approve');
      // The person's changes, sent as overrides with the approval.
      function overrides() {
        return Array.prototype.slice.call(document.querySelectorAll('#mappings select[data-source]')).filter(function (sel) {
          return sel.value !== sel.getAttribute('data-was');
        }).map(function (sel) {
          return { sourceField: sel.getAttribute('data-source'), targetAttribute: sel.value || null };
        });
      }
      function target(m) {
        if (!editable) return m.targetAttribute ? h('b', null, m.targetAttribute) : h('span', { class: 'muted' }, 'kept as extra attribute');
        var was = m.targetAttribute || '';
        var options = CANONICAL.indexOf(was) >= 0 || !was ? CANONICAL : [was].concat(CANONICAL);
        return h('select', {
          'data-source': m.sourceField, 'data-was': was, 'aria-label': 'Target of ' + m.sourceField,
          onchange: function (e) { e.target.closest('tr').classList.toggle('changed', e.target.value !== was); }
        }, h('option', { value: '', selected: !was }, '(keep as extra attribute)'),
        options.map(function (a) { return h('option', { value: a, selected: a === was }, a); }));
      }
      var approve = editable ? h('button', {
        class: 'primary', id: 'approve', onclick: function (e) {
          e.target.disabled = true;
          gql('mutation($id: ID!, $overrides: [FieldMappingInput!]) { approveFieldMappings(flowId: $id, overrides: $overrides) { id } }',
            { id: id, overrides: overrides() }).then(function () {
            toast('Mappings approved: discovery continues.', 'ok'); load();
          }, function (err) { e.target.disabled = false; toast('Approval refused: ' + err.message, 'error'); });
        }
      }, 'Approve mappings and continue') : null;
      // Why the gate stopped, column by column (the attribute_mapping phase's review).
      var review = ((f.flowState || {}).attributeMapping || {}).review || [];
      return card(waiting ? 'Review the field mappings' : 'Field mappings', [
        waiting ? h('div', { class: 'msg info', style: 'margin:14px 18px' },
          'Discovery is waiting for you. Check how each column of the file maps onto an asset attribute, correct any that are wrong, then approve to continue.' +
          (can('approve') ? '' : ' An analyst has to approve.'),
          review.length ? h('ul', { id: 'review-reasons' }, review.map(function (r) {
            return h('li', null, r.column ? h('span', { class: 'mono' }, r.column + ': ') : null, r.reason);
          })) : null) : null,
        h('table', { id: 'mappings' },
          h('thead', null, h('tr', null, ['Source column', 'Maps to', 'Confidence', 'Status', 'Evidence (header, values)'].map(function (t) { return h('th', null, t); }))),
          h('tbody', null, f.fieldMappings.map(function (m) {
            return h('tr', null,
              h('td', { class: 'mono' }, m.sourceField),
              h('td', null, target(m)),
              h('td', null, h('span', { class: 'conf' + (m.confidence < 0.6 ? ' low' : '') }, bar(m.confidence * 100), pct(m.confidence))),
              h('td', null, h('span', { class: 'pill plain ' + (m.status === 'approved' ? 'ok' : m.status === 'rejected' ? 'bad' : 'wait') }, m.status)),
              h('td', { class: 'small muted' }, m.reasoning + ' (' + m.agent + ')'));
          })))
      ], { id: 'mapping-review', flush: true, tools: approve, cls: waiting ? 'gate' : '' });
    }

    function audit(f) {
      return card('Audit trail', h('table', { id: 'audit' },
        h('thead', null, h('tr', null, ['When', 'What', 'Who', 'Details'].map(function (t) { return h('th', null, t); }))),
        h('tbody', null, f.auditTrail.slice().reverse().map(function (a) {
          var details = Object.keys(a.details || {}).map(function (k) {
            var v = a.details[k];
            return k + ': ' + (typeof v === 'object' ? JSON.stringify(v) : v);
          }).join(' · ');
          return h('tr', null, h('td', { title: when(a.at), style: 'white-space:nowrap' }, ago(a.at)),
            h('td', null, title(a.action)), h('td', { class: 'mono' }, shortId(a.userId)),
            h('td', { class: 'small muted' }, details.length > 220 ? details.slice(0, 220) + '…' : details));
        }))), { flush: true });
    }

    function draw() {
      var f = flow;
      var done = f.phases.filter(function (p) { return p.status === 'COMPLETED'; }).length;
      var isDiscovery = f.flowType === 'DISCOVERY';
      // A redraw keeps the choices a person is making at the gate.
      var chosen = {};
      Array.prototype.forEach.call(document.querySelectorAll('#mappings select[data-source]'), function (sel) {
        chosen[sel.getAttribute('data-source')] = sel.value;
      });
      var heading = $('.topbar h1');
      heading.id = 'flow-name';
      heading.textContent = f.name;
      clear(body);
      append(body, [
        h('div', { class: 'flowhead' },
          h('div', null,
            h('div', { class: 'meta' }, title(f.flowType) + ' flow · ', h('span', { class: 'mono' }, f.flowId),
              ' · created ' + ago(f.createdAt),
              f.masterFlow ? [' · from ', h('a', { href: '#/flows/' + f.masterFlow.id }, f.masterFlow.name)] : null)),
          h('span', { id: 'flow-status' }, pill(f.status)),
          h('div', { class: 'actions', id: 'flow-actions' }, actions(f))),
        h('div', { class: 'stats' },
          stat('Progress', f.progressPercentage + '%', 'flow-progress'),
          stat('Phases done', done + ' / ' + f.phases.length, 'phases-done'),
          stat('Assets', String(f.assets.totalCount), 'flow-assets'),
          stat(f.completedAt ? 'Completed' : 'Updated', ago(f.completedAt || f.updatedAt))),
        // At the gate, the review is what the reader came for: it goes first.
        f.status === 'WAITING_FOR_APPROVAL' ? mappings(f) : null,
        card('Phases', timeline(f), {
          flush: true,
          tools: isDiscovery && f.assets.totalCount ? h('div', { class: 'toolbar' },
            h('a', { class: 'btn', href: '#/inventory/' + f.id }, 'Inventory'),
            h('a', { class: 'btn', href: '#/dependencies/' + f.id }, 'Dependencies')) : null
        }),
        f.status === 'WAITING_FOR_APPROVAL' ? null : mappings(f),
        f.flowType === 'ASSESSMENT' && f.masterFlow && f.status === 'COMPLETED' ? h('div', { class: 'msg info' },
          'The migration waves of this assessment are on the ', h('a', { href: '#/dependencies/' + f.masterFlow.id, id: 'waves-link' }, 'dependency map'),
          ' of ' + f.masterFlow.name + '.') : null,
        importReport(f),
        f.childFlows.length ? card('Follow-up flows', h('table', null, h('tbody', null, f.childFlows.map(function (c) {
          return h('tr', { class: 'link', onclick: function () { location.hash = '#/flows/' + c.id; } },
            h('td', null, c.name), h('td', null, title(c.flowType)), h('td', null, pill(c.status)));
        }))), { flush: true }) : null,
        audit(f)
      ]);
      Array.prototype.forEach.call(document.querySelectorAll('#mappings select[data-source]'), function (sel) {
        var v = chosen[sel.getAttribute('data-source')];
        if (v !== undefined && v !== sel.value) { sel.value = v; sel.dispatchEvent(new Event('change')); }
      });
    }

    var reads = 0;
    function load() {
      var n = ++reads;
      return gql(FLOW_Q, { id: id }).then(function (d) {
        if (n !== reads) return; // a newer read is on its way
        if (!d.flow) { flow = null; clear(body); append(body, errorBox('This flow does not exist, was deleted, or belongs to another tenant.')); return; }
        flow = d.flow; draw();
      }, function (err) {
        // Keep what is on screen; the reconnect re-reads it.
        if (flow) toast(err.message, 'error'); else { clear(body); append(body, errorBox(err)); }
      });
    }

    // Phase events patch the timeline at once; the full flow (durations, items, mappings,
    // audit) is re-read shortly after, at most every 400 ms.
    function onEvent(d) {
      var ev = d.phaseUpdates;
      if (lastSeq !== null && ev.sequence <= lastSeq) return; // replayed after a reconnect
      lastSeq = ev.sequence;
      if (flow) {
        flow.phases.forEach(function (p) {
          if (p.name === ev.phase) { p.status = ev.status; p.progress = ev.progress; p.attempt = ev.attempt; }
        });
        // A replay brings many events at once: draw once per frame.
        if (!frame) frame = requestAnimationFrame(function () { frame = null; if (flow) draw(); });
      }
      if (!refetch) refetch = setTimeout(function () { refetch = null; load(); }, 400);
    }
    var stop = null;
    function live() {
      if (gone) return;
      if (stop) stop();
      stop = subscribe('subscription($id: ID!, $after: Int) { phaseUpdates(flowId: $id, afterSequence: $after) {' +
        ' phase status progress attempt message sequence } }',
        // From the flow's first event: the API has no cursor to start from "now" without
        // losing what happens between the first read and the subscription starting.
        { id: id, after: lastSeq === null ? 0 : lastSeq }, onEvent, ended);
    }
    // The stream ends once the flow has completed; any other end (a server shutting down) is
    // followed by a new subscription from the last event seen.
    function ended() {
      load().then(function () {
        if (flow && flow.status !== 'COMPLETED' && flow.status !== 'CANCELLED') setTimeout(live, 1000);
      });
    }
    live();
    load();
    // After a lost connection: resume the phase events after the last one seen, and re-read.
    onReconnect(function () { live(); load(); });
    S.cleanup.push(function () { gone = true; clearTimeout(refetch); cancelAnimationFrame(frame); });
  }

  // --- assets (inventory and dependencies share the loading) ---------------
  var ASSETS_Q = 'query Assets($id: ID!, $after: String) { flow(id: $id) { id name assets(first: 100, after: $after) {' +
    ' totalCount pageInfo { hasNextPage endCursor } nodes { id name assetType environment operatingSystem osVersion' +
    ' application businessCriticality ipAddress owner validationStatus sixRStrategy riskScore' +
    ' techDebt { category severity lifecycleStatus endOfLife }' +
    ' dependencies { target { id } dependencyType confidence } } } } }';

  function loadAssets(id) {
    var all = [], name = '';
    function page(after) {
      return gql(ASSETS_Q, { id: id, after: after }).then(function (d) {
        if (!d.flow) throw new ApiError('This flow does not exist, was deleted, or belongs to another tenant.');
        name = d.flow.name;
        all = all.concat(d.flow.assets.nodes);
        var info = d.flow.assets.pageInfo;
        return info.hasNextPage && all.length < 20000 ? page(info.endCursor) : { name: name, assets: all };
      });
    }
    return page(null);
  }

  // Inventory and dependencies work on one discovery flow: the one in the URL, else the newest
  // with assets. The picker lists the others.
  function flowPicker(section, id, then) {
    return gql('query { flows(filter: { flowType: DISCOVERY }, first: 100) { nodes { id name status assets(first: 1) { totalCount } } } }')
      .then(function (d) {
        var flows = d.flows.nodes.filter(function (f) { return f.assets.totalCount > 0; });
        var chosen = id || (flows[0] && flows[0].id);
        var picker = h('select', { id: 'flow-picker', 'aria-label': 'Discovery flow', onchange: function (e) { location.hash = '#/' + section + '/' + e.target.value; } },
          flows.map(function (f) { return h('option', { value: f.id, selected: f.id === chosen }, f.name + ' (' + f.assets.totalCount + ' assets)'); }));
        then(chosen, flows.length ? picker : null);
      });
  }

  function lifecycle(a) {
    var order = ['EOL_EXPIRED', 'EOL_SOON', 'ACTIVE'];
    var found = a.techDebt.map(function (t) { return t.lifecycleStatus; });
    for (var i = 0; i < order.length; i++) if (found.indexOf(order[i]) >= 0) return order[i];
    return a.operatingSystem ? 'ACTIVE' : 'UNKNOWN';
  }
  var LIFECYCLE = { EOL_EXPIRED: ['bad', 'End of life'], EOL_SOON: ['wait', 'EOL soon'], ACTIVE: ['ok', 'Supported'], UNKNOWN: ['idle', 'Unknown'] };
  var SEVERITY = { critical: 4, high: 3, medium: 2, low: 1 };
  function worstDebt(a) {
    return a.techDebt.reduce(function (w, t) { return (SEVERITY[t.severity] || 0) > (SEVERITY[w] || 0) ? t.severity : w; }, null);
  }

  var COLUMNS = [
    ['name', 'Name', function (a) { return a.name.toLowerCase(); }],
    ['assetType', 'Type', function (a) { return a.assetType; }],
    ['environment', 'Environment', function (a) { return a.environment || ''; }],
    ['os', 'Operating system', function (a) { return [a.operatingSystem, a.osVersion].filter(Boolean).join(' '); }],
    ['lifecycle', 'Lifecycle', function (a) { return ['EOL_EXPIRED', 'EOL_SOON', 'UNKNOWN', 'ACTIVE'].indexOf(lifecycle(a)); }],
    ['sixR', '6R strategy', function (a) { return a.sixRStrategy || ''; }],
    ['debt', 'Tech debt', function (a) { return -(a.techDebt.length * 10 + (SEVERITY[worstDebt(a)] || 0)); }],
    ['risk', 'Risk', function (a) { return -(a.riskScore || 0); }]
  ];

  function viewInventory(root, id) {
    var body = h('div', { style: 'display:contents' }, h('div', { class: 'empty' }, 'Loading inventory…'));
    append(root, shell('inventory', ['Inventory', 'Asset inventory'], body));
    flowPicker('inventory', id, function (chosen, picker) {
      if (!chosen) { clear(body); append(body, card('Inventory', h('div', { class: 'empty' }, 'No discovery flow has built an inventory yet. Start one under Flows.'))); return; }
      loadAssets(chosen).then(function (res) { drawInventory(body, chosen, res, picker); }, function (err) { clear(body); append(body, errorBox(err)); });
    }).catch(function (err) { clear(body); append(body, errorBox(err)); });
  }

  function drawInventory(body, flowId, res, picker) {
    var assets = res.assets;
    var st = { sort: 'name', dir: 1, text: '', type: '', env: '', page: 0 };
    var tbody = h('tbody'), pager = h('div', { class: 'pager' }), head = h('tr');
    var by = function (k) { return COLUMNS.filter(function (c) { return c[0] === k; })[0][2]; };

    function filtered() {
      var needle = st.text.toLowerCase();
      var key = by(st.sort);
      return assets.filter(function (a) {
        if (st.type && a.assetType !== st.type) return false;
        if (st.env && (a.environment || '') !== st.env) return false;
        if (!needle) return true;
        return [a.name, a.ipAddress, a.operatingSystem, a.application, a.owner, a.sixRStrategy].join(' ').toLowerCase().indexOf(needle) >= 0;
      }).sort(function (x, y) {
        var a = key(x), b = key(y);
        return (a < b ? -1 : a > b ? 1 : x.name.localeCompare(y.name)) * st.dir;
      });
    }
    function draw() {
      var rows = filtered();
      var pages = Math.max(1, Math.ceil(rows.length / PAGE_SIZE));
      st.page = Math.min(st.page, pages - 1);
      clear(head);
      COLUMNS.forEach(function (c) {
        append(head, h('th', { class: 'sort', 'data-sort': c[0], onclick: function () {
          st.dir = st.sort === c[0] ? -st.dir : 1; st.sort = c[0]; draw();
        } }, c[1], st.sort === c[0] ? (st.dir > 0 ? ' ▲' : ' ▼') : ''));
      });
      clear(tbody);
      rows.slice(st.page * PAGE_SIZE, (st.page + 1) * PAGE_SIZE).forEach(function (a) {
        var lc = LIFECYCLE[lifecycle(a)], worst = worstDebt(a);
        append(tbody, h('tr', { 'data-asset': a.id },
          h('td', null, h('div', { style: 'font-weight:600' }, a.name), a.application && a.assetType !== 'application' ? h('div', { class: 'small muted' }, a.application) : null),
          h('td', null, title(a.assetType)),
          h('td', null, a.environment || '—'),
          h('td', null, [a.operatingSystem, a.osVersion && (a.operatingSystem || '').indexOf(a.osVersion) < 0 ? a.osVersion : null].filter(Boolean).join(' ') || '—'),
          h('td', null, h('span', { class: 'pill ' + lc[0] }, lc[1])),
          h('td', null, a.sixRStrategy ? h('span', { class: 'pill plain' }, title(a.sixRStrategy)) : '—'),
          h('td', null, a.techDebt.length ? h('span', { class: 'nowrap sev-' + worst }, a.techDebt.length + ' finding' + (a.techDebt.length > 1 ? 's' : '') + ' · ' + worst) : h('span', { class: 'muted' }, 'none')),
          h('td', { class: 'num' }, a.riskScore === null ? '—' : String(a.riskScore))));
      });
      if (!rows.length) append(tbody, h('tr', null, h('td', { colspan: COLUMNS.length, class: 'empty' }, 'No asset matches.')));
      clear(pager);
      append(pager, [h('span', { id: 'asset-range' }, rows.length ? (st.page * PAGE_SIZE + 1) + '–' + Math.min(rows.length, (st.page + 1) * PAGE_SIZE) + ' of ' + rows.length + ' assets' : '0 assets'),
        h('span', { class: 'spacer' }),
        h('button', { disabled: st.page === 0, onclick: function () { st.page--; draw(); } }, '‹ Previous'),
        h('span', null, 'Page ' + (st.page + 1) + ' of ' + pages),
        h('button', { id: 'next-page', disabled: st.page >= pages - 1, onclick: function () { st.page++; draw(); } }, 'Next ›')]);
    }
    function exportCsv() {
      var cols = ['name', 'assetType', 'environment', 'operatingSystem', 'osVersion', 'application', 'businessCriticality', 'ipAddress', 'owner', 'sixRStrategy', 'riskScore'];
      var cell = function (v) {
        v = v === null || v === undefined ? '' : String(v);
        // CMDB text opened in a spreadsheet must not run as a formula.
        if (/^[=+@\t\r]|^-[^\d]/.test(v)) v = "'" + v;
        return /[",\n;]/.test(v) ? '"' + v.replace(/"/g, '""') + '"' : v;
      };
      var lines = [cols.concat(['lifecycle', 'techDebtFindings']).join(',')].concat(filtered().map(function (a) {
        return cols.map(function (c) { return cell(a[c]); }).concat([lifecycle(a), cell(a.techDebt.map(function (t) { return t.severity + ' ' + t.category; }).join('; '))]).join(',');
      }));
      var link = h('a', { href: URL.createObjectURL(new Blob([lines.join('\n') + '\n'], { type: 'text/csv' })), download: res.name.replace(/[^\w.-]+/g, '_') + '-assets.csv' });
      document.body.appendChild(link); link.click(); link.remove();
    }
    function distinct(f) { return assets.map(f).filter(function (v, i, all) { return v && all.indexOf(v) === i; }).sort(); }
    function sel(id, label, values, key) {
      return h('select', { id: id, 'aria-label': label, onchange: function (e) { st[key] = e.target.value; st.page = 0; draw(); } },
        h('option', { value: '' }, label), values.map(function (v) { return h('option', { value: v }, title(v)); }));
    }
    var eol = assets.filter(function (a) { return lifecycle(a) === 'EOL_EXPIRED'; }).length;
    var deps = assets.reduce(function (n, a) { return n + a.dependencies.length; }, 0);
    clear(body);
    append(body, [
      h('div', { class: 'toolbar' }, picker, h('a', { class: 'btn', href: '#/flows/' + flowId }, 'Open flow'), h('a', { class: 'btn', href: '#/dependencies/' + flowId }, 'Dependencies')),
      h('div', { class: 'stats' },
        stat('Assets', String(assets.length), 'asset-count'),
        stat('Servers', String(assets.filter(function (a) { return a.assetType === 'server'; }).length)),
        stat('Databases', String(assets.filter(function (a) { return a.assetType === 'database'; }).length)),
        stat('Applications', String(assets.filter(function (a) { return a.assetType === 'application'; }).length)),
        stat('Past end of life', String(eol)),
        stat('Dependencies', String(deps))),
      card(res.name, [h('table', { id: 'assets' }, h('thead', null, head), tbody), pager], {
        flush: true,
        tools: h('div', { class: 'toolbar' },
          h('input', { type: 'search', id: 'asset-search', placeholder: 'Search name, IP, OS, application, owner…', oninput: function (e) { st.text = e.target.value; st.page = 0; draw(); } }),
          sel('asset-type', 'Any type', distinct(function (a) { return a.assetType; }), 'type'),
          sel('asset-env', 'Any environment', distinct(function (a) { return a.environment; }), 'env'),
          h('button', { id: 'export-csv', onclick: exportCsv }, '↓ Export CSV'))
      })
    ]);
    draw();
  }

  // --- dependencies --------------------------------------------------------
  var TYPE_COLOUR = { application: '#7c3aed', server: '#2563eb', database: '#059669', network_device: '#d97706', storage: '#0891b2', other: '#64748b' };

  function viewDependencies(root, id) {
    var body = h('div', { style: 'display:contents' }, h('div', { class: 'empty' }, 'Loading dependencies…'));
    append(root, shell('dependencies', ['Dependencies', 'Dependency map'], body));
    flowPicker('dependencies', id, function (chosen, picker) {
      if (!chosen) { clear(body); append(body, card('Dependencies', h('div', { class: 'empty' }, 'No discovery flow has found dependencies yet.'))); return; }
      Promise.all([loadAssets(chosen), loadWaves(chosen)]).then(function (r) {
        drawGraph(body, chosen, r[0], r[1], picker);
      }, function (err) { clear(body); append(body, errorBox(err)); });
    }).catch(function (err) { clear(body); append(body, errorBox(err)); });
  }

  // The migration waves of the newest assessment made from this discovery flow, if any.
  function loadWaves(id) {
    return gql('query($id: ID!) { flow(id: $id) { childFlows { id name flowType status } } }', { id: id }).then(function (d) {
      var child = (d.flow ? d.flow.childFlows : []).filter(function (c) { return c.flowType === 'ASSESSMENT'; }).pop();
      if (!child) return null;
      return gql('query($id: ID!) { flow(id: $id) { id name status waves { number size oversized applications assets { id name } } } }', { id: child.id })
        .then(function (w) { return w.flow; });
    });
  }

  function drawGraph(body, flowId, res, assessment, picker) {
    var waveOf = {};
    (assessment && assessment.waves || []).forEach(function (w) { w.assets.forEach(function (a) { waveOf[a.id] = w.number; }); });
    var ids = {};
    res.assets.forEach(function (a) { ids[a.id] = true; });
    var elements = [];
    res.assets.forEach(function (a) {
      elements.push({ data: { id: a.id, label: a.name + (waveOf[a.id] ? '  W' + waveOf[a.id] : ''), type: a.assetType, colour: TYPE_COLOUR[a.assetType] || TYPE_COLOUR.other } });
    });
    var edges = 0;
    res.assets.forEach(function (a) {
      a.dependencies.forEach(function (d, i) {
        if (!ids[d.target.id]) return;
        edges++;
        elements.push({ data: { id: a.id + '>' + d.target.id + ':' + i, source: a.id, target: d.target.id, kind: d.dependencyType } });
      });
    });
    var graph = h('div', { class: 'graph', id: 'graph', 'data-nodes': res.assets.length, 'data-edges': edges });
    var detail = h('div', { class: 'small muted', id: 'graph-detail' }, 'Click an asset to see what it depends on.');
    clear(body);
    append(body, [
      h('div', { class: 'toolbar' }, picker, h('a', { class: 'btn', href: '#/flows/' + flowId }, 'Open flow'), h('a', { class: 'btn', href: '#/inventory/' + flowId }, 'Inventory')),
      card(res.name + ': ' + res.assets.length + ' assets, ' + edges + ' dependencies', [graph], {
        flush: true,
        tools: h('div', { class: 'legend' }, ['application', 'server', 'database', 'other'].map(function (t) {
          return h('span', null, h('i', { style: 'background:' + TYPE_COLOUR[t] }), title(t));
        }))
      }),
      h('div', { class: 'card' }, h('div', { class: 'body' }, detail)),
      assessment ? card('Migration waves — ' + assessment.name, h('div', { class: 'waves', id: 'waves' }, assessment.waves.map(function (w) {
        return h('div', { class: 'wave' }, h('h3', null, 'Wave ' + w.number + ' · ' + w.size + ' assets' + (w.oversized ? ' (oversized cycle)' : '')),
          h('ul', null, (w.applications.length ? w.applications : w.assets.map(function (a) { return a.name; })).slice(0, 12).map(function (n) { return h('li', null, n); })));
      })), { flush: true }) : card('Migration waves', h('div', { class: 'muted' },
        'No assessment flow yet. An assessment made from this discovery flow plans the migration waves; they appear here and on the map (W1, W2…).'))
    ]);
    if (typeof cytoscape !== 'function') { append(graph, errorBox('The graph library did not load; reload the page.')); return; }
    var cy = cytoscape({
      container: graph, elements: elements, wheelSensitivity: 0.3,
      style: [
        { selector: 'node', style: { 'background-color': 'data(colour)', label: 'data(label)', 'font-size': 10, color: '#1c2430', 'text-valign': 'bottom', 'text-margin-y': 4, width: 18, height: 18, 'text-background-color': '#fbfcfe', 'text-background-opacity': 0.8, 'text-background-padding': 1 } },
        { selector: 'node[type = "application"]', style: { shape: 'round-rectangle', width: 26, height: 20 } },
        { selector: 'node[type = "database"]', style: { shape: 'barrel', width: 20, height: 22 } },
        { selector: 'edge', style: { width: 1.2, 'line-color': '#b8c2d0', 'target-arrow-color': '#b8c2d0', 'target-arrow-shape': 'triangle', 'arrow-scale': 0.8, 'curve-style': 'bezier' } },
        { selector: '.hl', style: { 'line-color': '#f59e0b', 'target-arrow-color': '#f59e0b', width: 2.5 } },
        { selector: 'node:selected', style: { 'border-width': 3, 'border-color': '#f59e0b' } }
      ],
      // A force layout reads best; past a thousand assets it gets slow, so rings by type instead.
      layout: res.assets.length > 1000
        ? { name: 'concentric', animate: false, minNodeSpacing: 4, concentric: function (n) { return n.data('type') === 'application' ? 3 : n.data('type') === 'database' ? 2 : 1; } }
        : { name: 'cose', animate: false, randomize: false, nodeRepulsion: function () { return 9000; }, idealEdgeLength: function () { return 60; }, padding: 24 }
    });
    cy.on('tap', 'node', function (e) {
      var n = e.target;
      cy.elements().removeClass('hl');
      n.connectedEdges().addClass('hl');
      var out = n.outgoers('node').map(function (x) { return x.data('label'); });
      var inc = n.incomers('node').map(function (x) { return x.data('label'); });
      clear(detail);
      append(detail, [h('b', null, n.data('label')), ' (' + n.data('type') + ') depends on ', out.join(', ') || 'nothing',
        '; used by ', inc.join(', ') || 'nothing', '.']);
    });
    S.cleanup.push(function () { cy.destroy(); });
    window.__cy = cy; // lets the browser test count what was drawn
  }

  // --- agents --------------------------------------------------------------
  function viewAgents(root) {
    var grid = h('div', { class: 'agents', id: 'agents' }, h('div', { class: 'empty' }, 'Waiting for the first health snapshot…'));
    var at = h('span', { class: 'muted small', id: 'agents-at' });
    var counts = h('div', { class: 'stats' });
    append(root, shell('agents', ['Agents', 'Agent health'], [counts, h('div', { class: 'toolbar' }, at), grid]));
    subscribe('subscription { agentHealth { at agents { name phase status health reasons probeOk lastActiveAt tasksCompleted failures successRate avgResponseMs p95ResponseMs } } }', {}, function (d) {
      var agents = d.agentHealth.agents;
      at.textContent = 'Last update ' + new Date(d.agentHealth.at).toLocaleTimeString();
      clear(counts);
      ['HEALTHY', 'DEGRADED', 'UNHEALTHY'].forEach(function (s) {
        append(counts, stat(title(s), String(agents.filter(function (a) { return a.health === s; }).length)));
      });
      append(counts, stat('Tasks run', String(agents.reduce(function (n, a) { return n + a.tasksCompleted; }, 0))));
      clear(grid);
      agents.forEach(function (a) {
        append(grid, h('div', { class: 'agent ' + a.health.toLowerCase(), 'data-agent': a.name },
          h('div', { class: 'top' }, h('span', { class: 'nm' }, a.name), h('span', { class: 'spacer' }), pill(a.health)),
          h('div', { class: 'small muted' }, title(a.phase) + ' · ', a.status === 'RUNNING' ? h('b', null, 'running') : 'idle', a.probeOk ? ' · self-test ok' : ' · self-test FAILED'),
          h('dl', null,
            h('dt', null, 'Tasks'), h('dd', null, a.tasksCompleted + (a.failures ? ' (' + a.failures + ' failed)' : '')),
            h('dt', null, 'Success'), h('dd', null, pct(a.successRate)),
            h('dt', null, 'Latency avg / p95'), h('dd', null, a.avgResponseMs.toFixed(1) + ' / ' + a.p95ResponseMs.toFixed(1) + ' ms'),
            h('dt', null, 'Last active'), h('dd', null, ago(a.lastActiveAt))),
          a.reasons.length ? h('div', { class: 'small sev-high' }, a.reasons.join('; ')) : null));
      });
    });
  }

  // --- router --------------------------------------------------------------
  function render() {
    runCleanup();
    var root = clear(document.getElementById('app'));
    var route = location.hash.replace(/^#\/?/, '').split('/');
    try {
      if (!S.token || route[0] === 'signin') {
        if (S.token && route[0] === 'signin') { location.hash = '#/flows'; return; }
        viewSignIn(root);
        return;
      }
      switch (route[0]) {
        case 'flows': if (route[1]) viewFlow(root, route[1]); else viewFlows(root); break;
        case 'inventory': viewInventory(root, route[1]); break;
        case 'dependencies': viewDependencies(root, route[1]); break;
        case 'agents': viewAgents(root); break;
        default: location.hash = '#/flows';
      }
    } catch (err) {
      // Never a blank page: show what broke and a way back.
      clear(root);
      append(root, h('div', { class: 'boot' }, errorBox(err), h('p', null, h('a', { href: '#/flows' }, 'Back to flows'))));
    }
  }

  window.addEventListener('error', function (e) { toast('Something went wrong in the page: ' + e.message, 'error'); });
  window.addEventListener('unhandledrejection', function (e) {
    // Our own failures are Errors and already shown where they happened; a websocket client
    // rejecting with a close event is handled by the reconnect banner.
    if (e.reason instanceof Error && !(e.reason instanceof ApiError)) toast(e.reason.message, 'error');
  });
  // A token in the fragment, or else the stored one. Also on hashchange: opening a new
  // console#token=… link in a tab that shows the console is a same-document navigation.
  function adoptToken(candidate) {
    if (!candidate) return;
    if (S.ws) { S.ws.dispose(); S.ws = null; }
    S.token = null; S.claims = null;
    try {
      acceptToken(candidate);
      S.signInMessage = null;
    } catch (err) {
      S.signInMessage = err.message;
      try { localStorage.removeItem(TOKEN_KEY); } catch (e) { /* storage disabled */ }
    }
  }
  window.addEventListener('hashchange', function () {
    var token = takeTokenFromHash();
    if (token) adoptToken(token);
    render();
  });

  var stored = null;
  try { stored = localStorage.getItem(TOKEN_KEY); } catch (e) { /* storage disabled */ }
  adoptToken(takeTokenFromHash() || stored);
  if (!location.hash || location.hash === '#') history.replaceState(null, '', '#/flows');
  render();
})();
