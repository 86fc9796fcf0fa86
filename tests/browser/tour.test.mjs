// tour.test.mjs: `luasync tour` and the HTML timeline in a real browser:
// Debian's Chromium (/usr/bin/chromium) driven by playwright-core (pinned in
// package-lock.json, installed by `npm ci` from ./dev.sh test; it downloads
// no browser). Run by CTest as browser/tour:
//
//   LUASYNC=build/luasync LUASYNC_SOURCE=. LUASYNC_BROWSER_ARTIFACTS=build/browser-artifacts \
//     node --test tests/browser/tour.test.mjs
//
// Screenshots of every scenario and the measured figures (timings.json) go
// to $LUASYNC_BROWSER_ARTIFACTS. The figures are reported, never asserted:
// the machine is shared and its load varies.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { createRequire } from 'node:module';

const here = path.dirname(new URL(import.meta.url).pathname);
const require = createRequire(import.meta.url);
let chromium;
try {
  ({ chromium } = require('playwright-core'));
} catch (e) {
  throw new Error('playwright-core is not installed: run `npm ci` in tests/browser (./dev.sh test does)');
}
const CHROMIUM = process.env.LUASYNC_CHROMIUM || '/usr/bin/chromium';
if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (./dev.sh test does)`);
const LUASYNC = path.resolve(process.env.LUASYNC || path.join(here, '../../build/luasync'));
const SOURCE = path.resolve(process.env.LUASYNC_SOURCE || path.join(here, '../..'));
const ARTIFACTS = path.resolve(process.env.LUASYNC_BROWSER_ARTIFACTS || path.join(here, '../../build/browser-artifacts'));
fs.mkdirSync(ARTIFACTS, { recursive: true });

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'luasync-browser-'));
const workspace = path.join(tmp, 'ws');
const figures = { note: 'taken on a shared machine; not asserted' };
const samples = { run: [], check: [] };  // the page's own measures (window.luasyncTour.timings)

function summary(list) {
  const s = [...list].sort((a, b) => a - b);
  const q = (f) => +s[Math.min(s.length - 1, Math.floor(f * s.length))].toFixed(1);
  return { n: s.length, min: q(0), median: q(0.5), max: q(0.999) };
}
let tour, url, base, token, browser, page;

function shot(name) {
  return page.screenshot({ path: path.join(ARTIFACTS, name + '.png'), fullPage: false });
}

// Starts `luasync tour`; resolves with the URL it prints and when it printed it.
function startTour(args, env) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const p = spawn(LUASYNC, ['tour', ...args], { cwd: tmp, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error('no URL after 20 s:\n' + out + err)), 20000);
    p.stdout.on('data', (d) => {
      out += d;
      const m = /http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]+/.exec(out);
      if (m && !p.url) {
        p.url = m[0];
        clearTimeout(timer);
        resolve({ proc: p, url: m[0], t0, printed: performance.now() });
      }
    });
    p.stderr.on('data', (d) => { err += d; });
    p.on('exit', (code) => { if (!p.url) { clearTimeout(timer); reject(new Error(`tour exited ${code}:\n${out}${err}`)); } });
    p.output = () => out;
    p.errors = () => err;
  });
}

const editorOf = (card) => card.locator('.CodeMirror');
async function setEditor(card, text) {
  await editorOf(card).evaluate((el, t) => el.CodeMirror.setValue(t), text);
}

// Clicks a button and waits until the answer has streamed in whole;
// returns what the page measured: the round trip (click to the last line
// shown), the backend's time for the job, and the sandbox child's.
async function runAndWait(box, button) {
  await box.locator(`.toolbar button:has-text("${button}")`).click();
  const handle = await box.elementHandle();
  await page.waitForFunction((el) => el.dataset.state === 'done', handle, { timeout: 30000 });
  return page.evaluate(() => window.luasyncTour.timings.at(-1));
}

before(async () => {
  // An existing workspace, as when one comes back to the tour (making one
  // writes and syncs 39 files, which is not what "starting" measures).
  execFileSync(LUASYNC, ['learn', 'init', workspace]);
  const started = await startTour(['--no-open', '--port', '0', workspace], {});
  tour = started.proc;
  url = started.url;
  base = url.replace(/\/\?token=.*$/, '');
  token = url.replace(/^.*token=/, '');
  // The first page, fetched as soon as the URL is printed.
  const res = await fetch(url);
  const served = performance.now();
  assert.equal(res.status, 200);
  assert.match(await res.text(), /<title>luasync tour<\/title>/);
  figures.url_printed_ms = +(started.printed - started.t0).toFixed(1);
  figures.first_page_served_ms = +(served - started.t0).toFixed(1);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('pageerror', (e) => { throw e; });
});

after(async () => {
  for (const kind of ['run', 'check']) {
    if (!samples[kind].length) continue;
    figures[kind] = {
      round_trip_ms: summary(samples[kind].map((t) => t.ms)),
      backend_ms: summary(samples[kind].map((t) => t.backendMs)),
      sandbox_child_ms: summary(samples[kind].map((t) => t.sandboxMs)),
    };
  }
  figures.load_average = os.loadavg().map((x) => +x.toFixed(2));
  fs.writeFileSync(path.join(ARTIFACTS, 'timings.json'), JSON.stringify(figures, null, 2) + '\n');
  console.log('figures: ' + JSON.stringify(figures));
  if (browser) await browser.close();
  if (tour && tour.exitCode === null) tour.kill('SIGKILL');
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('open a lesson', async () => {
  const t0 = performance.now();
  await page.goto(url + '#/lesson/01-why-async');   // (the current exercise is lesson 0's)
  await page.locator('article.lesson-text h1').waitFor();
  figures.lesson_visible_ms = +(performance.now() - t0).toFixed(1);
  assert.equal(await page.locator('article.lesson-text h1').textContent(), 'Why async: the waiting problem');
  assert.equal(await page.locator('#nav a').count(), 18);
  assert.equal(await page.locator('.runnable').count(), 2, 'both examples of lesson 1 can be run');
  assert.equal(await page.locator('.exercise').count(), 2);
  // The lesson's Markdown came through cmark: headings, emphasis, code.
  assert.ok(await page.locator('article.lesson-text h2').count() >= 2);
  assert.ok(await page.locator('article.lesson-text em').count() >= 1);
  await page.locator('.exercise[data-exercise="kitchen"][data-ready="1"]').waitFor();
  await shot('01-lesson');
});

test('run an example: its output and a timeline with a bar per task', async () => {
  const box = page.locator('.runnable[data-example="all_at_once"]');
  await runAndWait(box, 'Run');  // the first: the page, the backend and the caches warm up
  for (let i = 0; i < 10; i++) samples.run.push(await runAndWait(box, 'Run'));
  const out = await box.locator('pre.output').textContent();
  assert.match(out, /0\.0\tasking the database\n/);
  assert.match(out, /3\.0\tall done:\tdatabase data\tapi data\tfile data\n$/);
  assert.match(await box.locator('.summary').textContent(), /finished at 3\.0 virtual seconds, 3 tasks created/);
  // main and the three fetches.
  const chart = box.locator('svg.lt-chart');
  assert.equal(await chart.count(), 1);
  assert.equal(await chart.getAttribute('data-rows'), '4');
  assert.equal(await box.locator('.lt-row').count(), 4);
  // Waiting and running are drawn apart; hover says what a task awaits.
  const wait = box.locator('.lt-row[data-task="1"] rect[data-kind="wait"]').first();
  await wait.hover();
  assert.match(await page.locator('.lt-tip').textContent(), /fetch\("database", 2\): waiting 0\.000 s to 2\.000 s on sleep 2s/);
  // A click shows that task's call graph at that moment.
  await wait.click();
  const graph = await box.locator('.lt-callgraph pre').textContent();
  assert.match(graph, /\* Task 'Task-2' fetch\("database", 2\)/);
  assert.match(graph, /\+ Awaiting: sleep until 2\.000/);
  assert.match(graph, /\+ Awaited by:[\s\S]*Future 'gather'/);
  await box.locator('.lt-callgraph').scrollIntoViewIfNeeded();
  await shot('02-example-run-timeline');
});

test('edit an exercise, check it: it fails with its message', async () => {
  const card = page.locator('.exercise[data-exercise="kitchen"]');
  await editorOf(card).click();
  await page.keyboard.press('Control+End');
  await page.keyboard.type('\n-- my first try');
  await card.locator('.saved:has-text("saved")').waitFor();
  await runAndWait(card, 'Check');
  for (let i = 0; i < 6; i++) samples.check.push(await runAndWait(card, 'Check'));
  const result = card.locator('.result');
  assert.equal(await result.getAttribute('data-passed'), 'false');
  assert.match(await result.locator('.head').textContent(), /kitchen: 1 of 2 checks failed \(exercises\/01-why-async\/kitchen\.lua\)/);
  const failed = result.locator('li.fail');
  assert.equal(await failed.count(), 1);
  assert.match(await failed.locator('.message').textContent(),
    /expected it to finish at 3\.0 virtual seconds, but it finished at 6\.0\. 6\.0 s is 3 \+ 2 \+ 1/);
  // The same words as the terminal's `luasync learn check kitchen`.
  let terminal = '';
  try {
    execFileSync(LUASYNC, ['learn', 'check', 'kitchen', '-C', workspace], { env: { ...process.env, NO_COLOR: '1' } });
  } catch (e) {
    terminal = e.stdout.toString();
  }
  assert.match(terminal, /FAIL kitchen: 1 of 2 checks failed/);
  assert.ok(terminal.includes((await failed.locator('.message').textContent()).split('\n')[0]), terminal);
  // The hint, as the terminal would give it.
  await card.locator('button:has-text("Hint")').click();
  await card.locator('.hints li').first().waitFor();
  assert.equal(await card.locator('.hints li').count(), 1);
  await result.scrollIntoViewIfNeeded();
  await shot('03-check-fails');
});

test('fix it, check again: it passes; the file and the progress changed on disk', async () => {
  const card = page.locator('.exercise[data-exercise="kitchen"]');
  const solution = fs.readFileSync(path.join(SOURCE, 'lessons/01-why-async/solutions/kitchen.lua'), 'utf8');
  await setEditor(card, solution);
  await runAndWait(card, 'Check');
  const result = card.locator('.result');
  assert.equal(await result.getAttribute('data-passed'), 'true');
  assert.match(await result.locator('.head').textContent(), /kitchen: all 2 checks pass/);
  assert.match(await page.locator('#progress').textContent(), /1 of 41 exercises done/);
  await result.scrollIntoViewIfNeeded();
  await shot('04-check-passes');
  // On disk: the exercise file is what the editor has; the progress has it
  // done, and the hint seen; the terminal sees both.
  assert.equal(fs.readFileSync(path.join(workspace, 'exercises/01-why-async/kitchen.lua'), 'utf8'), solution);
  const progress = fs.readFileSync(path.join(workspace, '.luasync-progress'), 'utf8');
  assert.match(progress, /^done kitchen$/m);
  assert.match(progress, /^hints kitchen 1$/m);
  const list = execFileSync(LUASYNC, ['learn', 'list', '-C', workspace], { env: { ...process.env, NO_COLOR: '1' } }).toString();
  assert.match(list, /x kitchen/);
  // No temporary file was left next to it (they are renamed into place).
  assert.deepEqual(fs.readdirSync(path.join(workspace, 'exercises/01-why-async')).filter((f) => f.includes('.tmp')), []);
});

test('an endless loop stops, with the message of the terminal', async () => {
  const card = page.locator('.exercise[data-exercise="kitchen"]');
  await setEditor(card, 'local n = 0\nprint("counting forever")\nwhile true do n = n + 1 end\n');
  figures.endless_loop_round_trip_ms = +(await runAndWait(card, 'Run')).ms.toFixed(1);
  assert.equal(await card.locator('pre.output').textContent(), 'counting forever\n');
  const summary = await card.locator('.summary').textContent();
  assert.match(summary, /stopped: your code ran more than 50 million Lua instructions in this check/);
  assert.match(summary, /at exercises\/01-why-async\/kitchen\.lua:3/);
  // `luasync learn run` in a terminal says the same.
  const res = (() => {
    try {
      return execFileSync(LUASYNC, ['learn', 'run', 'kitchen', '-C', workspace], { env: { ...process.env, NO_COLOR: '1' } }).toString();
    } catch (e) {
      return e.stdout.toString();
    }
  })();
  assert.match(res, /stopped: your code ran more than 50 million Lua instructions in this check/);
  await card.locator('.summary').scrollIntoViewIfNeeded();
  await shot('05-endless-loop-stops');
  // Put the solution back (the next scenarios need a passing file).
  await setEditor(card, fs.readFileSync(path.join(SOURCE, 'lessons/01-why-async/solutions/kitchen.lua'), 'utf8'));
});

test('a request without the token is refused', async () => {
  for (const [what, target, headers] of [
    ['the page', base + '/', {}],
    ['the catalog', base + '/api/catalog', {}],
    ['a file of the page', base + '/static/tour.js', {}],
    ['a wrong token', base + '/?token=' + '0'.repeat(token.length), {}],
    ['a wrong header', base + '/api/catalog', { 'X-Luasync-Token': token.slice(1) + 'x' }],
  ]) {
    const res = await fetch(target, { headers });
    assert.equal(res.status, 403, what);
    assert.match(await res.text(), /needs the token/, what);
  }
  // A change needs the header: the cookie alone is not enough (a page of
  // another site could make the browser send it).
  const res = await fetch(base + '/api/run/kitchen', { method: 'POST', body: 'print(1)', headers: { cookie: `luasync_tour_${new URL(base).port}=${token}` } });
  assert.equal(res.status, 403);
  // A Host that is not ours (DNS rebinding) is refused even with the token.
  const rebinding = await new Promise((resolve) => {
    const s = net.connect(+new URL(base).port, '127.0.0.1', () => {
      s.write(`GET /?token=${token} HTTP/1.1\r\nHost: evil.example:80\r\nConnection: close\r\n\r\n`);
    });
    let data = '';
    s.on('data', (d) => { data += d; });
    s.on('end', () => resolve(data));
  });
  assert.match(rebinding, /^HTTP\/1\.1 403/);
  const fresh = await browser.newPage();
  await fresh.goto(base + '/');
  assert.match(await fresh.textContent('body'), /needs the token from the URL/);
  await fresh.screenshot({ path: path.join(ARTIFACTS, '06-no-token-refused.png') });
  await fresh.close();
});

test('the server answers on 127.0.0.1 only', async () => {
  const port = +new URL(base).port;
  // Bound to 127.0.0.1 itself, not to every address: the kernel's table of
  // listening sockets (this machine's own non-loopback addresses are
  // private-range ones, which these tests never contact).
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  const listening = [];
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!fs.existsSync(f)) continue;
    for (const line of fs.readFileSync(f, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length > 3 && cols[3] === '0A' && cols[1].endsWith(':' + hex)) listening.push(cols[1]);
    }
  }
  assert.deepEqual(listening, ['0100007F:' + hex]);
  // Another loopback address of this machine is refused (it would be
  // answered if the server listened on every address).
  const other = await new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.2' });
    s.on('connect', () => { s.destroy(); resolve('connected'); });
    s.on('error', (e) => resolve(e.code));
  });
  assert.equal(other, 'ECONNREFUSED');
});

test('Ctrl-C stops the tour and its backend', async () => {
  tour.kill('SIGINT');
  const code = await new Promise((resolve) => tour.on('exit', (c) => resolve(c)));
  assert.equal(code, 0, tour.errors());
  assert.match(tour.output(), /stopped/);
  // No backend left behind for this workspace.
  const left = fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
    try {
      return fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(workspace);
    } catch (e) {
      return false;
    }
  });
  assert.deepEqual(left, []);
});

test('luasync --timeline=html: hover and click in a self-contained page', async () => {
  const html = path.join(tmp, 'cancel.html');
  execFileSync(LUASYNC, ['--virtual-time', '--timeline=html', html, path.join(SOURCE, 'tests/golden/cancel.lua')]);
  const p = await browser.newPage({ viewport: { width: 1100, height: 600 } });
  // Self-contained: nothing but the file itself is requested.
  const requests = [];
  p.on('request', (r) => requests.push(r.url()));
  await p.goto('file://' + html);
  assert.deepEqual(requests, ['file://' + html]);
  const stuck = p.locator('.lt-row.lt-cancelled');
  assert.equal(await stuck.count(), 1);
  assert.equal(await p.locator('.lt-mark-cancelled[data-task]').count(), 1);
  const wait = stuck.locator('rect[data-kind="wait"]').first();
  await wait.hover();
  assert.match(await p.locator('.lt-tip').textContent(), /stuck: waiting 0\.000 s to 2\.000 s on sleep 10s/);
  await wait.click();
  assert.match(await p.locator('.lt-callgraph pre').textContent(), /Task 'stuck' slow\("stuck", 10\)[\s\S]*Awaiting: sleep until 10\.000/);
  await p.screenshot({ path: path.join(ARTIFACTS, '07-timeline-html.png') });
  await p.close();
});
