// dns: every host's whole CNAME chain resolves to at least one address that is not a sinkhole.
import { describe } from 'vitest';
import { dnsCheck } from './checks/dns.js';
import { checkRun, checkTest } from './support.js';

const run = checkRun();

describe.concurrent('dns', () => {
  for (const host of run.hosts.filter((h) => !h.ipLiteral)) checkTest(`dns:${host.host}`, () => dnsCheck(run, host));
});
