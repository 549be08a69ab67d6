// The options of `run` and `lab`: how yargs reads them, and how they become RunOptions. Values that are wrong on
// their face (an unknown --fail-on kind) are refused here, before the plan is loaded or any probe is sent.
import type { Argv } from 'yargs';
import { UsageError } from '../config/errors.js';
import { CHECK_KINDS } from '../model/codes.js';
import { DEFAULT_FAIL_ON, FAIL_ON_KINDS, type FailOnKind } from '../model/fail-on.js';
import type { RunOptions } from './execute.js';

/** `--fail-on`, the same for a run and a merge. */
const FAIL_ON_OPTION = { type: 'string', array: true, describe: `what makes the exit code 1, comma separated: ${FAIL_ON_KINDS.join(',')} (default ${DEFAULT_FAIL_ON.join(',')})` } as const;

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
    .option('threads', { type: 'number', describe: 'threads for TCP connects and TLS handshakes besides the main one (default: one per core, at most 4, in runs of 32 or more connections; 0: none)' })
    .option('ip-family', { type: 'string', describe: 'addresses to connect to: auto (all; IPv6 judged as the agent falls back to IPv4), 4 or 6 (default auto)' })
    .option('fail-on', FAIL_ON_OPTION)
    .option('json', { type: 'string', describe: 'write the JSON result document here (- for stdout)' })
    .option('junit', { type: 'string', describe: 'write JUnit XML here (- for stdout)' })
    .option('html', { type: 'string', describe: 'write a self-contained HTML report here (- for stdout): opens offline, prints, reads on a phone' })
    .option('baseline', { type: 'string', describe: 'an earlier --json result: report regressions and fixes against it (JSON comparison block)' })
    .option('prometheus', { type: 'string', describe: "write the Prometheus text format here, for node_exporter's textfile collector (written to a temporary name, then renamed)" })
    .option('service-tags', { type: 'string', describe: "Microsoft's ServiceTags_Public_*.json: annotate each resolved address with the service tags that contain it" })
    .option('specs', { type: 'string', describe: 'run your own vitest spec files from this directory with the checks (see "Checks users write")' })
    .option('quiet', { type: 'boolean', describe: 'console: what fails the run and the totals only' })
    .option('verbose', { type: 'boolean', describe: 'console: every check with a line of its evidence, then the summary' });
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
    threads: args.threads,
    ipFamily: args['ip-family'],
    failOn: parseFailOn(args['fail-on'], args.baseline !== undefined),
    json: args.json,
    junit: args.junit,
    html: args.html,
    baseline: args.baseline,
    prometheus: args.prometheus,
    serviceTags: args['service-tags'],
    specs: args.specs,
    detail: consoleDetail(args.quiet, args.verbose),
  };
}

function consoleDetail(quiet: boolean | undefined, verbose: boolean | undefined): 'quiet' | 'normal' | 'verbose' {
  if (quiet && verbose) throw new UsageError('--quiet and --verbose cannot be used together');
  return quiet ? 'quiet' : verbose ? 'verbose' : 'normal';
}

/** `--fail-on warning,skip --fail-on failure` → the kinds, each once; none given → the default. */
export function parseFailOn(values: readonly string[] | undefined, hasBaseline = false): FailOnKind[] {
  if (values === undefined) return [...DEFAULT_FAIL_ON];
  const allowed = FAIL_ON_KINDS.join(', ');
  const names = values.flatMap((value) => value.split(',')).map((name) => name.trim());
  if (names.length === 0 || names.some((name) => name === '')) throw new UsageError(`--fail-on needs a comma-separated list of ${allowed}`);
  const unknown = names.find((name) => !(FAIL_ON_KINDS as readonly string[]).includes(name));
  if (unknown !== undefined) throw new UsageError(`--fail-on: unknown value "${unknown}" (allowed: ${allowed})`);
  // A regression is judged against an earlier result, which only --baseline can give.
  if (names.includes('regression') && !hasBaseline) throw new UsageError('--fail-on regression needs --baseline FILE (an earlier --json result to compare with)');
  return [...new Set(names as FailOnKind[])];
}

/** `preflight merge`: the files, the reports to write, and what makes the exit code 1. */
export function mergeOptions<T>(argv: Argv<T>) {
  return argv
    .positional('files', { type: 'string', array: true, demandOption: true, describe: 'result documents (--json) of the runners, schema version 1 or 2' })
    .option('json', { type: 'string', describe: 'write the merged JSON document here (- for stdout)' })
    .option('junit', { type: 'string', describe: 'write JUnit XML here, one suite per runner and endpoint host (- for stdout)' })
    .option('html', { type: 'string', describe: 'write a self-contained HTML page here (- for stdout): the runner × endpoint matrix, then each runner\'s failures' })
    .option('prometheus', { type: 'string', describe: "write the Prometheus text format here, for node_exporter's textfile collector" })
    .option('service-tags', { type: 'string', describe: "Microsoft's ServiceTags_Public_*.json: annotate each address with its service tags" })
    .option('fail-on', FAIL_ON_OPTION);
}

export function toMergeOptions(args: Awaited<ReturnType<ReturnType<typeof mergeOptions>['parseAsync']>>) {
  return {
    files: (args.files ?? []).map(String),
    json: args.json,
    junit: args.junit,
    html: args.html,
    prometheus: args.prometheus,
    serviceTags: args['service-tags'],
    failOn: parseFailOn(args['fail-on']),
  };
}

/** `preflight allowlist`: the files, the format, the service tags. */
export function allowListOptions<T>(argv: Argv<T>) {
  return argv
    .positional('files', { type: 'string', array: true, demandOption: true, describe: 'result documents (--json, or a merged one), schema version 1 or 2' })
    .option('format', { type: 'string', describe: 'text (one FQDN per line, for external dynamic lists), csv or json (default text)' })
    .option('service-tags', { type: 'string', describe: "Microsoft's ServiceTags_Public_*.json: which service tags contain each address" });
}
