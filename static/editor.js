// The writer's editor: Quill plus autosave that never loses a word.
//
// - Every change is copied to localStorage at once, so a closed tab, a crash, a lost
//   connection or an expired session cannot lose text.
// - It is sent to the server two seconds after typing stops, and when the tab is hidden or
//   closed (fetch with keepalive). Each save names the revision it was based on; if the post
//   changed elsewhere the server refuses with 409 and the writer chooses: nothing is
//   overwritten silently.
// - The local copy is dropped only once the server has acknowledged exactly that text.
(function () {
  'use strict';
  var form = document.getElementById('post-form');
  var container = document.getElementById('editor');
  if (!form || !container || typeof Quill === 'undefined') return;

  var postId = form.dataset.postId;
  var storageKey = 'quire:post:' + postId;
  var statusEl = document.getElementById('save-status');
  var conflictEl = document.getElementById('conflict');
  var conflictText = document.getElementById('conflict-text');
  var wordCountEl = document.getElementById('word-count');
  var titleInput = document.getElementById('title');
  var slugInput = document.getElementById('slug');
  var excerptInput = document.getElementById('excerpt');
  var tagsInput = document.getElementById('tags');
  var significantInput = document.getElementById('significant');

  var SAVE_DELAY = 2000;
  var RETRY_DELAY = 5000;

  var quill = new Quill(container, {
    theme: 'snow',
    placeholder: 'Start writing…',
    modules: {
      toolbar: [
        [{ header: [2, 3, false] }],
        ['bold', 'italic', 'link'],
        ['blockquote', 'code-block'],
        [{ list: 'ordered' }, { list: 'bullet' }],
        ['clean'],
      ],
    },
  });
  // Quill's toolbar buttons have no names of their own; give them ones a screen reader can say.
  var labels = {
    'ql-bold': 'Bold', 'ql-italic': 'Italic', 'ql-link': 'Link', 'ql-blockquote': 'Quote',
    'ql-code-block': 'Code block', 'ql-clean': 'Remove formatting',
  };
  document.querySelectorAll('.ql-toolbar button').forEach(function (button) {
    var name = labels[button.classList[0]];
    if (button.classList.contains('ql-list')) name = button.value === 'ordered' ? 'Numbered list' : 'Bulleted list';
    if (name) button.setAttribute('aria-label', name);
  });
  var headerPicker = document.querySelector('.ql-toolbar .ql-header .ql-picker-label');
  if (headerPicker) headerPicker.setAttribute('aria-label', 'Heading');
  quill.root.setAttribute('aria-label', 'Post text');
  quill.root.setAttribute('role', 'textbox');
  quill.root.setAttribute('aria-multiline', 'true');

  var state = {
    baseRevision: Number(form.dataset.revision),
    status: form.dataset.status,
    slugAuto: form.dataset.slugAuto === 'true',
    /** Bumped on every edit; the server has acknowledged everything up to savedVersion. */
    version: 0,
    savedVersion: 0,
    inFlight: null,
    timer: null,
    retryTimer: null,
    conflict: null,
    signedOut: false,
  };

  function content() {
    return {
      title: titleInput.value,
      slug: slugInput ? slugInput.value : '',
      excerpt: excerptInput ? excerptInput.value : '',
      tags: tagsInput ? tagsInput.value : '',
      // Quill 2.0.3's semantic HTML writes every space as &nbsp;, which would stop lines wrapping
      // on phones; inside <pre> a plain space keeps its width anyway.
      html: quill.getSemanticHTML().replace(/&nbsp;/g, ' '),
    };
  }

  function time(ms) {
    return new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  }

  function say(text, kind) {
    statusEl.textContent = text;
    statusEl.dataset.kind = kind || '';
  }

  function countWords() {
    var text = quill.getText().trim();
    var n = text ? text.split(/\s+/).length : 0;
    wordCountEl.textContent = n.toLocaleString() + (n === 1 ? ' word' : ' words');
  }

  // ── The copy on this device ──────────────────────────────────────────────
  function keepLocally() {
    try {
      var copy = content();
      copy.baseRevision = state.baseRevision;
      copy.keptAt = Date.now();
      localStorage.setItem(storageKey, JSON.stringify(copy));
    } catch {
      /* Storage full or disabled: the server copy is all we have; keep trying to save. */
    }
  }

  function readLocal() {
    try {
      return JSON.parse(localStorage.getItem(storageKey) || 'null');
    } catch {
      return null;
    }
  }

  function forgetLocal() {
    try {
      localStorage.removeItem(storageKey);
    } catch {
      /* nothing to do */
    }
  }

  function applyContent(c) {
    titleInput.value = c.title || '';
    if (slugInput) slugInput.value = c.slug || '';
    if (excerptInput) excerptInput.value = c.excerpt || '';
    if (tagsInput) tagsInput.value = Array.isArray(c.tags) ? c.tags.join(', ') : c.tags || '';
    quill.setContents([], 'silent');
    quill.clipboard.dangerouslyPasteHTML(0, c.html || '', 'silent');
    countWords();
  }

  // ── Saving ───────────────────────────────────────────────────────────────
  function changed() {
    state.version++;
    keepLocally();
    countWords();
    if (state.conflict) return;
    say(state.signedOut ? 'Signed out — kept on this device' : 'Unsaved changes', state.signedOut ? 'warn' : '');
    clearTimeout(state.timer);
    state.timer = setTimeout(save, SAVE_DELAY);
  }

  function scheduleRetry() {
    clearTimeout(state.retryTimer);
    state.retryTimer = setTimeout(save, RETRY_DELAY);
  }

  function save(options) {
    options = options || {};
    clearTimeout(state.timer);
    if (state.conflict) return Promise.resolve(false);
    if (state.version === state.savedVersion && !options.force) return Promise.resolve(true);
    if (state.inFlight) {
      // One save at a time: the next one starts when this one ends, with the newest text.
      return state.inFlight.then(function () {
        return save(options);
      });
    }
    var version = state.version;
    var body = content();
    body.baseRevision = state.baseRevision;
    body.significant = significantInput ? significantInput.checked : false;
    if (!options.keepalive) say('Saving…');
    state.inFlight = fetch('/api/posts/' + postId, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      credentials: 'same-origin',
      keepalive: !!options.keepalive,
    })
      .then(function (response) {
        if (response.status === 401) {
          state.signedOut = true;
          say('Signed out — your text is kept on this device. Sign in again in another tab and it will be saved.', 'warn');
          scheduleRetry();
          return false;
        }
        return response.json().then(function (data) {
          if (response.ok && data.ok) {
            state.signedOut = false;
            state.baseRevision = data.post.revision;
            state.savedVersion = version;
            if (significantInput) significantInput.checked = false;
            if (slugInput && document.activeElement !== slugInput && data.post.slug !== slugInput.value) slugInput.value = data.post.slug;
            if (state.version === version) forgetLocal();
            else keepLocally();
            say('Saved ' + time(data.post.updatedAt), 'ok');
            return true;
          }
          if (response.status === 409 && data.current) {
            showConflict(data.current);
            return false;
          }
          say((data && data.message) || 'Could not save. Your text is kept on this device; trying again.', 'warn');
          if (response.status >= 500 || response.status === 429) scheduleRetry();
          return false;
        });
      })
      .catch(function () {
        say('Offline — kept on this device', 'warn');
        scheduleRetry();
        return false;
      })
      .finally(function () {
        state.inFlight = null;
      });
    return state.inFlight;
  }

  // ── Conflicts ────────────────────────────────────────────────────────────
  function showConflict(current) {
    state.conflict = current;
    keepLocally();
    conflictText.textContent =
      'This post was changed somewhere else (another tab or device) at ' +
      time(current.updatedAt) +
      '. Your text is kept here and on this device. Choose which version to keep: the other one stays in the history.';
    conflictEl.hidden = false;
    say('Not saved: the post changed elsewhere', 'warn');
  }

  document.getElementById('conflict-theirs').addEventListener('click', function () {
    var current = state.conflict;
    if (!current) return;
    state.conflict = null;
    conflictEl.hidden = true;
    state.baseRevision = current.revision;
    applyContent(current);
    state.savedVersion = state.version;
    forgetLocal();
    say('Loaded the other version, saved ' + time(current.updatedAt), 'ok');
  });

  document.getElementById('conflict-mine').addEventListener('click', function () {
    var current = state.conflict;
    if (!current) return;
    // A deliberate choice: base the save on the version we now know about.
    state.conflict = null;
    conflictEl.hidden = true;
    state.baseRevision = current.revision;
    save({ force: true });
  });

  // ── Wiring ───────────────────────────────────────────────────────────────
  quill.on('text-change', function (_delta, _old, source) {
    if (source !== 'silent') changed();
  });
  [titleInput, slugInput, excerptInput, tagsInput].forEach(function (input) {
    if (input) input.addEventListener('input', changed);
  });
  if (slugInput) {
    slugInput.addEventListener('input', function () {
      state.slugAuto = false;
    });
  }
  titleInput.addEventListener('input', function () {
    // Drafts take their address from the title until the writer edits the address themselves.
    if (state.slugAuto && slugInput) {
      slugInput.value = titleInput.value
        .normalize('NFKD')
        .replace(/[\u0300-\u036f]/g, '')
        .toLowerCase()
        .replace(/[^\p{L}\p{N}]+/gu, '-')
        .replace(/^-+|-+$/g, '')
        .slice(0, 80);
    }
  });

  document.addEventListener('visibilitychange', function () {
    if (document.visibilityState === 'hidden') save({ keepalive: true });
  });
  window.addEventListener('pagehide', function () {
    save({ keepalive: true });
  });
  window.addEventListener('online', function () {
    save();
  });
  // Leaving with text the server has not acknowledged: ask, though it is kept on this device anyway.
  window.addEventListener('beforeunload', function (event) {
    if (state.version !== state.savedVersion) {
      save({ keepalive: true });
      event.preventDefault();
    }
  });

  // Publish, schedule, unpublish: save the latest text first, so what goes live is what is on screen.
  document.querySelectorAll('form[data-save-first]').forEach(function (actionForm) {
    actionForm.addEventListener('submit', function (event) {
      var offset = actionForm.querySelector('[data-tz-offset]');
      if (offset) offset.value = String(new Date().getTimezoneOffset());
      if (state.version === state.savedVersion) return;
      event.preventDefault();
      save().then(function (ok) {
        if (ok) {
          state.savedVersion = state.version;
          actionForm.submit();
        } else {
          say('Not published: your latest text is not saved yet. It is kept on this device; try again in a moment.', 'warn');
        }
      });
    });
  });

  // ── Coming back: a copy on this device the server never got ────────────
  var local = readLocal();
  var server = content();
  if (local) {
    var differs = ['title', 'slug', 'excerpt', 'html'].some(function (k) {
      return (local[k] || '') !== (server[k] || '');
    }) || (local.tags || '') !== (server.tags || '');
    if (!differs) {
      forgetLocal();
    } else if (local.baseRevision === state.baseRevision) {
      // The server has not moved since: the local text is simply newer. Put it back and save it.
      applyContent(local);
      changed();
      say('Restored unsaved text from this device — saving…', 'warn');
    } else {
      // Both moved: show the local text and let the writer choose.
      var current = Object.assign({}, server, { revision: state.baseRevision, updatedAt: Date.now() });
      applyContent(local);
      state.version++;
      showConflict(current);
    }
  }
  countWords();
})();
