#!/usr/bin/env node
// Benchmark of the rating page: rates N pairs by keyboard at a person's pace and reports the time
// from the last keypress of a pair to the next pair fully shown (its images decoded, the swap
// painted), as the page itself measures it (window.__raterBench, performance measures
// "rater:key-to-shown"), so the automation's own latency is not counted.
//   npm ci --prefix rater-web/src/test/ui
//   node rater-web/src/test/ui/rater-bench.mjs --base-url http://localhost:PORT --user U --password P
//        --pairs N --out FILE [--look-ms 400] [--think-ms 150] [--chromium PATH] [--timeout MS]
// Pace: --look-ms (±50%) looking at a new pair before the first key, --think-ms (±50%) between the
// keys of a pair. Writes FILE: {samples, p50, p95, p99, max, mean (ms), pairs, browser, ...}.
// Exit status: 0 done, 1 failed (the reason on stderr), 2 could not run.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import os from 'node:os';
import { options, launch, watch, check, signIn, keyMap, pairShown, outboxEmpty, sleep, percentile } from './lib.mjs';

const NAME = 'rater-bench';
const { values: opts, fail } = options(NAME, {
  pairs: { type: 'string', default: '200' },
  out: { type: 'string', required: true },
  'look-ms': { type: 'string', default: '400' },
  'think-ms': { type: 'string', default: '150' },
}, 'node rater-bench.mjs --base-url URL --user U --password P --pairs N --out FILE [--look-ms MS] [--think-ms MS]');
const BASE = opts['base-url'];
const PAIRS = Number(opts.pairs);
const OUT = resolve(opts.out);
const LOOK = Number(opts['look-ms']);
const THINK = Number(opts['think-ms']);
const TIMEOUT = Number(opts.timeout);
if (!Number.isInteger(PAIRS) || PAIRS < 1) fail('--pairs must be a positive integer');
mkdirSync(dirname(OUT), { recursive: true });
const jitter = (ms) => ms * (0.5 + Math.random());

const browser = await launch(NAME, opts.chromium, BASE);
const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
context.setDefaultTimeout(TIMEOUT);
const problems = await watch(context);
let failed = null;
try {
  const page = await context.newPage();
  await signIn(page, BASE, opts.user, opts.password);
  const keys = await keyMap(page);
  const dims = Object.keys(keys);
  let shown = await pairShown(page, { timeout: TIMEOUT });
  const started = Date.now();
  for (let n = 1; n <= PAIRS; n++) {
    await sleep(jitter(LOOK));
    for (let i = 0; i < dims.length; i++) {
      if (i > 0) await sleep(jitter(THINK));
      const value = Math.floor(Math.random() * 5) - 2;
      await page.keyboard.press(keys[dims[i]][value].key);
    }
    shown = await pairShown(page, { after: shown.seq, timeout: TIMEOUT });
    check(problems.length === 0, problems.join('\n'));
    if (n % 10 === 0 || n === PAIRS) {
      const samples = await page.evaluate(() => window.__raterBench.samples.slice());
      const sorted = samples.slice().sort((a, b) => a - b);
      console.log(`${NAME}: ${n}/${PAIRS} pairs, ${((Date.now() - started) / 1000).toFixed(0)} s,`
        + ` key to next pair shown p50 ${percentile(sorted, 50)?.toFixed(1)} ms, p95 ${percentile(sorted, 95)?.toFixed(1)} ms,`
        + ` max ${sorted[sorted.length - 1]?.toFixed(1)} ms`);
    }
  }
  await outboxEmpty(page, Math.max(TIMEOUT, 60000));
  // The last pair's sample is taken one frame after it is shown.
  await page.waitForFunction((n) => window.__raterBench.samples.length >= n, PAIRS, { timeout: 5000 });
  const samples = await page.evaluate(() => window.__raterBench.samples.slice());
  check(problems.length === 0, problems.join('\n'));
  const sorted = samples.slice().sort((a, b) => a - b);
  const round = (x) => (x === null || x === undefined ? null : Math.round(x * 10) / 10);
  const result = {
    what: 'rating page: last keypress of a pair -> next pair shown (images decoded, swap painted), measured in the page',
    samples: samples.length,
    p50: round(percentile(sorted, 50)),
    p95: round(percentile(sorted, 95)),
    p99: round(percentile(sorted, 99)),
    max: round(sorted[sorted.length - 1]),
    mean: round(samples.reduce((a, b) => a + b, 0) / samples.length),
    unit: 'ms',
    pairs: PAIRS,
    pace: { lookMs: LOOK, thinkMs: THINK },
    seconds: Math.round((Date.now() - started) / 1000),
    browser: `Chromium ${browser.version()}`,
    headless: true,
    machine: `${os.cpus().length} cores, ${os.cpus()[0]?.model ?? '?'}`,
    baseUrl: BASE,
    at: new Date().toISOString(),
    raw: samples.map(round),
  };
  writeFileSync(OUT, JSON.stringify(result, null, 2) + '\n');
  console.log(`${NAME}: ${result.samples} samples: p50 ${result.p50} ms, p95 ${result.p95} ms, p99 ${result.p99} ms, max ${result.max} ms (${result.browser}); ${OUT}`);
} catch (e) {
  failed = e;
} finally {
  await browser.close().catch(() => {});
}
if (failed) {
  console.error(`${NAME}: FAILED: ${failed.message}`);
  if (problems.length) console.error(`${NAME}: problems seen in the browser:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
