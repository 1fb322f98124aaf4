// Small enhancements for writers' pages. Everything works without them.
(function () {
  'use strict';

  // Sign out: tell the browser not to sign this person back in silently, then submit.
  document.querySelectorAll('form[data-signout]').forEach(function (form) {
    form.addEventListener('submit', function (event) {
      if (!navigator.credentials || !navigator.credentials.preventSilentAccess) return;
      event.preventDefault();
      navigator.credentials
        .preventSilentAccess()
        .catch(function () {})
        .then(function () {
          form.submit();
        });
    });
  });

  // Copy buttons next to read-only fields (invite links, credentials).
  document.querySelectorAll('[data-copy]').forEach(function (button) {
    if (button.dataset.copyBound) return;
    button.dataset.copyBound = 'true';
    button.hidden = false;
    button.addEventListener('click', function () {
      var input = document.getElementById(button.dataset.copy);
      if (!input || !navigator.clipboard) return;
      navigator.clipboard.writeText(input.value).then(function () {
        button.textContent = 'Copied';
        setTimeout(function () {
          button.textContent = 'Copy';
        }, 2000);
      });
    });
  });

  // Forms that ask "are you sure?" (delete, revoke) say so in data-confirm.
  document.querySelectorAll('form[data-confirm]').forEach(function (form) {
    form.addEventListener('submit', function (event) {
      if (!confirm(form.dataset.confirm)) event.preventDefault();
    });
  });
})();
