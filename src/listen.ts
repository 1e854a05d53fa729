/**
 * Bind a server (TCP, TLS or HTTP) and log the `listening` line operators and tests read the port from.
 * Rejects with the bind error (EADDRINUSE, EACCES) instead of emitting it.
 */
import type { Server } from 'node:net';
import type { Logger } from './logger.js';

export async function listenOn(
  server: Server,
  bind: { host: string; port: number },
  logger: Logger,
  listener: string,
): Promise<{ host: string; port: number }> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(bind.port, bind.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const a = server.address();
  const address = a && typeof a === 'object' ? { host: a.address, port: a.port } : bind;
  logger.info({ listener, ...address }, 'listening');
  return address;
}
