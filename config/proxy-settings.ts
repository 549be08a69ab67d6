// Where the proxy comes from. In this order: --proxy; the config's `proxy`; --agent-config (the agent's own .NET
// <defaultProxy>, so the tool tests the path the agent takes); then HTTPS_PROXY / HTTP_PROXY / NO_PROXY, which
// --no-proxy ignores. --pac, --wpad and --winhttp (proxy/) replace all of these. Pure: the environment is passed in.
// The URL and bypass helpers live in proxy-url.ts and proxy-bypass.ts and are re-exported here for callers.
import { agentConfigPlan, type AgentConfigFile } from './agent-config.js';
import type { ProxyPlan, ProxySource } from './plan.js';
import { parseNoProxy } from './proxy-bypass.js';
import { planFor } from './proxy-url.js';

export { readAgentConfigFile, type AgentConfigFile } from './agent-config.js';
export { bypassesProxy } from './proxy-bypass.js';
export { proxyEndpoint, proxyUrlProblem, redactUrl, type ProxyEndpoint } from './proxy-url.js';

export interface ProxyInputs {
  /** --proxy URL. */
  option?: string | undefined;
  /** --no-proxy: ignore HTTPS_PROXY, HTTP_PROXY and NO_PROXY (explicit settings still apply). */
  ignoreEnvironment?: boolean | undefined;
  /** The config file's `proxy` key, with the file's name for messages. */
  config?: { file: string; proxy: string } | undefined;
  /** --agent-config, as read by readAgentConfigFile. */
  agentConfig?: AgentConfigFile | undefined;
  /** --winhttp or --agent-config auto, already read (null: direct); ranked where --agent-config is. */
  decided?: ProxyPlan | null | undefined;
  env: Readonly<Record<string, string | undefined>>;
}

const SOURCE_NAMES: Record<ProxySource, string> = {
  option: '--proxy',
  config: 'the config file',
  'agent-config': "the agent's config file (--agent-config)",
  environment: 'HTTPS_PROXY/HTTP_PROXY',
  pac: 'the PAC file (--pac)',
  wpad: 'the PAC file WPAD found (--wpad)',
  winhttp: 'the WinHTTP proxy setting (--winhttp)',
};

/** Where the proxy setting came from, as a person would look for it; a PAC's decision is quoted. */
export function describeProxySource(proxy: ProxyPlan): string {
  const origin = proxy.origin ? `${SOURCE_NAMES[proxy.source]} ${proxy.origin}` : SOURCE_NAMES[proxy.source];
  return proxy.decision === undefined ? origin : `${origin}, whose FindProxyForURL returned ${JSON.stringify(proxy.decision)}`;
}

/** The proxy the run goes through, or null for direct connections. Throws UsageError for a bad setting. */
export function resolveProxy(inputs: ProxyInputs): ProxyPlan | null {
  // Settings the user named explicitly are all validated, even the ones a higher-ranked setting overrides:
  // a broken file or option is worth an error rather than silence.
  const fromOption = inputs.option === undefined ? null : planFor(inputs.option, 'option', '--proxy', []);
  const fromConfig = inputs.config ? planFor(inputs.config.proxy, 'config', `${inputs.config.file}: proxy`, []) : null;
  const fromAgent = inputs.agentConfig ? agentConfigPlan(inputs.agentConfig) : inputs.decided;
  if (fromOption) return fromOption;
  if (fromConfig) return fromConfig;
  // An agent config that disables its proxy means the agent goes direct: that, not the environment, is its path.
  if (fromAgent !== undefined) return fromAgent;
  return inputs.ignoreEnvironment ? null : environmentPlan(inputs.env);
}

function environmentPlan(env: ProxyInputs['env']): ProxyPlan | null {
  // One proxy serves every target (the agents use one too): HTTPS_PROXY, else HTTP_PROXY. Lower case first, as curl does.
  const proxy = firstSet(env, ['https_proxy', 'HTTPS_PROXY', 'http_proxy', 'HTTP_PROXY']);
  if (!proxy) return null;
  const noProxy = firstSet(env, ['no_proxy', 'NO_PROXY']);
  return planFor(proxy.value, 'environment', proxy.name, noProxy ? parseNoProxy(noProxy.value) : []);
}

function firstSet(env: ProxyInputs['env'], names: readonly string[]): { name: string; value: string } | null {
  for (const name of names) {
    const value = env[name]?.trim();
    if (value) return { name, value };
  }
  return null;
}
