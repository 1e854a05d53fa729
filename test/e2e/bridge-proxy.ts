/**
 * A loopback TCP proxy the bridge connects through, so a test can make "server 1" vanish at an exact moment
 * while the broker behind it (and the collector on it) keeps everything it already acknowledged.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export class TcpProxy {
  readonly #sockets = new Set<Socket>();
  #server?: Server;

  private constructor(
    readonly port: number,
    readonly targetPort: number,
  ) {}

  static async start(targetPort: number, port = 0): Promise<TcpProxy> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    const addr = server.address();
    const p = new TcpProxy(typeof addr === 'object' && addr ? addr.port : port, targetPort);
    p.#server = server;
    server.on('connection', (client) => {
      const upstream = connect(targetPort, '127.0.0.1');
      for (const s of [client, upstream]) {
        p.#sockets.add(s);
        s.on('close', () => p.#sockets.delete(s));
        s.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream);
      upstream.pipe(client);
    });
    return p;
  }

  /** Stop listening and cut every connection: to the bridge this server is gone. */
  async kill(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
    this.#server = undefined;
  }
}
