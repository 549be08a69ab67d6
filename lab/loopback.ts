import type { AddressInfo, Server, Socket } from 'node:net';

// 127.0.x.y with x and y in 1..254: never 127.0.0.1 (left to whatever else runs on the host) and never a .0/.255 octet.
const OCTET_VALUES = 254;
const MAX_LOOPBACK_INDEX = OCTET_VALUES * OCTET_VALUES;

/**
 * The n-th (1-based) lab loopback address, distinct for every n, so each fixture can own an address.
 * Linux routes all of 127.0.0.0/8 to `lo` without configuration.
 */
export function loopbackAddress(n: number): string {
  if (!Number.isInteger(n) || n < 1 || n > MAX_LOOPBACK_INDEX) {
    throw new RangeError(`loopback address index must be an integer from 1 to ${MAX_LOOPBACK_INDEX}, got ${n}`);
  }
  const index = n - 1;
  const third = 1 + Math.floor(index / OCTET_VALUES);
  const fourth = 1 + (index % OCTET_VALUES);
  return `127.0.${third}.${fourth}`;
}

export function isAddressInUse(error: unknown): boolean {
  return error instanceof Error && 'code' in error && error.code === 'EADDRINUSE';
}

/** Starts `server` listening on host:port (0 = ephemeral) and resolves with the bound port. */
export function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

export interface ListeningFixture {
  host: string;
  port: number;
  close(): Promise<void>;
}

/**
 * Starts `server` on host:port and tracks its connections, so that close() ends promptly: it destroys what is
 * still open (tarpits, half-done handshakes) instead of waiting for clients. Client errors never crash the lab.
 */
export async function listenTracked(server: Server, host: string, port: number): Promise<ListeningFixture> {
  const openSockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    socket.on('error', () => {});
    openSockets.add(socket);
    socket.once('close', () => openSockets.delete(socket));
  });
  const boundPort = await listen(server, host, port);
  let closing: Promise<void> | undefined;
  return {
    host,
    port: boundPort,
    close: () =>
      (closing ??= new Promise((resolve) => {
        for (const socket of openSockets) socket.destroy();
        // The callback's error (never listening) does not matter: either way the server is closed afterwards.
        server.close(() => resolve());
      })),
  };
}
