// tour.js: the page of `luasync tour` (learn/tour.h). Everything it shows
// comes from the luasync process that served it: the lessons as HTML, the
// workspace's exercise files, and the answers of Run and Check, which arrive
// as a stream of JSON lines (output as it is printed, the timeline of each
// asyncio.run, then the result).
(function () {
  'use strict';

  const TOKEN = document.querySelector('meta[name="luasync-token"]').content;
  const main = document.getElementById('main');
  const nav = document.getElementById('nav');
  const progressBox = document.getElementById('progress');
  let catalog = null;
  const lessonCache = new Map();
  // Round trips measured here (the browser test reads them).
  window.luasyncTour = { timings: [] };

  // ---------------------------------------------------------------- helpers

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = v;
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v);
    }
    for (const c of children) if (c != null) e.append(c);
    return e;
  }

  async function api(method, path, body) {
    const res = await fetch(path, {
      method,
      headers: { 'X-Luasync-Token': TOKEN, 'Content-Type': 'text/plain; charset=utf-8' },
      body,
    });
    if (!res.ok) throw new Error((await res.text()).trim() || res.statusText);
    return res.json();
  }

  // POSTs body and calls onMessage for each JSON line of the answer as it arrives.
  async function stream(path, body, onMessage) {
    const res = await fetch(path, {
      method: 'POST',
      headers: { 'X-Luasync-Token': TOKEN, 'Content-Type': 'text/plain; charset=utf-8' },
      body,
    });
    if (!res.ok) throw new Error((await res.text()).trim() || res.statusText);
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buf = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += decoder.decode(value, { stream: true });
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line) onMessage(JSON.parse(line));
      }
    }
  }

  function highlight(codeEl) {
    const text = codeEl.textContent;
    codeEl.textContent = '';
    codeEl.classList.add('cm-s-default');
    CodeMirror.runMode(text, 'lua', codeEl);
  }

  // Editors made before their box is in the page are measured again once it is.
  let editors = [];

  function editor(parent, text, onChange) {
    const cm = CodeMirror(parent, {
      value: text, mode: 'lua', lineNumbers: true, indentUnit: 2, tabSize: 2,
      matchBrackets: true, viewportMargin: Infinity,
      extraKeys: { Tab: (c) => c.replaceSelection('  ') },
    });
    if (onChange) cm.on('change', onChange);
    editors.push(cm);
    if (parent.isConnected) cm.refresh();
    return cm;
  }

  // ---------------------------------------------------------------- progress

  function showProgress(p) {
    if (!p) { progressBox.textContent = ''; return; }
    if (catalog) catalog.progress = p;
    const pct = p.total ? Math.round((100 * p.done_count) / p.total) : 0;
    progressBox.replaceChildren(
      el('span', { text: p.done_count + ' of ' + p.total + ' exercises done', 'data-done': p.done_count }),
      el('div', { class: 'bar', title: pct + '%' }, el('div', { style: 'width:' + pct + '%' })));
    drawNav();
  }

  function isDone(name) { return catalog && catalog.progress && catalog.progress.done.includes(name); }

  function drawNav(here) {
    if (!catalog) return;
    if (here) nav.dataset.here = here;
    here = nav.dataset.here;
    nav.replaceChildren(...catalog.lessons.map((l) => {
      const done = l.exercises.filter((e) => isDone(e.name)).length;
      const count = l.exercises.length
        ? el('span', { class: 'count' + (done === l.exercises.length ? ' all' : ''), text: done + '/' + l.exercises.length })
        : null;
      return el('a', { href: '#/lesson/' + l.dir, class: l.dir === here ? 'here' : '', 'data-lesson': l.dir },
        count, l.number + '. ' + l.title);
    }));
  }

  // ---------------------------------------------------------------- runs

  // The panes under an editor: output, run summary, check result, timelines.
  function panes(box) {
    const p = {
      output: el('pre', { class: 'output', 'aria-label': 'output' }),
      summary: el('div', { class: 'summary' }),
      result: el('div', { class: 'result-box' }),
      timelines: el('div', { class: 'timelines' }),
    };
    box.append(p.output, p.summary, p.result, p.timelines);
    return p;
  }

  function showTimeline(p, msg) {
    const section = el('section', { class: 'lt-section' });
    section.innerHTML = msg.svg;
    const data = el('script', { type: 'application/json', class: 'lt-snapshots' });
    data.textContent = JSON.stringify(msg.snapshots || []);
    section.append(data);
    p.timelines.append(section);
    window.LuasyncTimeline.attach(section);
  }

  function showRun(p, r) {
    const parts = [];
    if (r.problem) {
      p.summary.replaceChildren(el('div', { class: 'err', text: r.problem }));
      return;
    }
    if (r.error) {
      parts.push(el('div', { class: 'err', text: r.error }));
      if (r.line > 0) parts.push(el('div', { class: 'where', text: 'at ' + r.file + ':' + r.line }));
    }
    if (r.warnings) parts.push(el('div', { class: 'warnings', text: r.warnings }));
    if (r.time !== '') {
      const tasks = +r.tasks;
      let s = (r.error ? 'stopped' : 'finished') + ' at ' + r.time + ' virtual seconds, ' + tasks +
        (tasks === 1 ? ' task' : ' tasks') + ' created';
      if (r.values) s += '; returned ' + r.values;
      parts.push(el('div', { text: '-- ' + s }));
    }
    p.summary.replaceChildren(...parts);
  }

  function showCheck(p, r, name) {
    const box = el('div', { class: 'result ' + (r.passed ? 'pass' : 'fail'), 'data-passed': String(r.passed) });
    if (r.problem) {
      box.append(el('div', { class: 'head', text: '\u2717 ' + r.exercise + ': ' + r.problem }));
    } else {
      box.append(el('div', {
        class: 'head',
        text: r.passed ? '\u2713 ' + r.exercise + ': all ' + r.total + (r.total === 1 ? ' check passes' : ' checks pass')
          : '\u2717 ' + r.exercise + ': ' + r.failed + ' of ' + r.total + ' checks failed (' + r.file + ')',
      }));
      const ul = el('ul');
      for (const c of r.checks) {
        const cls = c.status === 'pass' ? 'pass' : c.status === 'fail' ? 'fail' : 'notrun';
        const li = el('li', { class: cls, 'data-check': c.name },
          el('span', { class: 'mark', text: cls === 'pass' ? '\u2713' : cls === 'fail' ? '\u2717' : '\u00b7' }),
          cls === 'notrun' ? c.name + ' (not run)' : c.name);
        if (cls === 'fail') {
          li.append(el('div', { class: 'message', text: c.message }));
          if (c.line > 0) li.append(el('div', { class: 'where', text: 'at ' + r.file + ':' + c.line }));
        }
        ul.append(li);
      }
      box.append(ul);
      if (!r.passed) box.append(el('div', { class: 'stuck', text: 'Stuck? The Hint button gives a hint.' }));
    }
    p.result.replaceChildren(box);
    if (r.progress) showProgress(r.progress);
    const card = document.querySelector('.exercise[data-exercise="' + name + '"]');
    if (card) card.classList.toggle('done', isDone(name));
  }

  // Runs or checks: streams the answer into the panes.
  async function go(kind, path, source, p, buttons, name) {
    for (const b of buttons) b.disabled = true;
    p.output.textContent = '';
    p.summary.textContent = kind === 'check' ? 'checking\u2026' : 'running\u2026';
    p.result.textContent = '';
    p.timelines.textContent = '';
    const box = p.output.parentNode;
    box.dataset.state = 'running';
    const t0 = performance.now();
    let backendMs = null;
    let childSeconds = null;
    try {
      await stream(path, source, (msg) => {
        if (msg.type === 'output') {
          p.output.textContent += msg.text;
          p.output.scrollTop = p.output.scrollHeight;
        } else if (msg.type === 'timeline') {
          showTimeline(p, msg);
        } else if (msg.type === 'run') {
          childSeconds = msg.result.seconds;
          showRun(p, msg.result);
        } else if (msg.type === 'check') {
          p.summary.textContent = '';
          childSeconds = msg.result.seconds;
          showCheck(p, msg.result, name);
        } else if (msg.type === 'error') {
          p.summary.replaceChildren(el('div', { class: 'err', text: msg.message }));
        } else if (msg.type === 'end') {
          backendMs = msg.ms;
        }
      });
    } catch (e) {
      p.summary.replaceChildren(el('div', { class: 'err', text: String(e.message || e) }));
    }
    const ms = performance.now() - t0;
    window.luasyncTour.timings.push({ kind, path, ms, backendMs, sandboxMs: childSeconds === null ? null : childSeconds * 1000 });
    box.dataset.state = 'done';
    box.dataset.ms = ms.toFixed(1);
    for (const b of buttons) b.disabled = false;
  }

  // ---------------------------------------------------------------- examples

  function exampleWidget(lesson, name, code) {
    const box = el('div', { class: 'runnable', 'data-example': name });
    const cm = editor(box, code);
    const run = el('button', { class: 'primary', text: '\u25b6 Run', title: 'Run it (Ctrl-Enter)' });
    const restore = el('button', { text: 'Restore', title: 'The example as the lesson has it' });
    box.append(el('div', { class: 'toolbar' }, run, restore,
      el('span', { class: 'status', text: 'examples/' + name + '.lua \u2014 edit it and run it again' })));
    const p = panes(box);
    const doRun = () => go('run', '/api/example/' + encodeURIComponent(lesson) + '/' + encodeURIComponent(name),
      cm.getValue(), p, [run], name);
    run.addEventListener('click', doRun);
    restore.addEventListener('click', () => cm.setValue(code));
    cm.setOption('extraKeys', { 'Ctrl-Enter': doRun, Tab: (c) => c.replaceSelection('  ') });
    return box;
  }

  // ---------------------------------------------------------------- exercises

  function exerciseCard(summary) {
    const name = summary.name;
    const card = el('section', { class: 'exercise' + (isDone(name) ? ' done' : ''), 'data-exercise': name, id: 'exercise-' + name });
    const saved = el('span', { class: 'saved' });
    card.append(el('h3', { text: 'Exercise: ' + summary.title }),
      el('div', { class: 'path' }, summary.path, saved));
    const holder = el('div', { class: 'editor' }, el('p', { class: 'loading', text: 'Loading your file\u2026' }));
    card.append(holder);
    const run = el('button', { class: 'primary', text: '\u25b6 Run', title: 'Run it (Ctrl-Enter)' });
    const check = el('button', { class: 'check', text: '\u2713 Check', title: 'Check it (Ctrl-Shift-Enter)' });
    const hint = el('button', { text: 'Hint' });
    const reset = el('button', { text: 'Start over' });
    card.append(el('div', { class: 'toolbar' }, run, check, hint, reset));
    const hints = el('div', { class: 'hints' });
    card.append(hints);
    const p = panes(card);
    let cm = null;
    let saveTimer = null;
    let lastSaved = null;

    function drawHints(ex, text) {
      hints.replaceChildren();
      if (!ex.hints_seen.length) return;
      const ol = el('ol');
      ex.hints_seen.forEach((h) => ol.append(el('li', { text: h })));
      hints.append(el('div', { class: 'label', text: 'Hints (' + ex.hints_seen.length + ' of ' + ex.hints_total + ')' }), ol);
      if (text && ex.hints_seen.length >= ex.hints_total) hints.append(el('div', { class: 'note', text: 'That was the last hint. The lesson text may help too.' }));
    }

    async function save() {
      clearTimeout(saveTimer);
      saveTimer = null;
      const text = cm.getValue();
      if (text === lastSaved) return;
      saved.textContent = 'saving\u2026';
      try {
        await api('PUT', '/api/exercise/' + encodeURIComponent(name), text);
        lastSaved = text;
        saved.textContent = 'saved';
      } catch (e) {
        saved.textContent = 'not saved: ' + e.message;
      }
    }

    api('GET', '/api/exercise/' + encodeURIComponent(name)).then((ex) => {
      holder.replaceChildren();
      if (ex.problem) holder.append(el('p', { class: 'error', text: ex.problem }));
      lastSaved = ex.problem ? null : ex.source;
      cm = editor(holder, ex.source, () => {
        saved.textContent = 'edited';
        clearTimeout(saveTimer);
        saveTimer = setTimeout(save, 600);
      });
      drawHints(ex);
      const doRun = () => go('run', '/api/run/' + encodeURIComponent(name), cm.getValue(), p, [run, check], name)
        .then(() => { lastSaved = cm.getValue(); saved.textContent = 'saved'; });
      const doCheck = () => go('check', '/api/check/' + encodeURIComponent(name), cm.getValue(), p, [run, check], name)
        .then(() => { lastSaved = cm.getValue(); saved.textContent = 'saved'; });
      run.onclick = () => { clearTimeout(saveTimer); doRun(); };
      check.onclick = () => { clearTimeout(saveTimer); doCheck(); };
      cm.setOption('extraKeys', {
        'Ctrl-Enter': () => run.click(), 'Shift-Ctrl-Enter': () => check.click(), Tab: (c) => c.replaceSelection('  '),
      });
      hint.onclick = async () => {
        const r = await api('POST', '/api/hint/' + encodeURIComponent(name));
        drawHints(r.exercise, r.text);
      };
      reset.onclick = async () => {
        if (!confirm('Start ' + name + ' over from its starter file? Your version is kept in .luasync-backup/.')) return;
        const r = await api('POST', '/api/reset/' + encodeURIComponent(name));
        lastSaved = r.exercise.source;
        cm.setValue(r.exercise.source);
        saved.textContent = r.backup ? 'started over; your version is in ' + r.backup : 'started over';
        p.result.textContent = '';
        refreshCatalog();
      };
      card.dataset.ready = '1';
    }).catch((e) => holder.replaceChildren(el('p', { class: 'error', text: e.message })));
    return card;
  }

  // ---------------------------------------------------------------- pages

  async function refreshCatalog() {
    catalog = await api('GET', '/api/catalog');
    showProgress(catalog.progress);
  }

  async function lesson(dir) {
    let l = lessonCache.get(dir);
    if (!l) {
      l = await api('GET', '/api/lesson/' + encodeURIComponent(dir));
      lessonCache.set(dir, l);
    }
    return l;
  }

  async function showLesson(dir, focus) {
    let l;
    try {
      l = await lesson(dir);
    } catch (e) {
      main.replaceChildren(el('p', { class: 'error', text: 'There is no lesson ' + dir + '.' }));
      return;
    }
    drawNav(l.dir);
    const text = el('article', { class: 'lesson-text', 'data-lesson': l.dir });
    text.innerHTML = l.html;
    for (const code of text.querySelectorAll('pre > code')) {
      const m = /language-luasync-example-(\S+)/.exec(code.className);
      if (m) {
        code.parentNode.replaceWith(exampleWidget(l.dir, m[1], code.textContent.replace(/\n$/, '')));
      } else if (/language-lua\b/.test(code.className)) {
        highlight(code);
      }
    }
    const parts = [text];
    if (l.exercises.length) {
      parts.push(el('h2', { class: 'exercises-title', text: 'Exercises' }));
      parts.push(el('p', { class: 'note', text: 'Your edits are saved to the workspace as you type; `luasync learn` in a terminal sees them too.' }));
      for (const x of l.exercises) parts.push(exerciseCard(x));
    }
    const navLinks = el('div', { class: 'lesson-nav' },
      l.previous ? el('a', { href: '#/lesson/' + l.previous, text: '\u2190 previous lesson' }) : el('span'),
      l.next ? el('a', { href: '#/lesson/' + l.next, text: 'next lesson \u2192' }) : el('span'));
    parts.push(navLinks);
    main.replaceChildren(...parts);
    for (const cm of editors) cm.refresh();
    editors = editors.filter((cm) => cm.getWrapperElement().isConnected);
    document.title = l.title + ' \u2014 luasync tour';
    if (focus) {
      const target = document.getElementById('exercise-' + focus);
      if (target) target.scrollIntoView();
    } else {
      window.scrollTo(0, 0);
    }
    main.dataset.lesson = l.dir;
  }

  async function route() {
    const hash = location.hash || '#/';
    let m;
    if ((m = /^#\/lesson\/([^/]+)$/.exec(hash))) return showLesson(decodeURIComponent(m[1]));
    if ((m = /^#\/exercise\/([^/]+)$/.exec(hash))) {
      const name = decodeURIComponent(m[1]);
      const l = catalog.lessons.find((x) => x.exercises.some((e) => e.name === name));
      if (l) return showLesson(l.dir, name);
    }
    // The lesson of the current exercise, else the first one.
    const cur = catalog.progress && catalog.progress.current;
    const l = catalog.lessons.find((x) => x.exercises.some((e) => e.name === cur)) || catalog.lessons[0];
    if (l) return showLesson(l.dir);
    main.replaceChildren(el('p', { text: 'There are no lessons.' }));
  }

  window.addEventListener('hashchange', route);
  refreshCatalog().then(route).catch((e) => {
    main.replaceChildren(el('p', { class: 'error', text: 'Cannot load the lessons: ' + e.message }));
  });
})();
