/**
 * SIGHUP → live reload of the config file, as systemd's `ExecReload=kill -HUP $MAINPID` expects. The hub
 * coalesces a burst of signals; the outcome is logged (the reloader also logs each component's result).
 */
import type { Hub } from '../hub.js';
import type { Logger } from '../logger.js';

/** Install the handler; returns a function that removes it. */
export function onReloadSignal(hub: Pick<Hub, 'reload'>, logger: Logger): () => void {
  const handler = () => {
    logger.info({ signal: 'SIGHUP' }, 'reloading configuration');
    hub.reload().then(
      (r) => {
        const line = {
          status: r.status,
          code: r.code,
          changes: r.changes,
          restartRequired: r.restartRequired,
          errors: r.errors,
        };
        if (r.status === 'rejected') logger.error(line, 'reload rejected');
        else logger.info(line, `reload ${r.status}`);
      },
      (err: unknown) => logger.error({ err }, 'reload failed'),
    );
  };
  process.on('SIGHUP', handler);
  return () => process.off('SIGHUP', handler);
}
