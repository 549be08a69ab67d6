// Launchers for the real Debian components the lab tests talk to (nginx, mitmdump, squid, unbound, named). Each one runs
// in the foreground as a child of the test, on a loopback address and port the caller chooses, with its config and
// logs in a fresh temp dir, so tests never depend on (or disturb) the machine's own services.
// scripts/install-system-deps.sh installs the packages.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, closeSync, cpSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface RunningService {
  readonly host: string;
  readonly port: number;
  /** Temp dir with the component's config and logs; stop() removes it. */
  readonly workDir: string;
  /** Kills the component (and any helper processes it forked) and removes workDir. Safe to call twice. */
  stop(): Promise<void>;
}

export interface TlsIdentity {
  certPem: string;
  keyPem: string;
  /** Intermediate certificates, sent after certPem. */
  chainPem?: string;
}

export interface NginxOptions {
  host: string;
  port: number;
  /** Serve HTTPS with this identity instead of plain HTTP. */
  tls?: TlsIdentity;
  /** Directory of files to serve; an empty one when omitted. */
  root?: string;
  /** Raw nginx directives (e.g. `location` blocks) added to the server block. */
  extraLocations?: string;
}

export interface RunningNginx extends RunningService {
  /** Base URL, e.g. `https://127.0.0.1:8443`. */
  readonly url: string;
}

export interface MitmdumpReverseOptions {
  host: string;
  port: number;
  /** Origin mitmdump forwards to, e.g. `https://127.0.0.5:8443`; its certificate is not verified. */
  upstream: string;
  /** Directory for mitmproxy's CA, kept across starts; a fresh CA in workDir when omitted. */
  confdir?: string;
}

export interface RunningMitmdump extends RunningService {
  /** mitmproxy's CA certificate (issuer of every certificate it presents). */
  readonly caCertPem: string;
}

export interface SquidOptions {
  host: string;
  port: number;
  /** dstdomain entries (`.example.test` covers subdomains) that get 403 with a page naming `denyPolicyName`. */
  denyDomains?: string[];
  denyPolicyName?: string;
  basicAuth?: { user: string; password: string };
  /** Bump CONNECT tunnels, minting certificates signed by this CA. */
  sslBump?: { caCertPem: string; caKeyPem: string };
  /** Lab host names squid resolves without DNS (written to its own hosts_file instead of /etc/hosts). */
  hosts?: Record<string, string>;
  /** Loopback DNS server for every other name. It must listen on port 53: squid 5 rejects a port in dns_nameservers. */
  dnsNameserver?: string;
}

export interface RunningSquid extends RunningService {
  readonly accessLogPath: string;
  /** The <title> of the page returned for `denyDomains`. */
  readonly denyPageTitle: string;
}

export interface UnboundOptions {
  host: string;
  port: number;
  /** local-data records in zone-file syntax, e.g. `login.lab.test. 60 IN A 127.0.0.5`. */
  records?: string[];
  /** Forward every other name to this loopback server (`127.0.0.9@5353`); otherwise they get NXDOMAIN. */
  forwardTo?: string;
}

export interface NamedOptions {
  /**
   * 127.0.0.1 or ::1: named listens only on addresses it finds on an interface, and the other 127/8 addresses
   * are routed to lo without being assigned to it.
   */
  host: string;
  port: number;
  /** Zones named serves authoritatively: zone name → records in zone-file syntax (SOA and NS are added). */
  zones: Record<string, string[]>;
}

const DEFAULT_STARTUP_TIMEOUT_MS = 10_000;
// mitmdump loads a Python application and may first generate its CA: several seconds on a slow machine.
const MITMDUMP_STARTUP_TIMEOUT_MS = 30_000;
const PORT_POLL_INTERVAL_MS = 100;
const CONNECT_ATTEMPT_TIMEOUT_MS = 1_000;
const LOG_TAIL_LINES = 30;
const DEFAULT_DENY_POLICY_NAME = 'egress-preflight lab policy';
// Squid's Debian build drops root privileges to this user, which must be able to write squid's temp dir.
const SQUID_USER = 'proxy';
const SQUID_HELPERS = '/usr/lib/squid';
// Squid names its shared-memory segments /dev/shm/<service name>-*; a killed squid leaves them behind.
const SHARED_MEMORY_DIR = '/dev/shm';

/** Resolves once host:port accepts a TCP connection; rejects after timeoutMs. */
export async function waitForPort(host: string, port: number, timeoutMs: number): Promise<void> {
  if (!(await pollPort(host, port, timeoutMs, () => true))) {
    throw new Error(`nothing accepted connections on ${hostPort(host, port)} within ${timeoutMs} ms`);
  }
}

export async function startNginx(options: NginxOptions): Promise<RunningNginx> {
  assertLoopback(options.host);
  return inWorkDir('nginx', async (workDir) => {
    const root = options.root ?? path.join(workDir, 'www');
    mkdirSync(root, { recursive: true });
    let tlsDirectives = '';
    if (options.tls) {
      const certPath = path.join(workDir, 'server-chain.pem');
      const keyPath = path.join(workDir, 'server-key.pem');
      writeFileSync(certPath, joinPem(options.tls.certPem, options.tls.chainPem ?? ''));
      writeFileSync(keyPath, options.tls.keyPem, { mode: 0o600 });
      tlsDirectives = `ssl_certificate ${certPath};\n    ssl_certificate_key ${keyPath};`;
    }
    const errorLog = path.join(workDir, 'error.log');
    writeFileSync(path.join(workDir, 'nginx.conf'), nginxConfig(workDir, errorLog, options, root, tlsDirectives));
    const service = await launch({
      name: 'nginx',
      command: 'nginx',
      args: ['-p', workDir, '-c', path.join(workDir, 'nginx.conf'), '-g', 'daemon off;'],
      workDir,
      host: options.host,
      port: options.port,
      logFiles: [errorLog],
      startupTimeoutMs: DEFAULT_STARTUP_TIMEOUT_MS,
    });
    return { ...service, url: `${options.tls ? 'https' : 'http'}://${hostPort(options.host, options.port)}` };
  });
}

function nginxConfig(workDir: string, errorLog: string, options: NginxOptions, root: string, tlsDirectives: string): string {
  // Started as root, nginx runs its workers as nobody, who cannot read 0700 temp dirs like workDir or the caller's root.
  const workerUser = process.getuid?.() === 0 ? 'user root;' : '';
  return `${workerUser}
worker_processes 1;
pid ${path.join(workDir, 'nginx.pid')};
error_log ${errorLog} info;
events { worker_connections 64; }
http {
  access_log ${path.join(workDir, 'access.log')};
  # The compiled-in temp paths are under /var/lib/nginx; keep everything in workDir.
  client_body_temp_path ${path.join(workDir, 'client_body')};
  proxy_temp_path ${path.join(workDir, 'proxy')};
  fastcgi_temp_path ${path.join(workDir, 'fastcgi')};
  uwsgi_temp_path ${path.join(workDir, 'uwsgi')};
  scgi_temp_path ${path.join(workDir, 'scgi')};
  types {
    text/html html;
    text/plain txt;
    application/json json;
    application/xml xml;
    application/pkix-crl crl;
    application/pkix-cert cer der;
    application/x-pem-file pem;
  }
  default_type application/octet-stream;
  server {
    listen ${hostPort(options.host, options.port)}${options.tls ? ' ssl' : ''};
    ${tlsDirectives}
    root ${root};
    ${options.extraLocations ?? ''}
  }
}
`;
}

export async function startMitmdumpReverse(options: MitmdumpReverseOptions): Promise<RunningMitmdump> {
  assertLoopback(options.host);
  assertLoopback(new URL(options.upstream).hostname.replace(/^\[(.*)\]$/, '$1'));
  return inWorkDir('mitmdump', async (workDir) => {
    const confdir = options.confdir ?? workDir;
    mkdirSync(confdir, { recursive: true });
    const service = await launch({
      name: 'mitmdump',
      command: 'mitmdump',
      args: [
        '--mode', `reverse:${options.upstream}`,
        '--listen-host', options.host,
        '--listen-port', String(options.port),
        '--set', `confdir=${confdir}`,
        // Lab origins use throwaway certificates; what the tests look at is the certificate mitmdump presents.
        '--ssl-insecure',
      ],
      workDir,
      host: options.host,
      port: options.port,
      logFiles: [],
      startupTimeoutMs: MITMDUMP_STARTUP_TIMEOUT_MS,
    });
    // mitmdump writes its CA before it starts listening.
    return { ...service, caCertPem: readFileSync(path.join(confdir, 'mitmproxy-ca-cert.pem'), 'utf8') };
  });
}

export async function startSquid(options: SquidOptions): Promise<RunningSquid> {
  assertLoopback(options.host);
  for (const address of Object.values(options.hosts ?? {})) assertLoopback(address);
  // Without a lab resolver, lookups still stay on this machine (and fail) rather than reach the machine's resolvers.
  const nameserver = options.dnsNameserver ?? '127.0.0.1';
  assertLoopback(nameserver);
  return inWorkDir('squid', async (workDir) => {
    const file = (name: string): string => path.join(workDir, name);
    const policyName = options.denyPolicyName ?? DEFAULT_DENY_POLICY_NAME;
    const denyPageTitle = `ERROR: access denied by ${policyName}`;
    // error_directory replaces the built-in page set, so copy it and add ours next to it. Squid expands %-codes in pages.
    cpSync(realpathSync('/usr/share/squid/errors/templates'), file('errors'), { recursive: true });
    writeFileSync(file('errors/ERR_EGRESS_POLICY'), `<html><head><title>${escapeSquidPage(denyPageTitle)}</title></head><body><p>${escapeSquidPage(denyPageTitle)}: %U</p></body></html>\n`);

    let httpPort = `http_port ${hostPort(options.host, options.port)}`;
    const lines = [
      'visible_hostname egress-preflight-lab',
      `pid_filename ${file('squid.pid')}`,
      `cache_log ${file('cache.log')}`,
      `access_log stdio:${file('access.log')}`,
      `coredump_dir ${workDir}`,
      `error_directory ${file('errors')}`,
      'cache deny all',
      'netdb_filename none',
      'pinger_enable off',
      'shutdown_lifetime 0 seconds',
      `dns_nameservers ${nameserver}`,
      // Squid's DNS client socket otherwise binds the wildcard address.
      `udp_outgoing_address ${nameserver}`,
      // Names nobody answers for fail in seconds instead of squid's default 30 s.
      'dns_timeout 5 seconds',
    ];
    if (options.hosts) {
      writeFileSync(file('hosts'), Object.entries(options.hosts).map(([name, address]) => `${address} ${name}\n`).join(''));
      lines.push(`hosts_file ${file('hosts')}`);
    }
    if (options.sslBump) {
      writeFileSync(file('bump-ca.pem'), options.sslBump.caCertPem);
      writeFileSync(file('bump-ca.key'), options.sslBump.caKeyPem, { mode: 0o600 });
      runOrThrow(`${SQUID_HELPERS}/security_file_certgen`, ['-c', '-s', file('ssl_db'), '-M', '4MB']);
      httpPort += ` ssl-bump generate-host-certificates=on dynamic_cert_mem_cache_size=4MB tls-cert=${file('bump-ca.pem')} tls-key=${file('bump-ca.key')}`;
      lines.push(
        `sslcrtd_program ${SQUID_HELPERS}/security_file_certgen -s ${file('ssl_db')} -M 4MB`,
        'sslcrtd_children 2 startup=1 idle=1',
        'acl step1 at_step SslBump1',
        // Peek first so the minted certificate carries the client's SNI, then bump.
        'ssl_bump peek step1',
        'ssl_bump bump all',
        // Lab origins use throwaway certificates; what the tests look at is the certificate squid mints.
        'tls_outgoing_options flags=DONT_VERIFY_PEER',
      );
    }
    lines.unshift(httpPort);
    // Deliberately none of squid's default Safe_ports/SSL_ports/to_localhost rules: lab targets are loopback ports of any number.
    if (options.basicAuth) {
      writeFileSync(file('htpasswd'), `${options.basicAuth.user}:${apr1Hash(options.basicAuth.password)}\n`);
      lines.push(
        `auth_param basic program ${SQUID_HELPERS}/basic_ncsa_auth ${file('htpasswd')}`,
        'auth_param basic children 2 startup=1 idle=1',
        'auth_param basic realm egress-preflight-lab',
        'acl authenticated proxy_auth REQUIRED',
        // A deny ending in a proxy_auth ACL makes squid answer 407 with a Basic challenge.
        'http_access deny !authenticated',
      );
    }
    if (options.denyDomains && options.denyDomains.length > 0) {
      lines.push(
        `acl egress_policy_denied dstdomain ${options.denyDomains.join(' ')}`,
        'deny_info ERR_EGRESS_POLICY egress_policy_denied',
        'http_access deny egress_policy_denied',
      );
    }
    lines.push('http_access allow all');
    writeFileSync(file('squid.conf'), `${lines.join('\n')}\n`);
    if (process.getuid?.() === 0) chownRecursive(workDir, systemUser(SQUID_USER));
    // A service name of its own (alphanumeric only, squid insists) keeps concurrent squids off each other's shared memory.
    const serviceName = `egresspreflight${randomBytes(6).toString('hex')}`;

    const service = await launch({
      name: 'squid',
      command: 'squid',
      args: ['-n', serviceName, '-N', '-f', file('squid.conf')],
      workDir,
      host: options.host,
      port: options.port,
      logFiles: [file('cache.log')],
      startupTimeoutMs: DEFAULT_STARTUP_TIMEOUT_MS,
      afterExit: () => {
        for (const segment of readdirSync(SHARED_MEMORY_DIR)) {
          if (segment.startsWith(`${serviceName}-`)) rmSync(path.join(SHARED_MEMORY_DIR, segment), { force: true });
        }
      },
    });
    return { ...service, accessLogPath: file('access.log'), denyPageTitle };
  });
}

export async function startUnbound(options: UnboundOptions): Promise<RunningService> {
  assertLoopback(options.host);
  return inWorkDir('unbound', async (workDir) => {
    const logFile = path.join(workDir, 'unbound.log');
    const quoted = (value: string): string => JSON.stringify(value);
    const lines = [
      'server:',
      `  interface: ${options.host}@${options.port}`,
      '  do-daemonize: no',
      // Stay as the invoking user, outside any chroot, with files in workDir.
      '  username: ""',
      '  chroot: ""',
      `  directory: ${quoted(workDir)}`,
      `  pidfile: ${quoted(path.join(workDir, 'unbound.pid'))}`,
      '  use-syslog: no',
      `  logfile: ${quoted(logFile)}`,
      '  verbosity: 1',
      '  num-threads: 1',
      '  access-control: 127.0.0.0/8 allow',
      '  access-control: ::1 allow',
      // No DNSSEC validation: lab zones are unsigned and there is no trust anchor to fetch.
      '  module-config: "iterator"',
      ...(options.records ?? []).map((record) => `  local-data: ${quoted(record)}`),
    ];
    if (options.forwardTo) {
      assertLoopback(options.forwardTo.split('@')[0] ?? '');
      lines.push(
        '  do-not-query-localhost: no',
        // Unbound answers the RFC 6761 names (lab names are *.test) itself, with NXDOMAIN, unless told not to.
        '  local-zone: "test." nodefault',
        '  local-zone: "invalid." nodefault',
        'forward-zone:',
        '  name: "."',
        `  forward-addr: ${options.forwardTo}`,
      );
    } else {
      // Anything not in local-data is NXDOMAIN: never ask the root servers.
      lines.push('  local-zone: "." static');
    }
    writeFileSync(path.join(workDir, 'unbound.conf'), `${lines.join('\n')}\n`);
    return launch({
      name: 'unbound',
      command: 'unbound',
      args: ['-d', '-c', path.join(workDir, 'unbound.conf')],
      workDir,
      host: options.host,
      port: options.port,
      logFiles: [logFile],
      startupTimeoutMs: DEFAULT_STARTUP_TIMEOUT_MS,
    });
  });
}

/** BIND 9 (named) in the foreground (-g), authoritative only, for what only a real server does (its SERVFAIL to a CNAME loop). */
export async function startNamed(options: NamedOptions): Promise<RunningService> {
  assertLoopback(options.host);
  return inWorkDir('named', async (workDir) => {
    const file = (name: string): string => path.join(workDir, name);
    const v6 = net.isIPv6(options.host);
    const zones = Object.entries(options.zones).map(([zone, records], index) => {
      const zoneFile = file(`zone${index}.db`);
      writeFileSync(zoneFile, [
        '$TTL 60',
        `@ IN SOA ns.${zone}. hostmaster.${zone}. 1 3600 600 86400 60`,
        `@ IN NS ns.${zone}.`,
        `ns IN ${v6 ? 'AAAA' : 'A'} ${options.host}`,
        ...records,
      ].join('\n') + '\n');
      return `zone ${JSON.stringify(zone)} { type primary; file ${JSON.stringify(zoneFile)}; };`;
    });
    const listen = `port ${options.port} { ${options.host}; }`;
    writeFileSync(file('named.conf'), [
      // No control channel: it would take 127.0.0.1:953, which concurrent nameds (and the machine's own) share.
      'controls { };',
      'options {',
      `  directory ${JSON.stringify(workDir)};`,
      `  pid-file ${JSON.stringify(file('named.pid'))};`,
      `  session-keyfile ${JSON.stringify(file('session.key'))};`,
      `  listen-on ${v6 ? '{ none; }' : listen};`,
      `  listen-on-v6 ${v6 ? listen : '{ none; }'};`,
      '  recursion no;',
      '  dnssec-validation no;',
      '};',
      ...zones,
    ].join('\n') + '\n');
    return launch({
      name: 'named',
      command: 'named',
      // -g: foreground, log to stderr (console.log); one worker thread is plenty for a test.
      args: ['-g', '-n', '1', '-c', file('named.conf')],
      workDir,
      host: options.host,
      port: options.port,
      logFiles: [],
      startupTimeoutMs: DEFAULT_STARTUP_TIMEOUT_MS,
    });
  });
}

interface LaunchSpec {
  name: string;
  command: string;
  args: string[];
  workDir: string;
  host: string;
  port: number;
  /** The component's own log files, quoted when it fails to start (its stdout/stderr are always quoted). */
  logFiles: string[];
  startupTimeoutMs: number;
  /** Removes what the component leaves outside workDir when it is killed. */
  afterExit?: () => void;
}

// Process groups still running, killed if the test process exits without stop() (a crash, a timeout).
const runningGroups = new Set<number>();
process.once('exit', () => {
  for (const groupId of runningGroups) killGroup(groupId);
});

async function launch(spec: LaunchSpec): Promise<RunningService> {
  const consoleLog = path.join(spec.workDir, 'console.log');
  const consoleFd = openSync(consoleLog, 'a');
  let child: ChildProcess;
  try {
    // Its own process group, so stop() also reaches nginx workers and squid helpers.
    child = spawn(spec.command, spec.args, { cwd: spec.workDir, detached: true, stdio: ['ignore', consoleFd, consoleFd] });
  } finally {
    closeSync(consoleFd);
  }
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  const groupId = child.pid;
  if (groupId !== undefined) runningGroups.add(groupId);

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    if (groupId !== undefined) {
      // Even when the main process has died on its own, helpers may be left in its group.
      killGroup(groupId);
      await exited;
      runningGroups.delete(groupId);
    }
    spec.afterExit?.();
    rmSync(spec.workDir, { recursive: true, force: true });
  };

  const isRunning = (): boolean => groupId !== undefined && child.exitCode === null && child.signalCode === null;
  const listening = await pollPort(spec.host, spec.port, spec.startupTimeoutMs, isRunning);
  if (!listening) {
    const reason = isRunning()
      ? `did not accept connections on ${hostPort(spec.host, spec.port)} within ${spec.startupTimeoutMs} ms`
      : groupId === undefined
        ? `could not be started: ${(await spawnError).message}`
        : `exited (code ${child.exitCode}, signal ${child.signalCode}) before accepting connections on ${hostPort(spec.host, spec.port)}`;
    const logs = [consoleLog, ...spec.logFiles].map(logTail).join('');
    await stop();
    throw new Error(`${spec.name} ${reason}${logs}`);
  }
  return { host: spec.host, port: spec.port, workDir: spec.workDir, stop };
}

/** Polls until host:port accepts a connection (true), or until the deadline or `keepWaiting()` turning false (false). */
async function pollPort(host: string, port: number, timeoutMs: number, keepWaiting: () => boolean): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (keepWaiting()) {
    if (await canConnect(host, port)) return true;
    if (Date.now() + PORT_POLL_INTERVAL_MS > deadline) return false;
    await sleep(PORT_POLL_INTERVAL_MS);
  }
  return false;
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.setTimeout(CONNECT_ATTEMPT_TIMEOUT_MS);
    const finish = (connected: boolean): void => {
      socket.destroy();
      resolve(connected);
    };
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
    socket.once('timeout', () => finish(false));
  });
}

function killGroup(groupId: number): void {
  try {
    process.kill(-groupId, 'SIGKILL');
  } catch {
    // The group is gone already.
  }
}

function logTail(file: string): string {
  if (!existsSync(file)) return '';
  const lines = readFileSync(file, 'utf8').trimEnd().split('\n').slice(-LOG_TAIL_LINES);
  return `\n--- last lines of ${path.basename(file)} ---\n${lines.join('\n')}`;
}

/** Runs `start` with a fresh temp dir, removed again if start fails before launch() owns it. */
async function inWorkDir<T>(component: string, start: (workDir: string) => Promise<T>): Promise<T> {
  const workDir = mkdtempSync(path.join(os.tmpdir(), `egress-preflight-${component}-`));
  try {
    return await start(workDir);
  } catch (error) {
    rmSync(workDir, { recursive: true, force: true });
    throw error;
  }
}

/** Only loopback targets are allowed in this workplace; refuse anything else before a component is configured with it. */
function assertLoopback(address: string): void {
  const isLoopback = (net.isIPv4(address) && address.startsWith('127.')) || address === '::1';
  if (!isLoopback) throw new Error(`lab services use loopback addresses only (127.0.0.0/8 or ::1), got "${address}"`);
}

function hostPort(host: string, port: number): string {
  return net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

function joinPem(...blocks: string[]): string {
  return blocks.filter((block) => block.length > 0).map((block) => (block.endsWith('\n') ? block : `${block}\n`)).join('');
}

function escapeSquidPage(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('%', '%%');
}

/** Apache MD5 ("$apr1$") hash, one of the formats basic_ncsa_auth reads. */
function apr1Hash(password: string): string {
  return runOrThrow('openssl', ['passwd', '-apr1', '-stdin'], password).trim();
}

function runOrThrow(command: string, args: string[], input?: string): string {
  const result = spawnSync(command, args, { input, encoding: 'utf8' });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.status}): ${result.stderr}`);
  return result.stdout;
}

function systemUser(name: string): { uid: number; gid: number } {
  const entry = readFileSync('/etc/passwd', 'utf8').split('\n').map((line) => line.split(':')).find((fields) => fields[0] === name);
  const uid = Number(entry?.[2]);
  const gid = Number(entry?.[3]);
  if (!Number.isInteger(uid) || !Number.isInteger(gid)) throw new Error(`no user "${name}" in /etc/passwd`);
  return { uid, gid };
}

function chownRecursive(directory: string, owner: { uid: number; gid: number }): void {
  chownSync(directory, owner.uid, owner.gid);
  for (const entry of readdirSync(directory, { withFileTypes: true, recursive: true })) {
    chownSync(path.join(entry.parentPath, entry.name), owner.uid, owner.gid);
  }
}
