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

  // Quill's image keeps alt, width and height, but drops an empty alt (a picture marked as
  // decoration). Keep it: alt="" tells screen readers to skip the picture, no alt makes them
  // read out its file name.
  var BaseImage = Quill.import('formats/image');
  class QuireImage extends BaseImage {
    format(name, value) {
      if (name !== 'alt' && name !== 'width' && name !== 'height') return super.format(name, value);
      if (value === null || value === undefined || value === false) this.domNode.removeAttribute(name);
      else this.domNode.setAttribute(name, String(value));
    }
  }
  Quill.register(QuireImage, true);

  var quill = new Quill(container, {
    theme: 'snow',
    placeholder: 'Start writing…',
    modules: {
      toolbar: {
        container: [
          [{ header: [2, 3, false] }],
          ['bold', 'italic', 'link'],
          ['blockquote', 'code-block'],
          [{ list: 'ordered' }, { list: 'bullet' }],
          ['image'],
          ['clean'],
        ],
        // Never Quill's own image button, which embeds the picture in the text as a data: URL.
        handlers: {
          image: function () {
            chooseImages();
          },
        },
      },
    },
  });
  // Quill's toolbar buttons have no names of their own; give them ones a screen reader can say.
  var labels = {
    'ql-bold': 'Bold', 'ql-italic': 'Italic', 'ql-link': 'Link', 'ql-blockquote': 'Quote',
    'ql-code-block': 'Code block', 'ql-image': 'Add a picture', 'ql-clean': 'Remove formatting',
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

  // ── Pictures ─────────────────────────────────────────────────────────────
  // Pasted, dropped or chosen pictures are uploaded to /api/media and put in the text as a
  // normal <img> with the file's URL, never as a data: URL inside the post. Quire's server
  // judges the file (type by its bytes, size, damage) and says plainly what is wrong.
  var MAX_UPLOAD = 15 * 1024 * 1024;
  var Delta = Quill.import('delta');
  var fileInput = document.getElementById('image-input');
  var uploadsEl = document.getElementById('uploads');
  var uploadErrorEl = document.getElementById('upload-error');
  var uploadErrorText = document.getElementById('upload-error-text');
  var altDialog = document.getElementById('alt-dialog');
  var altInput = document.getElementById('alt-text');
  var altPreview = document.getElementById('alt-preview');
  /** Uploads under way, each with the place in the text its picture goes, kept up to date as the writer types. */
  var pending = [];
  /** Pictures waiting for their description, asked one at a time. */
  var altQueue = [];
  var altCurrent = null;
  var uploadChain = Promise.resolve();

  function showUploadError(message) {
    uploadErrorText.textContent = message;
    uploadErrorEl.hidden = false;
  }

  document.getElementById('upload-error-close').addEventListener('click', function () {
    uploadErrorEl.hidden = true;
    quill.focus();
  });

  function chooseImages() {
    fileInput.value = '';
    fileInput.click();
  }

  fileInput.addEventListener('change', function () {
    var range = quill.getSelection(true) || { index: quill.getLength() - 1, length: 0 };
    uploadFiles(range, Array.from(fileInput.files || []));
  });

  // Paste (a copied picture or a screenshot) and drop both arrive here (Quill's clipboard and
  // uploader modules call it); replacing it is what keeps Quill from embedding data: URLs.
  quill.uploader.upload = function (range, files) {
    uploadFiles(range, Array.from(files));
  };

  function uploadFiles(range, files) {
    if (files.length === 0) return;
    if (range.length > 0) quill.deleteText(range.index, range.length, 'user');
    uploadErrorEl.hidden = true;
    files.forEach(function (file) {
      uploadFile(file, range.index);
    });
  }

  function sizeText(bytes) {
    return bytes >= 1024 * 1024 ? (bytes / 1024 / 1024).toFixed(1) + ' MB' : Math.max(1, Math.round(bytes / 1024)) + ' KB';
  }

  function uploadFile(file, index) {
    var name = file.name || 'pasted picture';
    if (file.size > MAX_UPLOAD) {
      showUploadError('“' + name + '” is ' + sizeText(file.size) + '; Quire takes pictures up to 15 MB. Make it smaller (most photo apps can export a smaller size) and add it again.');
      return;
    }
    var job = { index: index };
    pending.push(job);
    var row = document.createElement('p');
    row.className = 'upload';
    var label = document.createElement('span');
    label.textContent = 'Waiting to upload ' + name + ' (' + sizeText(file.size) + ')…';
    var bar = document.createElement('progress');
    bar.max = 1;
    bar.value = 0;
    bar.setAttribute('aria-label', 'Uploading ' + name);
    row.appendChild(label);
    row.appendChild(bar);
    uploadsEl.appendChild(row);

    // One upload at a time: ten photos dropped at once arrive one after another, each with its own bar.
    uploadChain = uploadChain.then(function () {
      return new Promise(function (resolve) {
        label.textContent = 'Uploading ' + name + ' (' + sizeText(file.size) + ')…';
        var progress = function (fraction) {
          bar.value = fraction;
          // Sent: the server is now making the web sizes, which takes a moment for a big photo.
          if (fraction >= 1) label.textContent = 'Preparing ' + name + '…';
        };
        send(file, name, job, progress, function () {
          pending.splice(pending.indexOf(job), 1);
          row.remove();
          resolve();
        });
      });
    });
  }

  function send(file, name, job, progress, done) {
    var xhr = new window.XMLHttpRequest();
    xhr.open('POST', '/api/media');
    xhr.setRequestHeader('content-type', 'application/octet-stream');
    xhr.responseType = 'json';
    xhr.upload.addEventListener('progress', function (event) {
      if (event.lengthComputable) progress(event.loaded / event.total);
    });
    xhr.addEventListener('load', function () {
      done();
      var body = xhr.response || {};
      if (xhr.status === 201 && body.url) {
        insertImage(job.index, body);
      } else if (xhr.status === 401) {
        showUploadError('You are signed out, so “' + name + '” was not added. Sign in again in another tab, then add the picture again. Your text is kept.');
      } else {
        showUploadError('“' + name + '” was not added. ' + (body.message || 'Quire could not take it (error ' + xhr.status + '). Try again.'));
      }
    });
    xhr.addEventListener('error', function () {
      done();
      showUploadError('“' + name + '” was not added: the connection failed. Your text is kept; add the picture again when you are back online.');
    });
    xhr.send(file);
  }

  // While pictures upload, or wait for a description, the writer may keep typing: move their
  // places along with the text.
  quill.on('text-change', function (delta) {
    pending.concat(altQueue, altCurrent ? [altCurrent] : []).forEach(function (item) {
      item.index = delta.transformPosition(item.index);
    });
  });

  function insertImage(index, image) {
    var at = Math.min(index, quill.getLength() - 1);
    var attributes = { width: String(image.width), height: String(image.height) };
    quill.updateContents(new Delta().retain(at).insert({ image: image.url }, attributes), 'user');
    quill.setSelection(at + 1, 'silent');
    askAlt(image.url, undefined, at);
  }

  /** Whether the picture at `index` is still the one with this URL (it may have been deleted meanwhile). */
  function isImageAt(index, url) {
    var op = quill.getContents(index, 1).ops[0];
    return !!(op && op.insert && op.insert.image === url);
  }

  function askAlt(url, current, index) {
    altQueue.push({ url: url, current: current, index: index });
    if (!altCurrent) nextAlt();
  }

  function nextAlt() {
    altCurrent = altQueue.shift() || null;
    if (!altCurrent) return;
    altPreview.src = altCurrent.url;
    altInput.value = altCurrent.current || '';
    altDialog.returnValue = '';
    altDialog.showModal();
    altInput.focus();
  }

  altDialog.addEventListener('close', function () {
    var item = altCurrent;
    if (!item) return;
    // Escape keeps what was there; "No description" marks the picture as decoration (alt="").
    var alt = altDialog.returnValue === 'save' ? altInput.value.replace(/\s+/g, ' ').trim() : altDialog.returnValue === 'skip' ? '' : item.current;
    if (isImageAt(item.index, item.url)) {
      if (alt !== undefined) quill.formatText(item.index, 1, { alt: alt }, 'user');
      quill.setSelection(item.index + 1, 'silent');
    }
    nextAlt();
  });

  // Change a picture's description later: double-click it.
  quill.root.addEventListener('dblclick', function (event) {
    var target = event.target;
    if (!target || target.tagName !== 'IMG') return;
    var blot = Quill.find(target);
    if (!blot) return;
    askAlt(target.getAttribute('src'), target.getAttribute('alt') || '', quill.getIndex(blot));
  });

  // Pasted HTML (from a web page or a word processor): pictures inside it are either our own,
  // embedded (data:), which are uploaded like a pasted file, or another site's, which Quire
  // does not show (they would leak readers to that site, and can vanish); say so.
  quill.clipboard.addMatcher('IMG', function (node, delta) {
    var src = node.getAttribute('src') || '';
    if (/^\/media\//.test(src) || src.indexOf(location.origin + '/media/') === 0) return delta;
    if (/^data:image\//i.test(src)) {
      var file = dataUrlToFile(src);
      if (file) {
        setTimeout(function () {
          var range = quill.getSelection(true) || { index: quill.getLength() - 1, length: 0 };
          uploadFiles({ index: range.index, length: 0 }, [file]);
        }, 0);
      }
    } else {
      showUploadError('A picture from another site was left out of what you pasted. Save it to your device, then add it with the picture button.');
    }
    return new Delta();
  });

  function dataUrlToFile(url) {
    var match = /^data:([^;,]+)(;[^,]*)?,(.*)$/s.exec(url);
    if (!match || !/;base64/i.test(match[2] || '')) return null;
    try {
      var binary = window.atob(match[3]);
      var bytes = new Uint8Array(binary.length);
      for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
      return new window.File([bytes], 'pasted picture', { type: match[1] });
    } catch {
      return null;
    }
  }

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
