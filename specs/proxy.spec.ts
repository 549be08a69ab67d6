// proxy: the proxy the run goes through (from --proxy, the config, the agent's config or the environment) answers.
import { describe } from 'vitest';
import { proxyCheck } from './checks/proxy.js';
import { checkRun, checkTest } from './support.js';

const run = checkRun();
const check = proxyCheck(run);

describe('proxy', () => {
  if (check && run.plan.proxy) checkTest(`proxy:${run.plan.proxy.display}`, () => check);
});
