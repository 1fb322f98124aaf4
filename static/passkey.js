// Passkeys in the browser, through @simplewebauthn/browser (static/vendor, global SimpleWebAuthnBrowser).
// Every passkey form here is an ordinary POST form: this script asks the server for options, lets
// the browser talk to the authenticator, puts the signed answer into the form's hidden "response"
// field and submits it. The server checks everything; nothing here is trusted.
//
//   <form data-passkey="authenticate|register" data-options="/…/options" [data-autofill]> …
//
// While a passkey-autofill request is waiting for the person to pick a passkey from the username
// field's suggestions, the form carries data-autofill="waiting".
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
      return response.json().then(
        function (body) {
          if (response.ok) return body;
          // Needs a fresh confirmation first (sensitive change): go there and come back.
          if (body && body.location) location.assign(body.location);
          throw new Error((body && body.message) || 'Quire could not start the passkey request.');
        },
        function () {
          throw new Error('Quire could not start the passkey request. Please reload the page and try again.');
        }
      );
    });
  }

  function explain(form, error) {
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
    // One request at a time: a second press while the browser is asking does nothing, and
    // autofill is not started (or restarted) while a press is being answered.
    var pressed = false;
    var submitted = false;
    var autofilling = false;

    function submitWith(answer, via) {
      submitted = true;
      form.elements.response.value = JSON.stringify(answer);
      if (via && form.elements.via) form.elements.via.value = via;
      form.submit();
    }

    form.addEventListener('submit', function (event) {
      event.preventDefault();
      if (pressed || submitted) return;
      pressed = true;
      say(form, register ? 'Follow your browser’s steps to make the passkey…' : 'Follow your browser’s steps to use your passkey…');
      fetchOptions(form)
        .then(function (options) {
          // Starting this request cancels a waiting autofill request (the library aborts it).
          return register ? W.startRegistration({ optionsJSON: options }) : W.startAuthentication({ optionsJSON: options });
        })
        .then(function (answer) {
          say(form, 'Checking…');
          submitWith(answer, null);
        })
        .catch(function (error) {
          pressed = false;
          explain(form, error);
          startAutofill();
        });
    });

    // Passkey autofill (conditional mediation): the browser lists passkeys among the username
    // field's suggestions; choosing one signs in. Waits for the password-manager request on the
    // same page (login.js) to settle, since a browser handles one credential request at a time.
    function startAutofill() {
      if (!form.hasAttribute('data-autofill') || pressed || submitted || autofilling) return;
      autofilling = true;
      (window.quirePasswordRequest || Promise.resolve())
        .then(function () {
          return W.browserSupportsWebAuthnAutofill();
        })
        .then(function (supported) {
          if (!supported || pressed || submitted) return;
          return fetchOptions(form).then(function (options) {
            if (pressed || submitted) return;
            form.dataset.autofill = 'waiting';
            return W.startAuthentication({ optionsJSON: options, useBrowserAutofill: true }).then(function (answer) {
              submitWith(answer, 'autofill');
            });
          });
        })
        .catch(function (error) {
          // Cancelled by a press of the button (AbortError) or not possible here: the button still works.
          if (error && error.name !== 'AbortError' && error.name !== 'NotAllowedError' && console && console.debug) {
            console.debug('Passkey autofill unavailable:', error.message);
          }
        })
        .then(function () {
          autofilling = false;
          if (form.dataset.autofill === 'waiting') delete form.dataset.autofill;
        });
    }
    startAutofill();
  });
})();
