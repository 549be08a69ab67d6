#!/usr/bin/env node
// The preflight command line: parse, plan, run the specs, write the reports, exit with the contract's code.
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { UsageError } from '../config/errors.js';
import { CHECK_KINDS } from '../model/codes.js';
import { listProfiles } from '../config/profiles.js';
import { toolVersion } from '../runner/document.js';
import { EXIT_INTERNAL, executeRun, type RunOptions } from './execute.js';

const EXIT_USAGE = 2;


function runOptions<T>(argv: Argv<T>) {
  return argv
    .option('profile', { alias: 'p', type: 'string', describe: 'built-in profile (see `preflight profiles`)' })
    .option('config', { alias: 'c', type: 'string', describe: 'YAML or JSON config file; it may `extends:` a profile' })
    .option('resolver', { type: 'string', array: true, describe: 'DNS server HOST[:PORT], repeatable; IPv6 as [::1]:53 (default: /etc/resolv.conf)' })
    .option('port-map', { type: 'string', array: true, describe: 'connect to other ports: 443=8443,80=8080' })
    .option('var', { type: 'string', array: true, describe: 'fill {KEY} in endpoint host names: KEY=VALUE, repeatable' })
    .option('ca-file', { type: 'string', array: true, describe: 'PEM certificates accepted as expected trust anchors' })
    .option('proxy', { type: 'string', describe: 'explicit HTTP proxy http://[user:pass@]host:port (default: HTTPS_PROXY/HTTP_PROXY/NO_PROXY)' })
    .option('no-proxy', { type: 'boolean', describe: 'ignore proxy settings from the environment' })
    .option('agent-config', { type: 'string', describe: "use the proxy of an agent's .NET config file (<defaultProxy>), e.g. AADConnectProvisioningAgent.exe.config" })
    .option('only', { type: 'string', describe: `only these check kinds, comma separated: ${CHECK_KINDS.join(',')}` })
    .option('timeout', { type: 'number', describe: 'deadline of each network step in ms (default 5000)' })
    .option('concurrency', { type: 'number', describe: 'network operations in flight at once (default 256)' })
    .option('ip-family', { type: 'string', describe: 'addresses to connect to: auto (all; IPv6 judged as the agent falls back to IPv4), 4 or 6 (default auto)' })
    .option('json', { type: 'string', describe: 'write the JSON result document here (- for stdout)' })
    .option('junit', { type: 'string', describe: 'write JUnit XML here (- for stdout)' });
}

/** Options whose value may be `-` (stdout), which yargs would otherwise take for an unknown positional. */
const STDOUT_CAPABLE = new Set(['--json', '--junit']);

/** `--json -` → `--json=-`, so that `-` stays the option's value. */
function bindDashValues(argv: readonly string[]): string[] {
  const bound: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (STDOUT_CAPABLE.has(arg) && argv[i + 1] === '-') {
      bound.push(`${arg}=-`);
      i++;
    } else {
      bound.push(arg);
    }
  }
  return bound;
}

export async function main(argv: string[]): Promise<number> {
  let exitCode = 0;
  const setExit = (code: number) => {
    exitCode = code;
  };
  const parser = yargs(bindDashValues(argv))
    .scriptName('preflight')
    .usage('$0 [run] [options]\n\nFrom this machine, through this firewall and proxy, will the Entra agent work?')
    .command(['run', '$0'], 'run the checks of a profile or config and write the reports', (y) => runOptions(y), async (args) => {
      setExit(await executeRun(toRunOptions(args)));
    })
    .command('lab', 'start the embedded lab network and run the default profile against it (no internet needed)', (y) => runOptions(y), async (args) => {
      const { runLab } = await import('../lab/command.js');
      setExit(await runLab(toRunOptions(args)));
    })
    .command('profiles', 'list the built-in profiles and their endpoints', () => {}, () => {
      process.stdout.write(formatProfiles());
    })
    .example('$0', 'check the default profile (entra-cloud-sync) with the system resolvers')
    .example('$0 -p entra-private-network-connector --var tenant=contoso --junit preflight.xml', 'connector endpoints, JUnit for CI')
    .example('$0 -c corp.yaml --resolver 10.0.0.53 --json result.json', 'a config file that extends a profile, through a given resolver')
    .example('$0 lab --junit out.xml', 'see the tool work against the embedded lab network')
    // `--no-proxy` is an option of its own, not the negation of --proxy.
    .parserConfiguration({ 'boolean-negation': false })
    .strict()
    .help()
    // Our own package.json, wherever the package is installed (yargs would look above the working directory).
    .version(toolVersion())
    .wrap(Math.min(110, process.stdout.columns ?? 100))
    .exitProcess(false)
    .fail((message, error) => {
      throw error instanceof UsageError ? error : new UsageError(message ?? error?.message ?? 'invalid command line');
    });
  await parser.parseAsync();
  return exitCode;
}

type ParsedRunArgs = Awaited<ReturnType<ReturnType<typeof runOptions>['parseAsync']>>;

function toRunOptions(args: ParsedRunArgs): RunOptions {
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
    only: args.only,
    timeout: args.timeout,
    concurrency: args.concurrency,
    ipFamily: args['ip-family'],
    json: args.json,
    junit: args.junit,
  };
}

function formatProfiles(): string {
  return listProfiles().map((profile) => {
    const lines = profile.endpoints.map((e) => `    ${e}`);
    return [`${profile.name}${profile.isDefault ? ' (default)' : ''}: ${profile.description}`, ...lines].join('\n');
  }).join('\n\n') + '\n';
}

/** One line on stderr, never a stack: the contract's exit codes 2 (usage) and 3 (internal). */
export function reportFatal(error: unknown): number {
  if (error instanceof UsageError) {
    process.stderr.write(`preflight: ${error.message}\n`);
    return EXIT_USAGE;
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`preflight: internal error: ${message.split('\n')[0]}\n`);
  if (process.env['PREFLIGHT_DEBUG'] && error instanceof Error) process.stderr.write(`${error.stack}\n`);
  return EXIT_INTERNAL;
}

main(hideBin(process.argv)).then(
  (code) => process.exit(code),
  (error: unknown) => process.exit(reportFatal(error)),
);
