// The console in a real browser: Debian's chromium driven by playwright-core (from
// infra/testing/node, found through CHOREO_NODE_TOOLS). Run by admin_console_browser_it,
// which seeded the dead-letter queue and started the console:
//
//   node console_browser.mjs <console-url> <screenshot-dir>
//
// Environment: CHOREO_NODE_TOOLS (required), CHOREO_CONSOLE_QUEUE (the seeded DLQ),
// CHOREO_CONSOLE_ERROR_MESSAGE (the poison group's error message), CHOREO_CHROMIUM
// (default /usr/bin/chromium), CHOREO_CONSOLE_ORDER: when set, the poison message is a
// real order's (trace_e2e_it): after the replay the order's timeline must complete, and
// the steps about the seeded workers and outbox are left out. Each step is a function of
// the lists below. Every wait has a deadline; no sleeps.
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';

const [consoleUrl, screenshotDir] = process.argv.slice(2);
if (!consoleUrl || !screenshotDir) {
  console.error('usage: node console_browser.mjs <console-url> <screenshot-dir>');
  process.exit(2);
}
const tools = process.env.CHOREO_NODE_TOOLS;
if (!tools || !fs.existsSync(path.join(tools, 'node_modules', 'playwright-core'))) {
  console.error(`playwright-core not found under CHOREO_NODE_TOOLS='${tools}': run infra/test (install_node_tools)`);
  process.exit(3);
}
const { chromium } = createRequire(path.join(tools, 'package.json'))('playwright-core');
const queue = process.env.CHOREO_CONSOLE_QUEUE || 'order.dlq';
const errorMessage = process.env.CHOREO_CONSOLE_ERROR_MESSAGE || '';
const order = process.env.CHOREO_CONSOLE_ORDER || '';
const queuePath = '/dlq/' + encodeURIComponent(queue);
const kTimeout = 15000;

function check(condition, what) {
  if (!condition) throw new Error('check failed: ' + what);
}

async function shot(page, name) {
  const file = path.join(screenshotDir, name);
  await page.screenshot({ path: file, fullPage: true });
  console.log('screenshot ' + file);
}

// Each step gets the page, the state the steps share, and may add to the state.
const allSteps = [
  async function queuesAreListed(page) {
    await page.goto(consoleUrl);
    const link = page.getByRole('link', { name: queue, exact: true });
    await link.waitFor({ state: 'visible' });
    await link.click();
    await page.waitForURL((url) => url.pathname === queuePath);
  },
  async function poisonGroupIsShown(page) {
    const row = page.locator('tr', { hasText: errorMessage });
    await row.waitFor({ state: 'visible' });
    check((await row.locator('td').first().textContent()).trim() === '1', 'the poison group counts 1 message');
    await shot(page, 'failure-group.png');
    await row.getByRole('link', { name: 'Messages' }).click();
  },
  async function hostileBodyIsText(page) {
    const body = page.locator('pre.body').first();
    await body.waitFor({ state: 'visible' });
    const text = await body.textContent();
    check(text.includes('<script>window.pwned=1</script>'), 'the body shows the script tag as text');
    check(await page.evaluate(() => window.pwned === undefined), 'nothing of the message ran');
    await shot(page, 'poison-message.png');
  },
  async function replayIsOffered(page) {
    await page.getByRole('link', { name: 'Replay all of them…' }).click();
  },
  async function replayAfterConfirmation(page) {
    await page.getByText(`Replay 1 message from ${queue}?`).waitFor({ state: 'visible' });
    // Nothing is replayed before the confirm.
    const before = await page.evaluate(async (q) => {
      const r = await fetch('/api/dlq/' + encodeURIComponent(q) + '/groups');
      return (await r.json()).depth;
    }, queue);
    check(before === 1, 'the message is still in the queue before the confirm (depth ' + before + ')');
    await shot(page, 'confirm-replay.png');
    await page.getByRole('button', { name: 'Confirm' }).click();
    await page.waitForURL((url) => url.pathname === queuePath && url.searchParams.get('replayed') === '1');
    await page.getByText(`No dead letters in ${queue}`).waitFor({ state: 'visible' });
    await page.getByText('Replayed 1 message.').waitFor({ state: 'visible' });
    await shot(page, 'queue-empty.png');
  },
  async function workersAreShown(page) {
    await page.getByRole('link', { name: 'Workers', exact: true }).click();
    const payment = page.locator('tr', { hasText: 'payment-worker' });
    await payment.getByText('provider: open').waitFor({ state: 'visible' });
    await payment.getByText('not ready').waitFor({ state: 'visible' });
    await page.locator('tr', { hasText: 'order-worker' }).getByText('down', { exact: true }).waitFor({ state: 'visible' });
    await shot(page, 'workers.png');
  },
  async function outboxIsShown(page) {
    await page.getByRole('link', { name: 'Outbox', exact: true }).click();
    const order = page.locator('tr', { hasText: 'order' });
    await order.waitFor({ state: 'visible' });
    check((await order.locator('td').nth(1).textContent()).trim() === '2', 'two pending outbox rows of order');
    await shot(page, 'outbox.png');
  },
  async function orderTimelineIsComplete(page) {
    await page.getByRole('searchbox', { name: 'order id' }).fill(order);
    await page.getByRole('button', { name: 'Find order' }).click();
    await page.waitForURL((url) => url.pathname === '/orders/' + order);
    // The order goes on asynchronously after the replay: reload until the timeline has
    // its e-mail and the order worker says confirmed, within a deadline.
    const deadline = Date.now() + 60000;
    for (;;) {
      const sent = await page.locator('td', { hasText: 'notification.sent' }).count();
      const confirmed = await page.locator('strong', { hasText: /^confirmed$/ }).count();
      if (sent > 0 && confirmed > 0) break;
      check(Date.now() < deadline, 'the order timeline completes within 60 s of the replay');
      await page.waitForLoadState('load');
      await page.reload({ waitUntil: 'load' });
    }
    check(await page.locator('.outcome-dead_lettered').count() === 0, 'no dead letter is left in the timeline');
    await page.locator('td', { hasText: 'replayed 1x' }).first().waitFor({ state: 'visible' });
    await shot(page, 'order-timeline.png');
  },
];

// A real order's poison message has no hostile body to look at, and the workers and the
// outbox are the running system's, not seeded ones.
const realOrderSteps = new Set(['queuesAreListed', 'poisonGroupIsShown', 'replayIsOffered',
                                'replayAfterConfirmation', 'orderTimelineIsComplete']);
const steps = allSteps.filter((step) =>
  order ? realOrderSteps.has(step.name) : step.name !== 'orderTimelineIsComplete');

const browser = await chromium.launch({
  executablePath: process.env.CHOREO_CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox'],
});
let failed = false;
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.setDefaultTimeout(kTimeout);
  page.setDefaultNavigationTimeout(kTimeout);
  page.on('pageerror', (e) => console.error('page error: ' + e.message));
  fs.mkdirSync(screenshotDir, { recursive: true });
  for (const step of steps) {
    console.log('step ' + step.name);
    try {
      await step(page);
    } catch (e) {
      console.error(`step ${step.name} failed: ${e.stack || e}`);
      await shot(page, 'failed-' + step.name + '.png').catch(() => {});
      failed = true;
      break;
    }
  }
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
