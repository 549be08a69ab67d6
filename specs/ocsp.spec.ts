// ocsp: every OCSP responder a live certificate names answers a real request about it with a successful response.
import { describe } from 'vitest';
import { ocspCheck, ocspSources } from './checks/ocsp.js';
import { checkRun, checkTest } from './support.js';

const run = checkRun();
const sources = await ocspSources(run);

describe.concurrent('ocsp', () => {
  for (const source of sources) checkTest(`ocsp:${source.url}`, () => ocspCheck(run, source));
});
