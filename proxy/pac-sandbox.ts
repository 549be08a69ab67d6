// Runs a PAC file's FindProxyForURL(url, host) as WinHTTP would, but in a sandbox: pac-resolver (the PAC engine of
// proxy-agent) over QuickJS compiled to WebAssembly (quickjs-wasi), never Node's `vm`, whose contexts are not a
// security boundary. Each evaluation gets a fresh VM with a memory cap and an interrupt deadline, so a PAC that
// loops, recurses or builds a huge string ends as a finding within its deadline instead of hanging the run.
// dnsResolve, isResolvable, isInNet and myIpAddress are answered by the caller (this run's DNS), never the OS.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { isIPv4 } from 'node:net';
import type { QuickJS } from 'quickjs-wasi';

/** What the PAC's DNS functions ask of the run. */
export interface PacEnvironment {
  /** The host's first IPv4 address by this run's DNS, or null (PAC's dnsResolve is IPv4 only). */
  resolveIpv4(host: string): Promise<string | null>;
  /** This machine's address as the PAC sees it (myIpAddress). */
  myIpAddress(): Promise<string>;
}

export interface PacLimits {
  /** Wall-clock budget of one evaluation, DNS lookups included. */
  deadlineMs: number;
  /** Heap of the sandbox; a PAC that needs more is broken or hostile. */
  memoryBytes?: number;
}

export type PacOutcome =
  | { ok: true; decision: string }
  /** `fatal`: the script hit a limit (deadline, memory) or does not compile: evaluating it again would too. */
  | { ok: false; reason: string; fatal: boolean };

export const DEFAULT_PAC_MEMORY_BYTES = 32 * 1024 * 1024;
/** WinHTTP's own answers are a few proxies long; anything longer than this is not a proxy list. */
export const MAX_DECISION_LENGTH = 4096;
/** The sandbox's native stack: deep enough for real PACs, shallow enough that runaway recursion stops early. */
const MAX_STACK_BYTES = 512 * 1024;

/** A compiled WebAssembly module as QuickJS.create takes it (the project's lib has no WebAssembly types). */
type WasmModule = Extract<NonNullable<Parameters<typeof import('quickjs-wasi').QuickJS.create>[0]>, { wasm: unknown }>['wasm'];
const webAssembly = (globalThis as unknown as { WebAssembly: { compile(bytes: Uint8Array): Promise<WasmModule> } }).WebAssembly;

let wasmModule: Promise<WasmModule> | undefined;

/** The QuickJS engine, compiled once per process (the binary ships with quickjs-wasi). */
function quickJsModule(): Promise<WasmModule> {
  return (wasmModule ??= (async () => {
    const path = createRequire(import.meta.url).resolve('quickjs-wasi/quickjs.wasm');
    return webAssembly.compile(await readFile(path));
  })());
}

/**
 * pac-resolver and QuickJS, loaded on the first PAC evaluation: pac-resolver brings a JavaScript parser and code
 * generator (esprima, escodegen, ast-types), 0.1 s of start-up every run without a PAC would pay.
 */
let engines: Promise<{ createPacResolver: typeof import('pac-resolver').createPacResolver; QuickJS: typeof import('quickjs-wasi').QuickJS }> | undefined;

function pacEngines() {
  return (engines ??= Promise.all([import('pac-resolver'), import('quickjs-wasi')]).then(([pac, quickjs]) => ({ createPacResolver: pac.createPacResolver, QuickJS: quickjs.QuickJS })));
}

/** FindProxyForURL(url, host) of `script`; never throws for anything the script does. */
export async function evaluatePac(script: string, url: string, host: string, env: PacEnvironment, limits: PacLimits): Promise<PacOutcome> {
  const started = performance.now();
  const deadline = started + limits.deadlineMs;
  let vm: QuickJS | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    const { createPacResolver, QuickJS } = await pacEngines();
    vm = await QuickJS.create({
      wasm: await quickJsModule(),
      memoryLimit: limits.memoryBytes ?? DEFAULT_PAC_MEMORY_BYTES,
      maxStackSize: MAX_STACK_BYTES,
      // Called between bytecode instructions: the only way to stop a synchronous loop in the script.
      interruptHandler: () => performance.now() > deadline,
    });
    let findProxy;
    try {
      findProxy = createPacResolver(vm, script, { sandbox: sandboxFor(env) });
    } catch (error) {
      return { ok: false, reason: `the PAC does not load: ${describe(error, deadline)}`, fatal: true };
    }
    // While the script awaits a DNS answer no bytecode runs: the interrupt cannot fire, this timer does.
    const overtime = new Promise<PacOutcome>((resolve) => {
      timer = setTimeout(() => resolve({ ok: false, reason: `FindProxyForURL did not return within ${limits.deadlineMs} ms`, fatal: true }), Math.max(0, deadline - performance.now()));
    });
    const answered = findProxy(url, host).then(
      (value): PacOutcome => checkedDecision(value),
      (error: unknown): PacOutcome => ({ ok: false, reason: `FindProxyForURL failed: ${describe(error, deadline)}`, fatal: isLimit(error, deadline) }),
    );
    return await Promise.race([answered, overtime]);
  } catch (error) {
    return { ok: false, reason: `the PAC could not be run: ${describe(error, deadline)}`, fatal: true };
  } finally {
    clearTimeout(timer);
    try {
      vm?.dispose();
    } catch {
      // A VM interrupted mid-call may refuse disposal; it is garbage either way.
    }
  }
}

/** The PAC functions that would reach the network, answered by the run. The rest are pac-resolver's own. */
function sandboxFor(env: PacEnvironment) {
  return {
    dnsResolve: async (host: unknown) => (typeof host === 'string' ? env.resolveIpv4(host) : null),
    isResolvable: async (host: unknown) => typeof host === 'string' && (await env.resolveIpv4(host)) !== null,
    isInNet: async (host: unknown, pattern: unknown, mask: unknown) => {
      if (typeof host !== 'string' || typeof pattern !== 'string' || typeof mask !== 'string') return false;
      const address = isIPv4(host) ? host : await env.resolveIpv4(host);
      return address !== null && ipv4InNet(address, pattern, mask);
    },
    myIpAddress: async () => env.myIpAddress(),
    // alert() would write the script's text to our console.
    alert: () => undefined,
  };
}

/** isInNet's comparison: the address and the pattern agree on every bit the mask sets. */
export function ipv4InNet(address: string, pattern: string, mask: string): boolean {
  if (!isIPv4(address) || !isIPv4(pattern) || !isIPv4(mask)) return false;
  const bits = (text: string) => text.split('.').reduce((sum, part) => (sum * 256) + Number(part), 0);
  const m = bits(mask);
  // Unsigned arithmetic: JavaScript's bitwise operators are signed 32-bit.
  return ((bits(address) & m) >>> 0) === ((bits(pattern) & m) >>> 0);
}

function checkedDecision(value: unknown): PacOutcome {
  if (typeof value !== 'string') return { ok: false, reason: `FindProxyForURL returned ${value === null ? 'null' : typeof value}, not a string`, fatal: false };
  if (value.length > MAX_DECISION_LENGTH) return { ok: false, reason: `FindProxyForURL returned ${value.length} characters, more than any proxy list (${MAX_DECISION_LENGTH})`, fatal: false };
  return { ok: true, decision: value };
}

function isLimit(error: unknown, deadline: number): boolean {
  const text = messageOf(error);
  return performance.now() > deadline || /interrupted|out of memory|stack overflow/i.test(text);
}

/** One line, short: the script's own error text is data, not something to print whole. */
function describe(error: unknown, deadline: number): string {
  const text = messageOf(error);
  if (/interrupted/i.test(text) || performance.now() > deadline) return 'it ran past its deadline (a loop that never ends?)';
  if (/out of memory/i.test(text)) return 'it needed more memory than the sandbox allows (a string or array that keeps growing?)';
  if (/stack overflow/i.test(text)) return 'it recursed too deep';
  return text.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').trim().slice(0, 200) || 'an error without a message';
}

function messageOf(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
