// The probes a probe thread runs, by name: the connection work of a run (TCP connects, TLS attempts), which is most
// of its CPU. Blackbox_exporter's Probers map, for threads: the same registry serves the main thread when a probe
// thread cannot (none started, or one died). Inputs and outputs are plain data: they cross threads.
import { probeTcp, type TcpEvidence, type TcpTarget } from '../probes/tcp.js';
import type { ProbeContext } from '../probes/probe.js';
import { attemptTls } from '../probes/tls-attempt.js';
import type { PresentedChain } from '../pki/presented-chain.js';
import type { Attempt, AttemptTarget, Mode } from '../probes/tls-evidence.js';

export interface ThreadProbeKinds {
  tcp: { input: TcpTarget; output: TcpEvidence };
  /** A direct TLS attempt (never one over a proxy tunnel: a socket cannot cross threads). */
  tls: { input: { target: Omit<AttemptTarget, 'transport'>; mode: Mode }; output: Attempt };
}

export type ThreadProbeKind = keyof ThreadProbeKinds;

/** `known`: the certificates whose DER the main thread already holds. */
export function threadProbe<K extends ThreadProbeKind>(kind: K, input: ThreadProbeKinds[K]['input'], ctx: ProbeContext, known: (fingerprint: string) => boolean): Promise<ThreadProbeKinds[K]['output']> {
  const probes: { [P in ThreadProbeKind]: (input: ThreadProbeKinds[P]['input']) => Promise<ThreadProbeKinds[P]['output']> } = {
    tcp: (target) => probeTcp(target, ctx),
    tls: ({ target, mode }) => attemptTls(target, mode, ctx, known),
  };
  return probes[kind](input);
}

/** The chain a job's output carries (a TLS attempt that established a session), whose DERs the main thread keeps. */
export function presentedChainIn(output: unknown): PresentedChain | null {
  const session = (output as Partial<Extract<Attempt, { outcome: 'established' }>> | null)?.session;
  return session?.presented ?? null;
}
