// http: every plain-HTTP endpoint answers with the server's own answer, not a proxy's or firewall's page.
import { describe } from 'vitest';
import { httpCheck, httpUrlsOf } from './checks/http.js';
import { checkRun, checkTest } from './support.js';

const run = checkRun();

describe.concurrent('http', () => {
  for (const url of httpUrlsOf(run)) checkTest(`http:${url}`, () => httpCheck(run, url));
});
