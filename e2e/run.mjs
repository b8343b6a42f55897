// The operators' web app in a real browser: Debian's Chromium, driven by
// playwright-core, against a real `tocsin serve` (the binary with the app
// embedded) on a fresh SQLite database in a temporary directory, with a webhook
// sink on loopback. Each scenario saves a screenshot. Every wait polls the page
// (30 s at most); nothing sleeps for a fixed time.
//
//   TOCSIN_BIN   the server binary (default: target/debug/tocsin)
//   E2E_SHOTS    where screenshots go (default: target/e2e-screenshots)
//   CHROMIUM     the browser (default: /usr/bin/chromium)

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const targetDir = process.env.CARGO_TARGET_DIR ? path.resolve(root, process.env.CARGO_TARGET_DIR) : path.join(root, 'target');
const bin = process.env.TOCSIN_BIN ?? path.join(targetDir, 'debug', 'tocsin');
const shots = process.env.E2E_SHOTS ?? path.join(targetDir, 'e2e-screenshots');
const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';
const TIMEOUT = 30_000;

const started = Date.now();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tocsin-e2e-'));
fs.rmSync(shots, { recursive: true, force: true });
fs.mkdirSync(shots, { recursive: true });

// ---------------------------------------------------------------- webhook sink
const hooks = [];
const sink = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    hooks.push({ path: req.url, headers: req.headers, body: Buffer.concat(chunks).toString() });
    res.writeHead(204).end();
  });
});
await new Promise((resolve) => sink.listen(0, '127.0.0.1', resolve));
const hookUrl = `http://127.0.0.1:${sink.address().port}/hook`;

// ---------------------------------------------------------------- the server
const adminPassword = randomBytes(12).toString('hex');
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TOCSIN_')));
Object.assign(env, {
  TOCSIN_CONFIG: path.join(tmp, 'absent.toml'),
  TOCSIN_DATABASE_URL: path.join(tmp, 'tocsin.db'),
  TOCSIN_ADMIN_PASSWORD: adminPassword,
  TOCSIN_JWT_SECRET: randomBytes(32).toString('hex'),
  TOCSIN_OUTBOUND_ALLOW: '127.0.0.0/8',
  RUST_LOG: 'info',
});
const serverLog = path.join(tmp, 'server.log');
const server = spawn(bin, ['serve', '--bind', '127.0.0.1:0'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
let logText = '';
const log = fs.createWriteStream(serverLog);
for (const stream of [server.stdout, server.stderr]) {
  stream.on('data', (d) => {
    logText += d;
    log.write(d);
  });
}
const base = await new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error(`the server did not start within 30s:\n${logText}`)), TIMEOUT);
  server.on('exit', (code) => reject(new Error(`the server exited (${code}):\n${logText}`)));
  const look = () => {
    const m = /Tocsin is running at (http:\/\/\S+?)\/? /.exec(logText);
    if (m) {
      clearTimeout(timer);
      resolve(m[1]);
    }
  };
  server.stdout.on('data', look);
  server.stderr.on('data', look);
});

// ---------------------------------------------------------------- the API, for setup
let adminToken;
async function api(method, route, body, token = adminToken) {
  const res = await fetch(base + route, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}
adminToken = (await api('POST', '/api/v1/session', { username: 'admin', password: adminPassword })).token;

// ---------------------------------------------------------------- the browser
const browser = await chromium.launch({
  executablePath,
  headless: true,
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--disable-quic',
  ],
});

// Every Content-Security-Policy violation any page reports: the app and the
// API documentation must run under the server's policies without one.
const cspViolations = [];

async function newPage(viewport = { width: 1280, height: 900 }) {
  const context = await browser.newContext({ viewport });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
  await context.exposeBinding('reportCspViolation', ({ page }, v) => cspViolations.push({ page: page.url(), ...v }));
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) =>
      window.reportCspViolation({ directive: e.effectiveDirective, blocked: e.blockedURI, source: e.sourceFile, line: e.lineNumber }),
    );
  });
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  page.on('pageerror', (e) => console.error(`  page error: ${e.message}`));
  page.on('console', (m) => m.type() === 'error' && console.error(`  console: ${m.text()}`));
  return page;
}

/** Waits until `check` returns a truthy value, polling; fails after 30 s with `what`. */
async function until(what, check) {
  const deadline = Date.now() + TIMEOUT;
  let last;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ''}`);
    await new Promise((r) => setImmediate(r));
  }
}

const results = [];
let shot = 0;
async function scenario(name, page, run) {
  const t0 = Date.now();
  const file = path.join(shots, `${String(++shot).padStart(2, '0')}-${name.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}.png`);
  try {
    await run();
    await page.screenshot({ path: file, fullPage: true });
    results.push({ name, ms: Date.now() - t0, ok: true });
    console.log(`ok   ${name} (${Date.now() - t0} ms) ${path.relative(root, file)}`);
  } catch (e) {
    await page.screenshot({ path: file.replace(/\.png$/, '-FAILED.png'), fullPage: true }).catch(() => {});
    results.push({ name, ms: Date.now() - t0, ok: false });
    console.log(`FAIL ${name}: ${e.stack ?? e}`);
    throw e;
  }
}

async function logIn(page, username, password) {
  await page.goto(base + '/');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('heading', { name: 'Live feed' }).waitFor();
}

async function go(page, name) {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true }).click();
}

async function preview(page, event, args) {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Fire' }).click();
  await page.getByRole('heading', { name: 'Fire an event' }).waitFor();
  await page.getByLabel('Event', { exact: true }).selectOption(event);
  for (const [name, value] of Object.entries(args)) await page.getByLabel(name, { exact: true }).fill(value);
  await page.getByRole('button', { name: 'Preview' }).click();
  await page.getByRole('heading', { name: 'Preview' }).waitFor();
}

let failed = false;
try {
  const page = await newPage();
  let notificationId;

  await scenario('log in', page, async () => {
    await logIn(page, 'admin', adminPassword);
    await page.getByText('No notifications match').waitFor();
  });

  await scenario('a contact with a webhook destination', page, async () => {
    await go(page, 'Contacts');
    await page.getByText('No contacts yet').waitFor();
    await page.getByLabel('Name', { exact: true }).fill('Ana Lima');
    await page.getByLabel('Slug', { exact: true }).fill('ana');
    await page.getByRole('button', { name: 'Create contact' }).click();
    await page.getByRole('heading', { name: 'Ana Lima (ana)' }).waitFor();
    await page.getByLabel('Medium').selectOption({ label: 'Webhook' });
    // The form comes from the medium's JSON schema: its titles are the labels.
    await page.getByLabel('Endpoint URL').fill('ftp://nowhere');
    await page.getByRole('button', { name: 'Add channel' }).click();
    await page.locator('.field-error').filter({ hasText: /url/i }).waitFor();
    await page.getByLabel('Endpoint URL').fill(hookUrl);
    await page.getByLabel('Label (optional)').fill('pager');
    await page.getByRole('button', { name: 'Add channel' }).click();
    await page.getByRole('button', { name: `Disable webhook ${hookUrl}` }).waitFor();
    const ana = await api('GET', '/api/v1/contacts/ana');
    if (ana.destinations.length !== 1 || ana.destinations[0].address !== hookUrl) throw new Error(JSON.stringify(ana));
  });

  await scenario('a test message to a new channel is followed to delivered', page, async () => {
    await page.getByRole('button', { name: `Send a test to webhook ${hookUrl}` }).click();
    await page.waitForURL(/\/notifications\/[0-9a-f]{32}$/);
    await page.getByRole('listitem', { name: /^Delivery \d+ to ana$/ }).locator('.badge', { hasText: 'delivered' }).waitFor();
    await until('the webhook sink to receive the test', () => hooks.some((h) => h.body.includes('Tocsin test message for ana')));
  });

  await scenario('a group with ordered members', page, async () => {
    await api('POST', '/api/v1/contacts', { slug: 'bob', name: 'Bob Stone' });
    await go(page, 'Groups');
    await page.getByLabel('Name', { exact: true }).fill('Operations');
    await page.getByLabel('Slug', { exact: true }).fill('ops');
    await page.getByRole('button', { name: 'Create group' }).click();
    await page.getByRole('heading', { name: 'Operations (ops)' }).waitFor();
    for (const slug of ['bob', 'ana']) {
      await page.getByLabel('Add a member').selectOption(slug);
      await page.getByRole('button', { name: 'Add member' }).click();
      await page.getByRole('list', { name: 'Members' }).getByText(`(${slug})`).waitFor();
    }
    await page.getByRole('button', { name: 'Move ana up' }).click();
    await until('ana to come first', async () => (await api('GET', '/api/v1/groups/ops')).members[0].slug === 'ana');
    await page.getByRole('list', { name: 'Members' }).getByRole('listitem').first().getByText('Ana Lima (ana)').waitFor();
  });

  await scenario('an event with a template', page, async () => {
    await go(page, 'Events');
    await page.getByRole('link', { name: 'New event' }).click();
    await page.getByLabel('Name', { exact: true }).fill('Disk full');
    await page.getByLabel('Slug', { exact: true }).fill('disk-full');
    await page.getByLabel('Severity').selectOption('major');
    await page.getByRole('group', { name: 'Target groups' }).getByLabel('Operations (ops)').check();
    await page.getByLabel('Subject template').fill('Disk full on {{ host }');
    await page.locator('.field-error').filter({ hasText: /syntax|expected|unexpected/i }).first().waitFor();
    await page.getByLabel('Subject template').fill('Disk full on {{ host }}');
    await page.getByLabel('Body template').fill('{{ host }}: {{ mount }} is {{ percent }}% full');
    await page.getByLabel(/^SMS template/).fill('{{ host }} disk {{ percent }}%');
    await page.getByLabel('Sample host').fill('db1');
    await page.getByRole('region', { name: 'Rendered message' }).getByText('Disk full on db1').waitFor();
    await page.getByRole('button', { name: 'Create event' }).click();
    await page.getByRole('heading', { name: 'Event disk-full' }).waitFor();
    const event = await api('GET', '/api/v1/events/disk-full');
    if (event.targets.groups[0] !== 'ops' || event.severity !== 'major') throw new Error(JSON.stringify(event));
  });

  await scenario('fire with the preview showing the contact', page, async () => {
    await preview(page, 'disk-full', { host: 'db1', mount: '/var', percent: '97' });
    const recipients = page.getByRole('table', { name: 'Recipients' });
    await recipients.getByRole('cell', { name: 'ana', exact: true }).waitFor();
    await recipients.getByRole('cell', { name: 'event disk-full → group ops → contact ana', exact: false }).waitFor();
    await page.getByText('Disk full on db1').waitFor();
    await page.getByText('1 segment · GSM7').waitFor();
  });

  await scenario('the delivery reaches delivered', page, async () => {
    await page.getByRole('button', { name: 'Send' }).click();
    await page.waitForURL(/\/notifications\/[0-9a-f]{32}$/);
    notificationId = page.url().split('/').pop();
    const delivery = page.getByRole('listitem', { name: /^Delivery \d+ to ana$/ });
    await delivery.locator('.badge', { hasText: 'delivered' }).waitFor();
    await until('the webhook sink to receive the message', () => hooks.some((h) => h.body.includes('Disk full on db1')));
  });

  await scenario('acknowledge', page, async () => {
    await page.getByRole('button', { name: 'Acknowledge' }).click();
    await page.getByText('Acknowledged.').waitFor();
    await page.locator('.title-row .badge', { hasText: 'acknowledged' }).waitFor();
    await until('the acknowledge button to be disabled', () => page.getByRole('button', { name: 'Acknowledge' }).isDisabled());
    const n = await api('GET', `/api/v1/notifications/${notificationId}`);
    if (n.state !== 'acknowledged' || n.acknowledged_by !== 'operator:admin') throw new Error(`state ${n.state} by ${n.acknowledged_by}`);
  });

  await scenario('a group is paged directly with a message', page, async () => {
    await go(page, 'Fire');
    await page.getByLabel('Send to').selectOption('group');
    await page.getByLabel('Group', { exact: true }).selectOption('ops');
    await page.getByLabel('Subject (optional)').fill('Maintenance');
    await page.getByLabel('Message', { exact: true }).fill('db1 restarts at 22:00');
    await page.getByRole('button', { name: 'Preview' }).click();
    await page.getByRole('table', { name: 'Recipients' }).getByRole('cell', { name: 'group ops → contact ana', exact: false }).waitFor();
    await page.getByRole('button', { name: 'Send' }).click();
    await page.waitForURL(/\/notifications\/[0-9a-f]{32}$/);
    await page.getByRole('listitem', { name: /^Delivery \d+ to ana$/ }).locator('.badge', { hasText: 'delivered' }).waitFor();
    await until('the webhook sink to receive the page', () => hooks.some((h) => h.body.includes('db1 restarts at 22:00')));
  });

  await scenario('a disabled channel is skipped in the preview with the reason', page, async () => {
    await go(page, 'Contacts');
    await page.getByRole('button', { name: `Disable webhook ${hookUrl}` }).click();
    await page.getByRole('button', { name: `Enable webhook ${hookUrl}` }).waitFor();
    const channel = page.getByRole('listitem').filter({ has: page.getByRole('button', { name: `Enable webhook ${hookUrl}` }) });
    await channel.locator('.badge', { hasText: 'disabled' }).waitFor();
    await preview(page, 'disk-full', { host: 'db2' });
    await page.getByText('Nobody would be reached.').waitFor();
    const skipped = page.getByRole('region', { name: 'Skipped' });
    await skipped.getByText('destination_disabled').waitFor();
    await skipped.getByText('ana', { exact: true }).waitFor();
    await skipped.getByText('bob', { exact: true }).waitFor();
  });

  await scenario('the live feed shows the notification with its counts', page, async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Live feed' }).click();
    const feed = page.getByRole('list', { name: 'Notifications' });
    await feed.getByRole('link', { name: 'Disk full on db1' }).waitFor();
    await feed.getByText('1 delivered').first().waitFor();
    // The channel's test message, the event and the page to the group.
    await page.getByRole('status').getByText('3 delivered').waitFor();
    await page.getByLabel('State', { exact: true }).selectOption('open');
    await feed.getByRole('link', { name: 'Maintenance' }).waitFor();
    await until('only open notifications', async () => !(await feed.getByRole('link', { name: 'Disk full on db1' }).count()));
    await page.getByLabel('State', { exact: true }).selectOption('acknowledged');
    await feed.getByRole('link', { name: 'Disk full on db1' }).waitFor();
  });

  await scenario('an ended session returns to the login form with a message', page, async () => {
    await page.evaluate(() => sessionStorage.setItem('tocsin.token', 'a.b.c'));
    await page.goto(base + `/notifications/${notificationId}`);
    await page.getByRole('button', { name: 'Log in' }).waitFor();
    await page.getByText(/Your session has ended/).waitFor();
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill(adminPassword);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'Disk full on db1' }).waitFor();
  });

  await scenario('an API key shows its secret once, copies it, and is revoked', page, async () => {
    await go(page, 'API keys');
    await page.getByLabel('Key name').fill('nagios');
    await page.getByRole('button', { name: 'Create key' }).click();
    const secret = await page.getByLabel('Secret').inputValue();
    if (!secret.startsWith('tsk_')) throw new Error(`secret ${secret}`);
    await page.getByRole('button', { name: 'Copy secret' }).click();
    await page.getByRole('button', { name: 'Copied' }).waitFor();
    if ((await page.evaluate(() => navigator.clipboard.readText())) !== secret) throw new Error('the clipboard does not hold the secret');
    if ((await api('GET', '/api/v1/me', undefined, secret)).name !== 'nagios') throw new Error('the key does not work');
    await page.getByRole('button', { name: 'Revoke nagios' }).click();
    await page.getByText('Key nagios revoked').waitFor();
    await page.getByRole('table', { name: 'Keys' }).getByText('revoked').waitFor();
    const refused = await fetch(base + '/api/v1/me', { headers: { authorization: `Bearer ${secret}` } });
    if (refused.status !== 401) throw new Error(`a revoked key answers ${refused.status}`);
  });

  await scenario('operators and roles', page, async () => {
    await go(page, 'Operators');
    await page.getByLabel('New username').fill('vera');
    await page.getByLabel('Initial password').fill('short');
    await page.getByRole('button', { name: 'Create operator' }).click();
    await page.locator('.field-error').filter({ hasText: /10/ }).waitFor();
    await page.getByLabel('Initial password').fill('vera-password-long');
    await page.getByLabel('Role', { exact: true }).selectOption('operator');
    await page.getByRole('button', { name: 'Create operator' }).click();
    await page.getByLabel('Role of vera').waitFor();
    await page.getByLabel('Role of vera').selectOption('viewer');
    await until('vera to be a viewer', async () => (await api('GET', '/api/v1/operators/vera')).role === 'viewer');
  });

  await scenario('the API documentation renders under its own policy', page, async () => {
    const res = await page.goto(base + '/api/docs/');
    const policy = res.headers()['content-security-policy'] ?? '';
    if (!policy.includes("frame-ancestors 'none'")) throw new Error(`docs policy: ${policy}`);
    await page.getByRole('heading', { name: /Tocsin/ }).first().waitFor();
    await page.getByRole('button', { name: /create_contact|\/api\/v1\/contacts/ }).first().waitFor();
    const app = await fetch(base + '/');
    const appPolicy = app.headers.get('content-security-policy') ?? '';
    if (!appPolicy.includes("script-src 'self' 'wasm-unsafe-eval'")) throw new Error(`app policy: ${appPolicy}`);
    await page.goto(base + '/');
    await page.getByRole('heading', { name: 'Live feed' }).waitFor();
  });

  const viewerPage = await newPage({ width: 390, height: 844 });
  await scenario('a viewer cannot see the fire button (phone-sized)', viewerPage, async () => {
    await logIn(viewerPage, 'vera', 'vera-password-long');
    await viewerPage.getByRole('list', { name: 'Notifications' }).getByRole('link', { name: 'Disk full on db1' }).waitFor();
    const nav = viewerPage.getByRole('navigation', { name: 'Main' });
    if (await nav.getByRole('link', { name: 'Fire' }).count()) throw new Error('a viewer sees the Fire link');
    if (await viewerPage.getByRole('link', { name: 'Fire an event' }).count()) throw new Error('a viewer sees the fire button');
    await viewerPage.getByRole('link', { name: 'Disk full on db1' }).click();
    await viewerPage.getByRole('heading', { name: 'Deliveries' }).waitFor();
    if (await viewerPage.getByRole('button', { name: 'Acknowledge' }).count()) throw new Error('a viewer sees Acknowledge');
    await viewerPage.goto(base + '/fire');
    await viewerPage.getByText('Your role can read notifications but not fire events.').waitFor();
    if (await viewerPage.getByRole('button', { name: 'Send' }).count()) throw new Error('a viewer sees Send');
    for (const admin of ['API keys', 'Operators']) {
      if (await nav.getByRole('link', { name: admin }).count()) throw new Error(`a viewer sees ${admin}`);
    }
    await nav.getByRole('link', { name: 'Contacts', exact: true }).click();
    await viewerPage.getByRole('list', { name: 'Contacts' }).getByText('Ana Lima (ana)').waitFor();
    if (await viewerPage.getByRole('button', { name: /^(Enable|Disable|Send a test to) webhook/ }).count()) throw new Error('a viewer can switch or test channels');
    if (await viewerPage.getByRole('button', { name: 'Create contact' }).count()) throw new Error('a viewer can create contacts');
  });

  // The browser's fetch is bounded by the client's timeout (30 s) and a read
  // is repeated three times: the page's clock is faked, so the timers fire
  // as soon as the test moves it, and the stalled requests are counted.
  const stallPage = await newPage();
  await scenario('a server that never answers is reported as such, after the repeats', stallPage, async () => {
    await logIn(stallPage, 'admin', adminPassword);
    await stallPage.clock.install();
    let stalled = 0;
    await stallPage.route((url) => url.pathname === '/api/v1/groups', () => { stalled += 1; });
    await go(stallPage, 'Groups');
    await stallPage.getByText('Loading…').waitFor();
    await until('the timeout to be reported', async () => {
      await stallPage.clock.runFor(31_000);
      return stallPage.getByText('the server did not answer in time').isVisible();
    });
    if (stalled !== 4) throw new Error(`expected 1 request and 3 repeats, the server saw ${stalled}`);
    await stallPage.unrouteAll({ behavior: 'ignoreErrors' });
  });

  await scenario('no page reported a Content-Security-Policy violation', page, async () => {
    if (cspViolations.length) throw new Error(`CSP violations: ${JSON.stringify(cspViolations, null, 2)}`);
  });
} catch {
  failed = true;
} finally {
  await browser.close().catch(() => {});
  server.kill('SIGTERM');
  sink.close();
  await new Promise((r) => (server.exitCode === null ? server.on('exit', r) : r()));
  if (failed) {
    console.log(`server log (${serverLog}):\n${logText.split('\n').slice(-60).join('\n')}`);
  } else {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

const passed = results.filter((r) => r.ok).length;
console.log(`${passed}/${results.length} scenarios passed in ${((Date.now() - started) / 1000).toFixed(1)} s; screenshots in ${path.relative(root, shots)}`);
process.exit(failed ? 1 : 0);
