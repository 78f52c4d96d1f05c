import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SILENCE_20MS } from '@switchboard/testkit';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DESKTOP, PHONE, startBrowser, type TestBrowser } from './browser.js';
import { API_KEY, type ConsoleStack, GREETING, placeCall, startConsoleStack } from './stack.js';

// The console in headless Chromium (playwright-core, Debian's chromium) against the real services: sign-in,
// a call appearing in Live calls with its transcript streaming, the event stream cut and resumed without a
// lost line, the call hung up and found in history; the agent editor against the real agent API, and the
// edited agent's next call configured with it; live control from the page (tell the agent, transfer, the
// refusals), a tool call inline; the system page. Screenshots of each page at desktop and phone widths go to
// test/e2e/console/screenshots/ (not committed).

const SCREENSHOTS = fileURLToPath(new URL('./screenshots/', import.meta.url));
const CALLER = '+15557654321';
const SUPPORT_CALLER = '+15557650000';
const SUPPORT_NUMBER = '+15550002222';
const SALES = { instructions: 'Sell.', voice: 'alloy', model: 'gpt-realtime', phoneNumber: '+15550005555' };
const TOOL = {
  name: 'lookup_order',
  description: 'Finds an order by its number.',
  parameters: { type: 'object', properties: { order: { type: 'string' } }, required: ['order'] },
};
const TARGET = { name: 'billing-desk', description: 'A person at the billing desk', to: '+15550004444' };
const EDITED = { instructions: 'Help with orders. Be brief.', voice: 'marin' };

let stack: ConsoleStack;
let browser: TestBrowser;
let page: Page;
/** What the page asked for from anywhere, and what the browser's Content-Security-Policy refused. */
const requested: string[] = [];
const pageErrors: string[] = [];

async function screenshots(name: string): Promise<void> {
  for (const [width, size] of [
    ['desktop', DESKTOP],
    ['phone', PHONE],
  ] as const) {
    await page.setViewportSize(size);
    await page.screenshot({ path: `${SCREENSHOTS}${name}-${width}.png`, fullPage: false });
  }
  await page.setViewportSize(DESKTOP);
}

async function transcriptLines(): Promise<string[]> {
  return page.locator('.live-detail .segment-text').allInnerTexts();
}

/** The call's transcript as the API has it (the registry's spoken order). */
async function storedLines(callSid: string): Promise<string[]> {
  const res = await fetch(`${stack.gateway.url}/api/calls/${callSid}/transcript`, {
    headers: { authorization: `Bearer ${API_KEY}` },
  });
  const { segments } = (await res.json()) as { segments: { text: string }[] };
  return segments.map((s) => s.text);
}

/** The agent API as an operator's script calls it, with the bearer key. */
function agentApi(method: 'GET' | 'PUT', id: string, body?: unknown): Promise<Response> {
  return fetch(`${stack.gateway.url}/api/agents/${id}`, {
    method,
    headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

/** Waits until the registry has `lines` (in any order), then until the page shows exactly what it has. */
async function pageShowsStored(callSid: string, lines: string[]): Promise<void> {
  await expect
    .poll(async () => [...(await storedLines(callSid))].sort(), { timeout: 20_000 })
    .toEqual([...lines].sort());
  const stored = await storedLines(callSid);
  await expect.poll(transcriptLines, { timeout: 20_000 }).toEqual(stored);
}

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  [stack, browser] = await Promise.all([startConsoleStack(), startBrowser()]);
  page = browser.context.pages()[0] ?? (await browser.context.newPage());
  page.on('request', (req) => requested.push(req.url()));
  page.on('console', (msg) => {
    if (msg.type() === 'error') pageErrors.push(msg.text());
  });
  page.on('pageerror', (err) => pageErrors.push(String(err)));
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

describe('the console in a browser', () => {
  it('requires sign-in for every page and API', async () => {
    for (const path of [
      '/console',
      '/console/live',
      '/console/calls',
      '/console/agents',
      '/console/system',
    ]) {
      const res = await fetch(`${stack.consoleUrl}${path}`, { redirect: 'manual' });
      expect(res.status, path).toBe(303);
    }
    for (const path of ['/api/calls', '/api/events', '/api/system', '/api/calls/activity']) {
      expect((await fetch(`${stack.consoleUrl}${path}`)).status, path).toBe(401);
    }
    await page.goto(`${stack.consoleUrl}/console/system`);
    await page.waitForURL(/\/console\/sign-in\?next=%2Fconsole%2Fsystem$/);
    await expect.poll(() => page.getByLabel('API key').isVisible()).toBe(true);
    await screenshots('sign-in');

    await page.getByLabel('API key').fill(`${API_KEY}-wrong`);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('not valid');
    await page.getByLabel('API key').fill(API_KEY);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/console\/system$/);
    const cookies = await browser.context.cookies();
    expect(cookies).toHaveLength(1);
    expect(cookies[0]).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    expect(cookies[0]?.value).not.toContain(API_KEY);
    // Nothing page-readable holds the key.
    expect(
      await page.evaluate('[document.cookie, JSON.stringify(localStorage), JSON.stringify(sessionStorage)]'),
    ).toEqual(['', '{}', '{}']);
  }, 60_000);

  it('shows a call live: it appears, its transcript streams line by line, nothing is lost across a dropped stream, it ends, history has it', async () => {
    await page.goto(`${stack.consoleUrl}/console/live`);
    await expect.poll(() => page.locator('.conn-live').count(), { timeout: 15_000 }).toBe(1);
    const call = await placeCall(stack, CALLER);
    const card = page.locator(`[data-call-sid="${call.callSid}"]`);
    await expect.poll(() => card.count(), { timeout: 10_000 }).toBe(1);
    // Numbers are masked until asked for.
    await expect.poll(() => card.textContent(), { timeout: 10_000 }).toContain('+1555•••4321');
    expect(await card.textContent()).not.toContain(CALLER);
    // Keyboard: the first Tab reaches the skip link; a card is a button, chosen with Enter.
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement.textContent')).toBe('Skip to content');
    await card.focus();
    await page.keyboard.press('Enter');
    expect(await card.getAttribute('aria-pressed')).toBe('true');
    await expect.poll(transcriptLines, { timeout: 15_000 }).toEqual([GREETING]);

    call.session.speechStarted();
    call.session.speechStopped('I would like to check my order', { respond: true });
    await pageShowsStored(call.callSid, [GREETING, 'I would like to check my order', 'Agent answer 1']);
    await screenshots('live');

    // The browser loses the gateway mid-call; two more turns happen meanwhile; it comes back.
    stack.proxy.cut();
    await expect.poll(() => page.locator('.conn-reconnecting').count(), { timeout: 10_000 }).toBe(1);
    call.session.speechStarted();
    call.session.speechStopped('Said while the console was cut off', { respond: true });
    await expect.poll(async () => (await storedLines(call.callSid)).length, { timeout: 15_000 }).toBe(5);
    call.session.speechStarted();
    call.session.speechStopped('And one more line', { respond: true });
    await expect.poll(async () => (await storedLines(call.callSid)).length, { timeout: 15_000 }).toBe(7);
    // Nothing of it reached the page while it was cut off.
    expect(await transcriptLines()).toHaveLength(3);
    stack.proxy.restore();
    // Every line, once each, in the registry's order: the stream resumed right after the last event seen.
    await pageShowsStored(call.callSid, [
      GREETING,
      'I would like to check my order',
      'Agent answer 1',
      'Said while the console was cut off',
      'Agent answer 2',
      'And one more line',
      'Agent answer 3',
    ]);
    expect(await page.locator('.conn-live').count()).toBe(1);

    await page.getByLabel('Show numbers').check();
    expect(await card.textContent()).toContain(CALLER);
    await page.getByLabel('Show numbers').uncheck();

    // Live control: the worker holding the stream takes the hang-up; the call ends with the operator's reason.
    await page.getByRole('button', { name: 'Hang up' }).click();
    await expect
      .poll(() => page.locator('.controls .notice').textContent(), { timeout: 10_000 })
      .toMatch(/Hanging up\./);
    await expect.poll(() => card.getAttribute('class'), { timeout: 15_000 }).toContain('ended');
    await call.hangUp();

    // History: filtered by the caller's number, the call is there; its page has the whole transcript.
    await page.getByRole('link', { name: 'History' }).click();
    await page.getByLabel('Number', { exact: true }).fill(CALLER);
    await page.getByRole('button', { name: 'Apply' }).click();
    const row = page.locator(`a.call-row[href="/console/calls/${call.callSid}"]`);
    await expect.poll(() => row.count(), { timeout: 10_000 }).toBe(1);
    await expect
      .poll(() => row.locator('.call-row-status').textContent(), { timeout: 10_000 })
      .toBe('completedoperator-ended');
    await screenshots('history');
    await row.click();
    await page.waitForURL(new RegExp(`/console/calls/${call.callSid}$`));
    await expect.poll(() => page.locator('.call-page .segment-text').count(), { timeout: 10_000 }).toBe(7);
    await expect
      .poll(() => page.locator('.timeline').textContent(), { timeout: 10_000 })
      .toContain('completed');
    expect(await page.locator('.timeline').textContent()).toContain('stream started');
    expect(await page.locator('.call-page .facts').first().textContent()).toContain(
      'Stream endedoperator-ended: an operator hung up',
    );
    await screenshots('call');
  }, 150_000);

  it('creates and edits an agent through the agent API: every field round-trips, 400 details next to their fields, a 409 number conflict named', async () => {
    // Another agent holds a number already (put there as an operator's script would).
    expect((await agentApi('PUT', 'sales', SALES)).status).toBe(201);
    await page.getByRole('link', { name: 'Agents' }).click();
    await expect.poll(() => page.locator('table').textContent()).toContain('sales');
    await page.getByRole('link', { name: 'New agent' }).click();
    await page.waitForURL(/\/console\/agents\/new$/);

    // Everything the page edits, with two mistakes: a number that is not E.164, a tool URL that is not http(s).
    await page.getByLabel('Id', { exact: true }).fill('support');
    await page.getByLabel('Phone number (E.164)').fill('555-0100');
    await page.getByLabel('Instructions').fill('Help with orders.');
    await page.getByLabel('Greeting').fill('Support here.');
    await page.getByLabel('Voice').fill('verse');
    await page.getByLabel('Language (ISO-639-1)').fill('es');
    await page.getByLabel('Kind').selectOption('semantic_vad');
    await page.getByLabel('Eagerness').selectOption('high');
    await page.getByRole('button', { name: 'Add tool' }).click();
    const tool = page.getByRole('group', { name: 'Tool 1' });
    await tool.getByLabel('Name').fill(TOOL.name);
    await tool.getByLabel('Description').fill(TOOL.description);
    await tool.getByLabel('URL').fill('ftp://tools.example/lookup_order');
    await tool.getByLabel('Parameters (JSON Schema)').fill(JSON.stringify(TOOL.parameters));
    await page.getByRole('button', { name: 'Add transfer target' }).click();
    const target = page.getByRole('group', { name: 'Transfer target 1' });
    await target.getByLabel('Name').fill(TARGET.name);
    await target.getByLabel('Description').fill(TARGET.description);
    await target.getByLabel('Number or SIP URI').fill(TARGET.to);
    await page.getByRole('button', { name: 'Save' }).click();

    // The API's 400 names both fields; each message is under its own field, the focus on the first.
    await expect.poll(() => page.locator('#agent-phoneNumber-error').textContent()).toContain('E.164');
    expect(await page.locator('#agent-tools-0-url-error').textContent()).toContain('http(s)');
    expect(await page.getByLabel('Phone number (E.164)').getAttribute('aria-invalid')).toBe('true');
    expect(await tool.getByLabel('URL').getAttribute('aria-invalid')).toBe('true');
    expect(await tool.getByLabel('Name').getAttribute('aria-invalid')).toBeNull();
    expect(await page.evaluate('document.activeElement.id')).toBe('agent-phoneNumber');
    expect(await page.getByRole('alert').first().textContent()).toContain('2 fields need attention');
    await screenshots('agent-invalid');
    expect((await agentApi('GET', 'support')).status).toBe(404);

    await page.getByLabel('Phone number (E.164)').fill(SUPPORT_NUMBER);
    await tool.getByLabel('URL').fill(stack.tools.url(TOOL.name));
    await page.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL(/\/console\/agents\/support$/);
    await expect.poll(() => page.getByRole('status').filter({ hasText: 'Created support.' }).count()).toBe(1);
    expect(await page.locator('.field-error').count()).toBe(0);
    const created = {
      id: 'support',
      phoneNumber: SUPPORT_NUMBER,
      instructions: 'Help with orders.',
      greeting: 'Support here.',
      voice: 'verse',
      model: 'gpt-realtime',
      language: 'es',
      turnDetection: { type: 'semantic_vad', eagerness: 'high' },
      tools: [{ ...TOOL, url: stack.tools.url(TOOL.name) }],
      transferTargets: [TARGET],
    };
    expect(await (await agentApi('GET', 'support')).json()).toEqual(created);

    // Read back into the page from GET, edited, saved: every edited field as the page set it.
    await page.reload();
    await expect.poll(() => page.getByLabel('Instructions').inputValue()).toBe('Help with orders.');
    expect(await page.getByLabel('Kind').inputValue()).toBe('semantic_vad');
    expect(await page.getByLabel('Eagerness').inputValue()).toBe('high');
    expect(await tool.getByLabel('URL').inputValue()).toBe(stack.tools.url(TOOL.name));
    expect(JSON.parse(await tool.getByLabel('Parameters (JSON Schema)').inputValue())).toEqual(
      TOOL.parameters,
    );
    expect(await target.getByLabel('Number or SIP URI').inputValue()).toBe(TARGET.to);
    await page.getByLabel('Instructions').fill(EDITED.instructions);
    await page.getByLabel('Voice').fill(EDITED.voice);
    await page.getByLabel('Kind').selectOption('server_vad');
    await page.getByLabel('Threshold (0–1)').fill('0.6');
    await page.getByLabel('Silence that ends a turn (ms)').fill('700');
    await page.getByLabel('Noise reduction').selectOption('near_field');
    await page.getByLabel('Speak again after caller silence (ms)').fill('8000');
    await page.getByLabel('Reprompts before hanging up').fill('1');
    await page.getByLabel('Longest call (seconds)').fill('600');
    await page.getByLabel('Record calls').check();
    await tool.getByLabel('Timeout (ms)').fill('2000');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => page.getByRole('status').filter({ hasText: 'Saved support.' }).count()).toBe(1);
    const edited = {
      ...created,
      instructions: EDITED.instructions,
      voice: EDITED.voice,
      turnDetection: { type: 'server_vad', threshold: 0.6, silenceMs: 700 },
      noiseReduction: 'near_field',
      idleTimeoutMs: 8_000,
      idleReprompts: 1,
      maxCallSeconds: 600,
      record: true,
      tools: [{ ...created.tools[0], timeoutMs: 2_000 }],
    };
    expect(await (await agentApi('GET', 'support')).json()).toEqual(edited);

    // Another agent's number: a 409, said next to the number, naming the agent that has it; nothing changed.
    await page.getByLabel('Phone number (E.164)').fill(SALES.phoneNumber);
    await page.getByRole('button', { name: 'Save' }).click();
    await expect
      .poll(() => page.locator('#agent-phoneNumber-error').textContent())
      .toContain(`${SALES.phoneNumber} is already the number of agent “sales”`);
    expect(await (await agentApi('GET', 'support')).json()).toEqual(edited);
    await screenshots('agent');

    await page.getByRole('link', { name: 'Agents' }).click();
    const row = page.locator('tr', { has: page.getByRole('link', { name: 'support' }) });
    await expect
      .poll(() => row.locator('td').allInnerTexts())
      .toEqual(['support', '+1555•••2222', EDITED.voice, 'gpt-realtime', '1', '1']);
    await screenshots('agents');
  }, 60_000);

  it("places the edited agent's next call with its settings; live control from the page: tell the agent, a tool call inline, transfer, and what a call that cannot be controlled says", async () => {
    stack.tools.on(TOOL.name, () => ({ body: { order: 'A-1', status: 'shipped' } }));
    await page.getByRole('link', { name: 'Live calls' }).click();
    await expect.poll(() => page.locator('.conn-live').count(), { timeout: 15_000 }).toBe(1);
    const call = await placeCall(stack, SUPPORT_CALLER, SUPPORT_NUMBER);

    // The worker configured the model from the agent as last saved.
    await expect
      .poll(() => call.session.eventsOf('session.update').length, { timeout: 10_000 })
      .toBeGreaterThan(0);
    const session = call.session.eventsOf('session.update')[0]?.session;
    expect(session).toMatchObject({
      instructions: EDITED.instructions,
      audio: {
        input: {
          turn_detection: { type: 'server_vad', threshold: 0.6, silence_duration_ms: 700 },
          transcription: { language: 'es' },
          noise_reduction: { type: 'near_field' },
        },
        output: { voice: EDITED.voice },
      },
    });
    expect(session?.tools?.map((t) => t.name)).toEqual([TOOL.name, 'end_call', 'transfer_call', 'send_dtmf']);
    expect(session?.tools?.[0]).toMatchObject({ description: TOOL.description, parameters: TOOL.parameters });

    const card = page.locator(`[data-call-sid="${call.callSid}"]`);
    await expect.poll(() => card.count(), { timeout: 10_000 }).toBe(1);
    await card.click();
    await expect.poll(transcriptLines, { timeout: 15_000 }).toEqual([GREETING]);
    await expect.poll(() => call.session.activeResponseId, { timeout: 10_000 }).toBeUndefined();

    // A tool call: the worker POSTs the operator's tool; the page shows it inline with its status and time.
    call.session.startResponse({
      audio: Array.from({ length: 5 }, () => SILENCE_20MS),
      transcript: 'Let me look that up.',
      functionCalls: [{ name: TOOL.name, arguments: '{"order":"A-1"}' }],
    });
    const toolLine = page.locator('.live-detail .segment-tool .segment-text');
    await expect
      .poll(() => toolLine.textContent(), { timeout: 15_000 })
      .toMatch(/^lookup_order\(\{"order":"A-1"\}\) ok in \d+ ms → .*shipped/);
    await expect
      .poll(() => page.locator('.live-detail .segment-agent .segment-text').last().textContent(), {
        timeout: 15_000,
      })
      .toBe('Agent answer 1');

    // "Tell the agent": the worker holding the stream asks the model to say it.
    const controls = page.locator('.live-detail .controls');
    await page.getByLabel('Tell the agent').fill('Your order ships today.');
    await controls.getByRole('button', { name: 'Send' }).click();
    await expect.poll(() => controls.locator('.notice').textContent()).toBe('The agent will say it.');
    await expect
      .poll(() => call.session.eventsOf('response.create').map((e) => e.response?.instructions ?? ''), {
        timeout: 10_000,
      })
      .toContainEqual(expect.stringContaining('Your order ships today.'));

    await expect
      .poll(() => page.locator('.live-detail .segment-agent .segment-text').last().textContent(), {
        timeout: 15_000,
      })
      .toBe('Agent answer 2');

    // Transfer to one of the agent's targets by name: Twilio is asked to <Dial> its number.
    await page.getByLabel('Transfer to').fill(TARGET.name);
    await controls.getByRole('button', { name: 'Transfer' }).click();
    await expect.poll(() => controls.locator('.notice').textContent()).toMatch(/^Transferring/);
    const dialed = () =>
      stack.twilio.updateRequests
        .filter((r) => r.path.endsWith(`/Calls/${call.callSid}.json`))
        .map((r) => String(r.params.Twiml ?? ''));
    await expect
      .poll(dialed, { timeout: 15_000 })
      .toEqual([expect.stringMatching(/<Dial [^>]*><Number>\+15550004444<\/Number><\/Dial>/)]);
    // While it is being transferred, the worker takes nothing more: a 409 CALL_ENDED, said as such.
    await page.getByLabel('Tell the agent').fill('Are you still there?');
    await controls.getByRole('button', { name: 'Send' }).click();
    await expect
      .poll(() => controls.locator('.notice').textContent())
      .toBe('This call can no longer be controlled: the call is being transferred.');
    await screenshots('live-control');

    // Twilio runs the <Dial>: the stream stops. A person has the call now; no worker holds it.
    call.media.sendStop(call.callSid);
    await call.media.closed;
    await expect
      .poll(() => page.locator('.live-detail .segment-event .segment-text').allInnerTexts(), {
        timeout: 15_000,
      })
      .toEqual([`transfer to ${TARGET.name} requested by an operator`]);
    await expect
      .poll(() => page.locator('.live-detail > p').first().textContent(), { timeout: 10_000 })
      .toContain('stream ended: transferred: transferred to a person');
    expect(await card.getAttribute('class')).not.toContain('ended');
    await controls.getByRole('button', { name: 'Hang up' }).click();
    await expect
      .poll(() => controls.locator('.notice').textContent())
      .toContain('Not connected to an agent: no media worker holds this call’s stream');

    // The person hangs up: Twilio's last callback ends the call; history and its page say how it ended.
    await stack.webhooks.status(call.callSid, 'completed', { CallDuration: '9' });
    await expect.poll(() => card.getAttribute('class'), { timeout: 15_000 }).toContain('ended');
    await page.getByRole('link', { name: 'History' }).click();
    await page.getByLabel('Number', { exact: true }).fill(SUPPORT_CALLER);
    await page.getByRole('button', { name: 'Apply' }).click();
    const row = page.locator(`a.call-row[href="/console/calls/${call.callSid}"]`);
    await expect
      .poll(() => row.locator('.call-row-status').textContent(), { timeout: 10_000 })
      .toBe('completedtransferred');
    await row.click();
    await page.waitForURL(new RegExp(`/console/calls/${call.callSid}$`));
    await expect
      .poll(() => page.locator('.call-page .facts').first().textContent(), { timeout: 10_000 })
      .toContain('Stream endedtransferred: transferred to a person');
    const kinds = await page
      .locator('.call-page .segment')
      .evaluateAll((items) => items.map((li) => li.className.replace('segment segment-', '')));
    expect(kinds).toEqual(['agent', 'agent', 'tool', 'agent', 'agent', 'event']);
    expect(await page.locator('.call-page .segment-tool .segment-text').textContent()).toMatch(
      /^lookup_order\(\{"order":"A-1"\}\) ok in \d+ ms/,
    );
    await screenshots('call-transferred');
  }, 90_000);

  it('shows the system: the registry, its pool and consumer lag, the replicas, the activity chart', async () => {
    await page.getByRole('link', { name: 'System' }).click();
    await expect
      .poll(() => page.locator('.system').textContent(), { timeout: 10_000 })
      .toContain('call-registry');
    const text = await page.locator('.system').textContent();
    expect(text).toContain('webhook-gateway (this one)');
    expect(text).toMatch(/consumer lag \(pending\)\s*\d+/);
    await expect
      .poll(() => page.locator('.chart svg').getAttribute('aria-label'), { timeout: 10_000 })
      .toMatch(/2 calls started/);
    await screenshots('system');
    // Dark, as the system asks.
    await page.emulateMedia({ colorScheme: 'dark' });
    expect(await page.evaluate('getComputedStyle(document.body).backgroundColor')).toBe('rgb(16, 18, 22)');
    await screenshots('system-dark');
    await page.emulateMedia({ colorScheme: 'light' });
  }, 60_000);

  it('loaded nothing from another origin, and the Content-Security-Policy refused nothing', () => {
    const origin = new URL(stack.consoleUrl).origin;
    expect(requested.length).toBeGreaterThan(0);
    expect(requested.filter((url) => new URL(url).origin !== origin)).toEqual([]);
    expect(pageErrors.filter((e) => /Content.Security.Policy|Refused to/i.test(e))).toEqual([]);
  });
});
