// The dashboard of vitals serve: reloads itself, and acknowledges or
// resolves alerts through the API with the bearer token the reader gives
// (kept for the tab's session only, never in a cookie).
(function () {
  'use strict';
  var refresh = parseInt(document.body.getAttribute('data-refresh') || '0', 10);
  var busy = false;
  var form = document.getElementById('auth');

  function typing() {
    var active = document.activeElement;
    return form && active && form.contains(active) && active.tagName === 'INPUT';
  }

  function later() {
    if (refresh > 0) {
      setTimeout(function () {
        if (busy || typing()) { later(); } else { location.reload(); }
      }, refresh * 1000);
    }
  }
  later();

  if (!form) { return; }
  var token = form.querySelector('input[name=token]');
  var by = form.querySelector('input[name=by]');
  var note = form.querySelector('input[name=note]');
  var said = document.getElementById('said');
  try {
    token.value = sessionStorage.getItem('vitals.token') || '';
    by.value = localStorage.getItem('vitals.by') || '';
  } catch (e) { /* storage may be off: the reader types them */ }
  form.addEventListener('submit', function (event) { event.preventDefault(); });

  document.addEventListener('click', function (event) {
    var button = event.target.closest ? event.target.closest('button[data-action]') : null;
    if (!button) { return; }
    event.preventDefault();
    if (!token.value || !by.value.trim()) {
      said.textContent = 'Give the token and your name first.';
      (token.value ? by : token).focus();
      return;
    }
    try {
      sessionStorage.setItem('vitals.token', token.value);
      localStorage.setItem('vitals.by', by.value);
    } catch (e) { /* nothing to keep them in */ }
    var action = button.getAttribute('data-action');
    var body = { by: by.value.trim() };
    if (action === 'resolve' && note.value.trim()) { body.note = note.value.trim(); }
    busy = true;
    said.textContent = 'Sending…';
    fetch('api/v1/alerts/' + encodeURIComponent(button.getAttribute('data-id')) + '/' + action, {
      method: 'POST',
      headers: { 'Authorization': 'Bearer ' + token.value, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
      credentials: 'omit'
    }).then(function (response) {
      return response.json().then(function (answer) {
        if (response.ok) {
          said.textContent = 'Alert ' + answer.id.slice(0, 12) + ' is ' + answer.status + '.';
          location.reload();
        } else {
          said.textContent = answer.error || ('The server answered ' + response.status + '.');
          busy = false;
        }
      });
    }).catch(function (error) {
      said.textContent = 'Not sent: ' + error;
      busy = false;
    });
  });
}());
