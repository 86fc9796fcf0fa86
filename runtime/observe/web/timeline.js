// timeline.js: makes luasync timeline charts interactive. A chart lives in
// an element of class "lt-section" holding the <svg class="lt-chart"> that
// runtime/observe/timeline_svg.cpp draws and a <script type="application/json"
// class="lt-snapshots"> with the call-graph snapshots its bars point at
// (data-snap). Hovering a bar shows what the task was doing then (the bar's
// <title>, moved into a tooltip); clicking it shows the task's call graph at
// that moment in a panel under the chart.
//
// luasync --timeline=html pages attach every section on load; `luasync
// tour` calls LuasyncTimeline.attach(section) for each chart it receives.
(function (global) {
  'use strict';

  let tip = null;
  function tooltip() {
    if (!tip) {
      tip = document.createElement('div');
      tip.className = 'lt-tip';
      tip.hidden = true;
      document.body.appendChild(tip);
    }
    return tip;
  }

  function attach(section) {
    if (section.dataset.ltAttached) return;
    section.dataset.ltAttached = '1';
    const svg = section.querySelector('svg.lt-chart');
    if (!svg) return;
    let snapshots = [];
    const data = section.querySelector('script.lt-snapshots');
    if (data) {
      try { snapshots = JSON.parse(data.textContent); } catch (e) { snapshots = []; }
    }
    // The titles become our tooltip (the browser's own would show too).
    svg.querySelectorAll('.lt-seg > title, .lt-mark > title, .lt-name > title').forEach((t) => {
      t.parentNode.setAttribute('data-tip', t.textContent);
      t.remove();
    });
    let panel = section.querySelector('.lt-callgraph');
    if (!panel) {
      panel = document.createElement('div');
      panel.className = 'lt-callgraph';
      panel.hidden = true;
      panel.innerHTML = '<h3></h3><pre></pre>';
      section.appendChild(panel);
    }
    svg.addEventListener('mousemove', (ev) => {
      const el = ev.target.closest('[data-tip]');
      const t = tooltip();
      if (!el) { t.hidden = true; return; }
      t.textContent = el.getAttribute('data-tip');
      t.hidden = false;
      const x = Math.min(ev.clientX + 14, window.innerWidth - t.offsetWidth - 8);
      const y = ev.clientY + 18 + t.offsetHeight > window.innerHeight ? ev.clientY - t.offsetHeight - 10 : ev.clientY + 18;
      t.style.left = x + 'px';
      t.style.top = y + 'px';
    });
    svg.addEventListener('mouseleave', () => { tooltip().hidden = true; });
    svg.addEventListener('click', (ev) => {
      const el = ev.target.closest('.lt-seg, .lt-mark');
      if (!el) return;
      show(svg, panel, el, snapshots);
    });
  }

  function show(svg, panel, el, snapshots) {
    svg.querySelectorAll('.lt-selected').forEach((s) => s.classList.remove('lt-selected'));
    el.classList.add('lt-selected');
    const row = el.closest('.lt-row');
    const name = row ? row.querySelector('.lt-name') : null;
    const who = name ? name.textContent : 'task';
    const kind = el.getAttribute('data-kind');
    const unit = ' ' + (svg.getAttribute('data-unit') || 's');
    const from = el.getAttribute('data-from') + unit;
    const to = el.getAttribute('data-to') + unit;
    let heading = who;
    if (kind === 'wait') heading += ' waiting, ' + from + ' to ' + to;
    else if (kind === 'run') heading += ' running at ' + from;
    const snap = el.getAttribute('data-snap');
    let text;
    if (snap !== null && snapshots[+snap] !== undefined) {
      text = snapshots[+snap];
      heading += ': its call graph then';
    } else {
      text = el.getAttribute('data-note') || '(no call graph for this moment)';
    }
    panel.querySelector('h3').textContent = heading;
    panel.querySelector('pre').textContent = text;
    panel.hidden = false;
    panel.dataset.task = el.getAttribute('data-task') || '';
  }

  global.LuasyncTimeline = { attach: attach };
  if (document.readyState !== 'loading') document.querySelectorAll('.lt-section').forEach(attach);
  else document.addEventListener('DOMContentLoaded', () => document.querySelectorAll('.lt-section').forEach(attach));
})(window);
