import net, { type Server, type Socket } from 'node:net';
import { isAddressInUse, listen, listenTracked } from './loopback.js';

/**
 * accept: keeps the connection open until the client closes;
 * reset: accepts then immediately sends RST;
 * tarpit: accepts and never speaks, never closes.
 */
export type TcpBehaviour = 'accept' | 'reset' | 'tarpit';

export interface LabTcpListener {
  host: string;
  port: number;
  close(): Promise<void>;
}

// Another process may grab the ephemeral port on one of the addresses between our probes; a few retries ride that out.
const SHARED_PORT_ATTEMPTS = 20;

export function startTcpListener(host: string, port: number, behaviour: TcpBehaviour): Promise<LabTcpListener> {
  // A tarpit ignores the client's FIN as well; the others close their side once the client has closed its own.
  const server = net.createServer({ allowHalfOpen: behaviour === 'tarpit' }, (socket) => applyBehaviour(socket, behaviour));
  return listenTracked(server, host, port);
}

/** Find one port number that is free on every given loopback address (so one --port-map entry serves many fixtures on distinct addresses); retries on EADDRINUSE. */
export async function findSharedFreePort(hosts: string[]): Promise<number> {
  const [firstHost, ...otherHosts] = [...new Set(hosts)];
  if (firstHost === undefined) throw new Error('findSharedFreePort needs at least one host');
  for (let attempt = 1; attempt <= SHARED_PORT_ATTEMPTS; attempt++) {
    const probes: Server[] = [];
    const probe = (host: string, port: number): Promise<number> => {
      const server = net.createServer();
      probes.push(server);
      return listen(server, host, port);
    };
    try {
      const port = await probe(firstHost, 0);
      for (const host of otherHosts) await probe(host, port);
      return port;
    } catch (error) {
      if (!isAddressInUse(error)) throw error;
    } finally {
      await Promise.all(probes.map(closeServer));
    }
  }
  throw new Error(`no port was free on all of ${hosts.join(', ')} after ${SHARED_PORT_ATTEMPTS} attempts`);
}

function applyBehaviour(socket: Socket, behaviour: TcpBehaviour): void {
  switch (behaviour) {
    case 'accept':
      // Drain what the client sends, so its writes never stall and its FIN is seen.
      socket.resume();
      return;
    case 'reset':
      socket.resetAndDestroy();
      return;
    case 'tarpit':
      // Never read, never write: the client's handshakes simply time out.
      return;
  }
}

function closeServer(server: Server): Promise<void> {
  // The callback's error (server was never listening) is irrelevant: either way it is closed afterwards.
  return new Promise((resolve) => server.close(() => resolve()));
}
