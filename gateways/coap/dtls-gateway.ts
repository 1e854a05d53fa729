/**
 * How a CoAP gateway instance wires its DTLS listener to its endpoint: decrypted datagrams go to the endpoint
 * under `coaps:` peer keys; when an established DTLS session ends, a connectionless client's channel (its
 * observations and broker session) ends with it, since its security context is gone (RFC 7252 §9.1: the DTLS
 * session is the security association). A connection-mode client keeps its broker session: it handshakes again and
 * goes on with its clientid and token until `heartbeat` expires.
 */
import type { GatewayMetrics, Logger } from '../../src/gateway/index.js';
import type { CoapEndpoint } from './endpoint.js';
import { loadDtlsCredentials } from './dtls-credentials.js';
import { DtlsListener } from './dtls-listener.js';
import type { CoapConfig } from './schema.js';
import { dropChannel } from './sessions.js';

/** The DTLS listener of `config` (not started), or undefined when DTLS is off. Reads the key files. */
export function dtlsListenerFor(
  config: CoapConfig,
  endpoint: CoapEndpoint,
  ctx: { metrics: GatewayMetrics; logger: Logger },
): DtlsListener | undefined {
  const d = config.dtls;
  if (!d.enable) return undefined;
  // the schema requires both when enabled
  const credentials = loadDtlsCredentials(d.certfile!, d.keyfile!);
  return new DtlsListener({
    host: d.bind.host,
    port: d.bind.port,
    credentials,
    maxHandshakes: d.max_handshakes,
    maxSessions: d.max_sessions,
    handshakeTimeoutMs: d.handshake_timeout,
    idleTimeoutMs: d.idle_timeout,
    maxDatagramSize: config.max_datagram_size,
    socketBuffer: config.socket_buffer,
    metrics: ctx.metrics,
    logger: ctx.logger,
    now: () => Date.now(),
    onDatagram: (peer, bytes) => endpoint.receive(peer, bytes),
    onOversized: (peer, bytes) => endpoint.oversized(peer, bytes),
    onSessionEnd: (peer, reason) => {
      if (config.connection_required) return;
      const channel = endpoint.channels.get(peer.key);
      if (!channel) return;
      dropChannel(endpoint, channel, `dtls_${reason}`);
      channel.session?.close();
    },
  });
}
