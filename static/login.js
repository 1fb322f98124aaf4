// Sign-in page: let the browser's password manager sign the writer in without typing,
// and offer passkeys where the browser has them. The plain form works without any of this.
(function () {
  'use strict';
  var form = document.getElementById('login-form');
  if (!form) return;
  var signedOut = form.dataset.signedOut === 'true';

  // Credential Management API (Chromium): hand over the stored username and password.
  // Right after signing out we do not ask, so "Sign out" does not sign the person straight back in.
  // passkey.js waits for this request to settle before offering passkey autofill, because the
  // browser handles one credential request per page at a time.
  if (!signedOut && window.PasswordCredential && navigator.credentials) {
    window.quirePasswordRequest = navigator.credentials
      .get({ password: true, mediation: 'optional' })
      .then(function (credential) {
        if (!credential || credential.type !== 'password' || !credential.password) return;
        form.elements.username.value = credential.id;
        form.elements.password.value = credential.password;
        if (form.requestSubmit) form.requestSubmit();
        else form.submit();
      })
      .catch(function () {
        /* No stored credential or the person dismissed the chooser: the form is still there. */
      });
  }
})();
