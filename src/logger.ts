/**
 * Structured JSON logs (pino); human-readable through pino-pretty when stdout is a TTY.
 */
import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

export interface LoggerOptions {
  level?: LevelWithSilent;
  /** Force pretty output on or off; default: pretty when stdout is a TTY. */
  pretty?: boolean;
  /** Write to a file descriptor instead of stdout (1). */
  fd?: number;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const pretty = opts.pretty ?? Boolean(process.stdout.isTTY);
  const level = opts.level ?? 'info';
  if (pretty) {
    return pino({
      level,
      base: undefined,
      transport: { target: 'pino-pretty', options: { colorize: true, destination: opts.fd ?? 1 } },
    });
  }
  return pino({ level, base: undefined }, pino.destination({ fd: opts.fd ?? 1, sync: true }));
}

/** A logger that discards everything, for tests and library use. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
