// Passkeys in the browser, through @simplewebauthn/browser (static/vendor, global SimpleWebAuthnBrowser).
// Every passkey form here is an ordinary POST form: this script asks the server for options, lets
// the browser talk to the authenticator, puts the signed answer into the form's hidden "response"
// field and submits it. The server checks everything; nothing here is trusted.
//
//   <form data-passkey="authenticate|register" data-options="/…/options" [data-autofill]> …
(function () {
  'use strict';
  var W = window.SimpleWebAuthnBrowser;
  var forms = document.querySelectorAll('form[data-passkey]');
  if (!forms.length) return;
  if (!W || !W.browserSupportsWebAuthn()) return; // the forms stay hidden; the page says what else to do

  document.querySelectorAll('[data-passkey-unsupported]').forEach(function (note) {
    note.hidden = true;
  });
  var block = document.getElementById('passkey-signin');
  if (block) block.hidden = false;

  function say(form, text) {
    var status = form.querySelector('[data-passkey-status]');
    if (status) status.textContent = text;
  }

  function fetchOptions(form) {
    return fetch(form.dataset.options, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: '{}',
    }).then(function (response) {
      return response.json().then(function (body) {
        if (response.ok) return body;
        // Needs a fresh confirmation first (sensitive change): go there and come back.
        if (body && body.location) location.assign(body.location);
        throw new Error((body && body.message) || 'Quire could not start the passkey request.');
      });
    });
  }

  function submitWith(form, answer, via) {
    form.elements.response.value = JSON.stringify(answer);
    if (via && form.elements.via) form.elements.via.value = via;
    form.dataset.busy = 'true';
    form.submit();
  }

  function explain(form, error) {
    if (error && error.name === 'AbortError') return; // replaced by another passkey request
    var text =
      error && error.name === 'NotAllowedError'
        ? 'No passkey was used (it was cancelled, or timed out). You can try again.'
        : error && error.name === 'InvalidStateError'
          ? 'This device already has a passkey for your account.'
          : (error && error.message) || 'That did not work. Please try again.';
    say(form, text);
  }

  forms.forEach(function (form) {
    form.hidden = false;
    var register = form.dataset.passkey === 'register';

    form.addEventListener('submit', function (event) {
      if (form.dataset.busy === 'true') return;
      event.preventDefault();
      say(form, register ? 'Follow your browser’s steps to make the passkey…' : 'Follow your browser’s steps to use your passkey…');
      fetchOptions(form)
        .then(function (options) {
          return register ? W.startRegistration({ optionsJSON: options }) : W.startAuthentication({ optionsJSON: options });
        })
        .then(function (answer) {
          say(form, 'Checking…');
          submitWith(form, answer, null);
        })
        .catch(function (error) {
          explain(form, error);
        });
    });

    // Passkey autofill (conditional mediation): the browser lists passkeys among the username
    // field's suggestions; choosing one signs in. Waits for the password-manager request on the
    // same page (login.js) to settle, since a browser handles one credential request at a time.
    if (form.hasAttribute('data-autofill')) {
      var before = window.quirePasswordRequest || Promise.resolve();
      before
        .then(function () {
          return W.browserSupportsWebAuthnAutofill();
        })
        .then(function (supported) {
          if (!supported || form.dataset.busy === 'true') return;
          return fetchOptions(form).then(function (options) {
            return W.startAuthentication({ optionsJSON: options, useBrowserAutofill: true }).then(function (answer) {
              submitWith(form, answer, 'autofill');
            });
          });
        })
        .catch(function (error) {
          // Cancelled by the button (AbortError) or not possible here: the button still works.
          if (error && error.name !== 'AbortError' && error.name !== 'NotAllowedError' && console && console.debug) {
            console.debug('Passkey autofill unavailable:', error.message);
          }
        });
    }
  });
})();
