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

async function newPage() {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
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
  let destinationId;
  let notificationId;

  await scenario('log in', page, async () => {
    await logIn(page, 'admin', adminPassword);
    await page.getByText('No notifications match').waitFor();
  });

  await scenario('a contact with a webhook destination', page, async () => {
    await api('POST', '/api/v1/contacts', { slug: 'ana', name: 'Ana Lima' });
    destinationId = (
      await api('POST', '/api/v1/contacts/ana/destinations', { medium: 'webhook', label: 'pager', settings: { url: hookUrl } })
    ).id;
  });

  await scenario('a group', page, async () => {
    await api('POST', '/api/v1/groups', { slug: 'ops', name: 'Operations', members: ['ana'] });
  });

  await scenario('an event with a template', page, async () => {
    await api('POST', '/api/v1/events', {
      slug: 'disk-full',
      name: 'Disk full',
      severity: 'major',
      targets: { groups: ['ops'] },
      templates: { subject: 'Disk full on {{ host }}', body: '{{ host }}: {{ mount }} is {{ percent }}% full', sms: '{{ host }} disk {{ percent }}%' },
    });
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

  await scenario('a disabled channel is skipped in the preview with the reason', page, async () => {
    await api('POST', `/api/v1/destinations/${destinationId}/disable`);
    await preview(page, 'disk-full', { host: 'db2' });
    await page.getByText('Nobody would be reached.').waitFor();
    const skipped = page.getByRole('region', { name: 'Skipped' });
    await skipped.getByText('destination_disabled').waitFor();
    await skipped.getByText('ana', { exact: true }).waitFor();
  });

  await scenario('the live feed shows the notification with its counts', page, async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Live feed' }).click();
    const feed = page.getByRole('list', { name: 'Notifications' });
    await feed.getByRole('link', { name: 'Disk full on db1' }).waitFor();
    await feed.getByText('1 delivered').waitFor();
    await page.getByLabel('State', { exact: true }).selectOption('open');
    await page.getByText('No notifications match').waitFor();
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

  const viewerPage = await newPage();
  await scenario('a viewer cannot see the fire button', viewerPage, async () => {
    await api('POST', '/api/v1/operators', { username: 'vera', password: 'vera-password-long', role: 'viewer' });
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
