// Account pages. Times are written in UTC by the server; here they are shown in the writer's
// own time zone. On the recovery codes page: copy, download and print buttons. The codes are on
// the page either way; these only save typing. Nothing is sent anywhere.
(function () {
  'use strict';
  if (window.Intl && Intl.DateTimeFormat) {
    var local = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit' });
    document.querySelectorAll('time[data-local]').forEach(function (time) {
      var when = new Date(time.getAttribute('datetime'));
      if (isNaN(when.getTime())) return;
      time.title = time.textContent;
      time.textContent = local.format(when);
    });
  }
})();

(function () {
  'use strict';
  var list = document.getElementById('recovery-codes');
  var text = document.getElementById('recovery-codes-text');
  var actions = document.querySelector('[data-code-actions]');
  if (!list || !text || !actions) return;
  var status = actions.querySelector('[data-codes-status]');
  actions.hidden = false;

  function say(message) {
    if (status) status.textContent = message;
  }

  actions.querySelector('[data-codes-copy]').addEventListener('click', function () {
    if (!navigator.clipboard) return say('Copying is not available here: select the codes and copy them by hand.');
    navigator.clipboard.writeText(text.value).then(
      function () {
        say('Copied. Paste them somewhere safe.');
      },
      function () {
        say('Copying did not work: select the codes and copy them by hand.');
      }
    );
  });

  actions.querySelector('[data-codes-download]').addEventListener('click', function () {
    var url = URL.createObjectURL(new Blob([text.value], { type: 'text/plain;charset=utf-8' }));
    var link = document.createElement('a');
    link.href = url;
    link.download = list.dataset.filename || 'recovery-codes.txt';
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(function () {
      URL.revokeObjectURL(url);
    }, 1000);
    say('Downloaded.');
  });

  actions.querySelector('[data-codes-print]').addEventListener('click', function () {
    window.print();
  });
})();
