/** Entry point of a bench worker: a forked process (process.send) or a worker thread (parentPort). */
import { parentPort } from 'node:worker_threads';
import { workerHandler, type FromWorker, type ToWorker } from './worker-protocol.js';

if (parentPort) {
  const port = parentPort;
  const handle = workerHandler(
    (m: FromWorker) => port.postMessage(m),
    () => port.close(),
  );
  port.on('message', (m: ToWorker) => handle(m));
} else if (process.send) {
  const send = process.send.bind(process);
  const handle = workerHandler(
    // leave only once the final report is on the wire
    (m: FromWorker) => send(m, undefined, {}, () => (m.ev === 'stopped' ? process.disconnect() : undefined)),
    () => undefined,
  );
  process.on('message', (m: ToWorker) => handle(m));
  // a coordinator that died must not leave load running
  process.on('disconnect', () => process.exit(0));
}
