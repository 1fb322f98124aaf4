// Newly generated credentials: store them in the browser's password manager through the
// Credential Management API where it exists; elsewhere offer copy buttons, and the form's
// autocomplete="new-password" lets other password managers save them on "Continue".
(function () {
  'use strict';
  var form = document.getElementById('credentials-form');
  var status = document.getElementById('credential-status');
  if (!form || !status) return;
  var username = form.elements.username.value;
  var password = form.elements.password.value;

  function say(kind, text) {
    status.className = 'notice notice-' + kind;
    status.textContent = text;
  }

  if (window.PasswordCredential && navigator.credentials && navigator.credentials.store) {
    var credential = new PasswordCredential({ id: username, password: password, name: form.dataset.displayName || username });
    navigator.credentials
      .store(credential)
      .then(function () {
        form.dataset.stored = 'true';
        say(
          'success',
          'Your browser was asked to save this username and password. If it did, you are all set: it will fill them in next time. If it did not, copy them now or write them down: they are shown only this once.'
        );
      })
      .catch(function () {
        say('info', 'Your browser did not save them. Copy them into your password manager now, or write them down: they are shown only this once.');
      });
  }
})();
