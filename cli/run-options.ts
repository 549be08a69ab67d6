// The options of `run` and `lab`: how yargs reads them, and how they become RunOptions. Values that are wrong on
// their face (an unknown --fail-on kind) are refused here, before the plan is loaded or any probe is sent.
import type { Argv } from 'yargs';
import { UsageError } from '../config/errors.js';
import { CHECK_KINDS } from '../model/codes.js';
import { DEFAULT_FAIL_ON, FAIL_ON_KINDS, type FailOnKind } from '../model/fail-on.js';
import type { RunOptions } from './execute.js';

export function runOptions<T>(argv: Argv<T>) {
  return argv
    .option('profile', { alias: 'p', type: 'string', describe: 'built-in profile (see `preflight profiles`)' })
    .option('config', { alias: 'c', type: 'string', describe: 'YAML or JSON config file; it may `extends:` a profile' })
    .option('resolver', { type: 'string', array: true, describe: 'DNS server HOST[:PORT], repeatable; IPv6 as [::1]:53 (default: /etc/resolv.conf)' })
    .option('port-map', { type: 'string', array: true, describe: 'connect to other ports: 443=8443,80=8080' })
    .option('var', { type: 'string', array: true, describe: 'fill {KEY} in endpoint host names: KEY=VALUE, repeatable' })
    .option('ca-file', { type: 'string', array: true, describe: 'PEM certificates accepted as expected trust anchors' })
    .option('proxy', { type: 'string', describe: 'explicit HTTP proxy http://[user:pass@]host:port (default: HTTPS_PROXY/HTTP_PROXY/NO_PROXY)' })
    .option('no-proxy', { type: 'boolean', describe: 'ignore proxy settings from the environment' })
    .option('agent-config', { type: 'string', describe: "use the proxy of an agent's .NET config file (<defaultProxy>), e.g. AADConnectProvisioningAgent.exe.config; auto: the agents' files at their default paths, then machine.config" })
    .option('agent-config-root', { type: 'string', describe: 'with --agent-config auto: a directory standing for C:\\ (a copied tree, tests)' })
    .option('pac', { type: 'string', describe: 'route each endpoint as this PAC file or URL decides (FindProxyForURL, run sandboxed)' })
    .option('wpad', { type: 'boolean', describe: "find the PAC as the connector does: wpad.<search suffix>, then http://wpad.<suffix>/wpad.dat" })
    .option('wpad-suffix', { type: 'string', array: true, describe: "with --wpad: DNS search suffixes to use instead of this machine's" })
    .option('winhttp', { type: 'boolean', describe: "use this Windows machine's WinHTTP proxy (netsh winhttp)" })
    .option('hosts-file', { type: 'string', describe: 'hosts file the agent\'s resolver reads before DNS (default: /etc/hosts, on Windows %SystemRoot%\\System32\\drivers\\etc\\hosts)' })
    .option('only', { type: 'string', describe: `only these check kinds, comma separated: ${CHECK_KINDS.join(',')}` })
    .option('timeout', { type: 'number', describe: 'deadline of each network step in ms (default 5000)' })
    .option('concurrency', { type: 'number', describe: 'network operations in flight at once (default 256, growing while they only wait on the network; a value given is a hard cap)' })
    .option('ip-family', { type: 'string', describe: 'addresses to connect to: auto (all; IPv6 judged as the agent falls back to IPv4), 4 or 6 (default auto)' })
    .option('fail-on', { type: 'string', array: true, describe: `what makes the exit code 1, comma separated: ${FAIL_ON_KINDS.join(',')} (default ${DEFAULT_FAIL_ON.join(',')})` })
    .option('json', { type: 'string', describe: 'write the JSON result document here (- for stdout)' })
    .option('junit', { type: 'string', describe: 'write JUnit XML here (- for stdout)' });
}

type ParsedRunArgs = Awaited<ReturnType<ReturnType<typeof runOptions>['parseAsync']>>;

export function toRunOptions(args: ParsedRunArgs): RunOptions {
  return {
    profile: args.profile,
    config: args.config,
    resolvers: args.resolver,
    portMap: args['port-map'],
    vars: args.var,
    caFiles: args['ca-file'],
    proxy: args.proxy,
    noProxy: args['no-proxy'],
    agentConfig: args['agent-config'],
    agentConfigRoot: args['agent-config-root'],
    pac: args.pac,
    wpad: args.wpad,
    wpadSuffix: args['wpad-suffix'],
    winhttp: args.winhttp,
    only: args.only,
    hostsFile: args['hosts-file'],
    timeout: args.timeout,
    concurrency: args.concurrency,
    ipFamily: args['ip-family'],
    failOn: parseFailOn(args['fail-on']),
    json: args.json,
    junit: args.junit,
  };
}

/** `--fail-on warning,skip --fail-on failure` → the kinds, each once; none given → the default. */
export function parseFailOn(values: readonly string[] | undefined): FailOnKind[] {
  if (values === undefined) return [...DEFAULT_FAIL_ON];
  const allowed = FAIL_ON_KINDS.join(', ');
  const names = values.flatMap((value) => value.split(',')).map((name) => name.trim());
  if (names.length === 0 || names.some((name) => name === '')) throw new UsageError(`--fail-on needs a comma-separated list of ${allowed}`);
  const unknown = names.find((name) => !(FAIL_ON_KINDS as readonly string[]).includes(name));
  if (unknown !== undefined) throw new UsageError(`--fail-on: unknown value "${unknown}" (allowed: ${allowed})`);
  // A regression is judged against an earlier result, which only --baseline can give.
  if (names.includes('regression')) throw new UsageError('--fail-on regression needs --baseline, which this version does not have yet');
  return [...new Set(names as FailOnKind[])];
}
