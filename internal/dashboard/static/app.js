// Hookline dashboard: progressive enhancement only. Every page works
// without this file; with it, tests and secrets open in place, examples
// follow the event selection, copy buttons work, and bins update live.
(function () {
  'use strict';

  // Controls that need JavaScript are hidden in the HTML.
  var reveal = function (root) {
    root.querySelectorAll('[data-js]').forEach(function (el) { el.hidden = false; });
  };
  reveal(document);
  document.documentElement.classList.add('js');

  // Copy buttons: data-copy names the element whose text is copied.
  document.addEventListener('click', function (e) {
    var btn = e.target.closest('[data-copy]');
    if (!btn) return;
    var src = document.getElementById(btn.getAttribute('data-copy'));
    if (!src) return;
    var text = src.value !== undefined && src.tagName !== 'PRE' ? src.value : src.textContent;
    var done = function (label) {
      var old = btn.getAttribute('data-label') || btn.textContent;
      btn.setAttribute('data-label', old);
      btn.textContent = label;
      setTimeout(function () { btn.textContent = old; }, 1500);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { done('Copied'); }, function () { fallback(); });
    } else {
      fallback();
    }
    function fallback() {
      var ta = document.createElement('textarea');
      ta.value = text;
      ta.setAttribute('readonly', '');
      ta.className = 'sr-only';
      document.body.appendChild(ta);
      ta.select();
      var ok = false;
      try { ok = document.execCommand('copy'); } catch (err) { ok = false; }
      document.body.removeChild(ta);
      done(ok ? 'Copied' : 'Press Ctrl+C');
    }
  });

  // A dialog whose action changed the page reloads it on closing.
  document.querySelectorAll('dialog').forEach(function (dlg) {
    dlg.addEventListener('close', function () {
      if (dlg.hasAttribute('data-refresh')) window.location.reload();
    });
  });

  // Close buttons inside dialogs.
  document.addEventListener('click', function (e) {
    var btn = e.target.closest('[data-close]');
    if (!btn) return;
    var dlg = btn.closest('dialog');
    if (dlg) dlg.close();
  });

  // Forms with data-confirm ask first.
  // Forms with data-target post in the background and put the HTML answer
  // (rendered and escaped by the server) into the target; a <dialog>
  // target opens.
  document.addEventListener('submit', function (e) {
    var form = e.target;
    var question = form.getAttribute('data-confirm');
    if (question && !window.confirm(question)) {
      e.preventDefault();
      return;
    }
    var targetSel = form.getAttribute('data-target');
    if (!targetSel || !window.fetch) return;
    var target = document.querySelector(targetSel);
    if (!target) return;
    e.preventDefault();
    var button = form.querySelector('button[type=submit], button:not([type])');
    if (button) button.disabled = true;
    var body = target.tagName === 'DIALOG' ? target.querySelector('.dialog-body') : target;
    if (target.tagName === 'DIALOG') {
      body.innerHTML = '';
      var p = document.createElement('p');
      p.className = 'muted';
      p.textContent = form.getAttribute('data-busy') || 'Working…';
      body.appendChild(p);
      if (!target.open) target.showModal();
    }
    fetch(form.action, {
      method: 'POST',
      body: new URLSearchParams(new FormData(form)),
      headers: { 'X-Hookline-Fragment': '1' },
      credentials: 'same-origin'
    }).then(function (res) {
      if (res.status === 401) { window.location.href = '/login?notice=expired'; return null; }
      return res.text();
    }).then(function (html) {
      if (html === null) return;
      body.innerHTML = html;
      reveal(body);
      // A test send adds to the page's own log: show it when the dialog
      // closes.
      if (form.hasAttribute('data-refresh') && target.tagName === 'DIALOG') target.setAttribute('data-refresh', '');
      var focus = body.querySelector('[data-autofocus]') || body.querySelector('h2, h3');
      if (focus) { focus.setAttribute('tabindex', '-1'); focus.focus(); }
    }).catch(function () {
      body.textContent = 'The request failed: Hookline could not be reached. Check your connection and try again.';
    }).finally(function () {
      if (button) button.disabled = false;
    });
  });

  // "Test against the example payload" posts the form to its formaction
  // and shows the answer in place.
  document.addEventListener('click', function (e) {
    var btn = e.target.closest('[data-filter-test]');
    if (!btn || !window.fetch) return;
    var out = document.querySelector(btn.getAttribute('data-filter-test'));
    if (!out) return;
    e.preventDefault();
    btn.disabled = true;
    fetch(btn.getAttribute('formaction'), {
      method: 'POST',
      body: new URLSearchParams(new FormData(btn.form)),
      headers: { 'X-Hookline-Fragment': '1' },
      credentials: 'same-origin'
    }).then(function (res) { return res.text(); }).then(function (html) {
      out.innerHTML = html;
    }).catch(function () {
      out.textContent = 'The test failed: Hookline could not be reached.';
    }).finally(function () { btn.disabled = false; });
  });

  // Example payload preview follows the event selection: the first
  // ticked type's example, or the catalog's first.
  document.querySelectorAll('[data-preview]').forEach(function (picker) {
    var box = document.getElementById(picker.getAttribute('data-preview'));
    if (!box) return;
    var update = function () {
      var slug = '';
      var ticked = picker.querySelectorAll('input[type=checkbox]:checked');
      for (var i = 0; i < ticked.length; i++) {
        if (ticked[i].value !== '*') { slug = ticked[i].value; break; }
      }
      var pres = box.querySelectorAll('[data-example]');
      if (!slug && pres.length) slug = pres[0].getAttribute('data-example');
      var shown = null;
      pres.forEach(function (pre) {
        var on = pre.getAttribute('data-example') === slug;
        pre.hidden = !on;
        if (on) shown = pre;
      });
      var label = box.querySelector('[data-example-name]');
      if (label && shown) label.textContent = shown.getAttribute('data-name') + ' (' + slug + ')';
      var copy = box.querySelector('[data-copy]');
      if (copy && shown) copy.setAttribute('data-copy', shown.id);
    };
    picker.addEventListener('change', update);
    update();
  });

  // The event picker's search hides the types that do not match (by slug
  // or name); ticked ones stay ticked, hidden or not.
  document.querySelectorAll('[data-picker-search]').forEach(function (input) {
    var picker = input.closest('fieldset');
    if (!picker) return;
    var empty = picker.querySelector('[data-picker-empty]');
    input.addEventListener('input', function () {
      var q = input.value.trim().toLowerCase();
      var any = false;
      picker.querySelectorAll('[data-search]').forEach(function (label) {
        var on = !q || label.getAttribute('data-search').toLowerCase().indexOf(q) >= 0;
        label.hidden = !on;
        if (on) any = true;
      });
      picker.querySelectorAll('[data-picker-group]').forEach(function (g) {
        g.hidden = !g.querySelector('[data-search]:not([hidden])');
      });
      if (empty) empty.hidden = any;
    });
    // Enter in the search box must not submit the form.
    input.addEventListener('keydown', function (e) { if (e.key === 'Enter') e.preventDefault(); });
  });

  // The "secret" boxes follow the header lines as they are typed; boxes
  // keep their state by header name. Headers whose names mark them as
  // credentials are always secret (the server applies the same rule).
  var secretBox = document.getElementById('secret-headers');
  var headersArea = document.getElementById('headers');
  if (secretBox && headersArea) {
    var credNames = (secretBox.getAttribute('data-names') || '').split(' ');
    var credWords = (secretBox.getAttribute('data-words') || '').split(' ').filter(Boolean);
    var rowsBody = secretBox.querySelector('[data-secret-rows]');
    var always = function (name) {
      var lower = name.toLowerCase();
      return credNames.indexOf(lower) >= 0 || credWords.some(function (w) { return lower.indexOf(w) >= 0; });
    };
    var sync = function () {
      var checked = {};
      rowsBody.querySelectorAll('input[type=checkbox]').forEach(function (cb) {
        checked[cb.value.toLowerCase()] = cb.checked;
      });
      var seen = {};
      rowsBody.textContent = '';
      headersArea.value.split('\n').forEach(function (line) {
        var i = line.indexOf(':');
        var name = i < 0 ? '' : line.slice(0, i).trim();
        if (!name || seen[name.toLowerCase()]) return;
        seen[name.toLowerCase()] = true;
        var tr = document.createElement('tr');
        var th = document.createElement('th');
        th.scope = 'row';
        var code = document.createElement('code');
        code.textContent = name;
        th.appendChild(code);
        var label = document.createElement('label');
        label.className = 'check';
        var cb = document.createElement('input');
        cb.type = 'checkbox';
        cb.name = 'secret_headers';
        cb.value = name;
        cb.checked = always(name) || !!checked[name.toLowerCase()];
        cb.disabled = always(name);
        label.appendChild(cb);
        label.appendChild(document.createTextNode(' Secret'));
        if (cb.disabled) {
          var note = document.createElement('span');
          note.className = 'muted small';
          note.textContent = ' (always, by its name)';
          label.appendChild(note);
        }
        var td = document.createElement('td');
        td.appendChild(label);
        tr.appendChild(th);
        tr.appendChild(td);
        rowsBody.appendChild(tr);
      });
      secretBox.hidden = !rowsBody.children.length;
    };
    headersArea.addEventListener('input', sync);
  }

  // On a narrow screen the navigation is one row that scrolls sideways:
  // bring the current page's link into view.
  var current = document.querySelector('.nav a[aria-current="page"]');
  var navRow = current && current.closest('ul');
  if (navRow && navRow.scrollWidth > navRow.clientWidth) {
    navRow.scrollLeft = Math.max(0, current.offsetLeft - navRow.offsetLeft - 16);
  }

  // Live requests in a bin (server-sent events).
  var list = document.querySelector('[data-stream]');
  if (list && window.EventSource) {
    var status = document.getElementById('live-status');
    var count = document.getElementById('request-count');
    var max = parseInt(list.getAttribute('data-max') || '100', 10);
    var es = new EventSource(list.getAttribute('data-stream'));
    var setStatus = function (on, text) {
      if (!status) return;
      status.classList.toggle('on', on);
      status.textContent = text;
    };
    es.addEventListener('open', function () { setStatus(true, 'Live'); });
    es.addEventListener('error', function () { setStatus(false, 'Reconnecting…'); });
    es.addEventListener('request', function (ev) {
      var empty = document.getElementById('no-requests');
      if (empty) empty.hidden = true;
      list.insertAdjacentHTML('afterbegin', ev.data);
      var first = list.firstElementChild;
      if (first) { first.classList.add('fresh'); reveal(first); }
      while (list.children.length > max) list.removeChild(list.lastElementChild);
      if (count) count.textContent = String(list.children.length);
    });
    window.addEventListener('pagehide', function () { es.close(); });
  }

  // The destination field shows the boxes of the chosen type only, and
  // the webhook URL only for HTTP, where it is required. Without
  // JavaScript every box shows and the server takes each type's own.
  document.querySelectorAll('[data-destination]').forEach(function (box) {
    var type = box.querySelector('#destination_type');
    var url = document.getElementById('url');
    var urlField = url && url.closest('.field');
    function show() {
      var t = type.value;
      box.querySelectorAll('[data-dest]').forEach(function (g) {
        g.hidden = g.getAttribute('data-dest').split(' ').indexOf(t) < 0;
      });
      if (url) {
        url.required = t === 'http';
        if (urlField) urlField.hidden = t !== 'http';
      }
    }
    type.addEventListener('change', show);
    show();
  });
})();
