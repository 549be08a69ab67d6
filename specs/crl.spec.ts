// crl: every CRL URL the config lists or a live certificate names serves an in-date DER CRL signed by its issuer.
import { describe } from 'vitest';
import { crlCheck, crlSources } from './checks/crl.js';
import { checkRun, checkTest } from './support.js';

const run = checkRun();
const sources = await crlSources(run);

describe.concurrent('crl', () => {
  for (const source of sources) checkTest(`crl:${source.url}`, () => crlCheck(run, source));
});
