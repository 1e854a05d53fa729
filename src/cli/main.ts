/**
 * `protohub` command line: start, check, passwd, version.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, UsageError } from '../errors.js';
import { parseCommandLine } from './args.js';
import { createLogger, type Logger } from '../logger.js';
import { loadConfig, formatConfigError } from '../config/loader.js';
type LoadedConfig = ReturnType<typeof loadConfig>;
import { Hub } from '../hub.js';
import { runPasswdCommand } from '../auth/index.js';
import { onReloadSignal } from './signals.js';

const USAGE = `usage: protohub <command> [options]

commands:
  start   [-c FILE] [--log-level LEVEL]   run the hub (default config: config/protohub.conf)
  check   [-c FILE]                       validate a config file and exit (0 valid, 2 invalid)
  passwd  [-f FILE] [-b] [-D] USER [PW]   add, update or delete a user in the password file
  bench   pub|sub|conn|latency|discard     MQTT load generator (protohub bench --help)
  ctl     <command> [--json]              operate a running hub via its HTTP API (protohub ctl --help)
  version                                 print the version
`;

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
type Level = (typeof LEVELS)[number];

export function version(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const up of ['../..', '../../..']) {
    try {
      return (JSON.parse(readFileSync(join(here, up, 'package.json'), 'utf8')) as { version: string }).version;
    } catch {
      // try the next candidate (src/ when run with tsx, dist/src/ when compiled)
    }
  }
  return 'unknown';
}

interface StartArgs {
  config: string;
  logLevel?: Level;
}

const START_OPTIONS = {
  config: { kind: 'string', short: 'c' },
  'log-level': { kind: 'string', choices: LEVELS },
} as const;

function parseArgs(argv: string[]): StartArgs | string {
  try {
    const { values } = parseCommandLine(argv, START_OPTIONS);
    return { config: values.config ?? 'config/protohub.conf', logLevel: values['log-level'] as Level | undefined };
  } catch (err) {
    if (err instanceof UsageError) return err.message;
    throw err;
  }
}

function load(file: string): LoadedConfig | number {
  try {
    return loadConfig(file);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(formatConfigError(err) + '\n');
      return 2;
    }
    throw err;
  }
}

async function start(args: StartArgs): Promise<number> {
  const loaded = load(args.config);
  if (typeof loaded === 'number') return loaded;
  const { config, sources } = loaded;
  const format = config.log.format;
  const logger: Logger = createLogger({
    level: args.logLevel ?? config.log.level,
    pretty: format === 'auto' ? undefined : format === 'text',
  });
  const hub = new Hub(config, {
    logger,
    configFile: args.config,
    resolveFile: (path, name) => sources.resolveFile(path, name),
  });
  // Signal handlers go in before start(): a SIGTERM right after start-up must still end in a clean exit 0.
  let resolveExit: (code: number) => void = () => undefined;
  const exited = new Promise<number>((r) => (resolveExit = r));
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    // hard bound: exit within 5 s whatever a component does
    const force = setTimeout(() => {
      logger.error('shutdown took longer than 5 s, exiting');
      process.exit(1);
    }, 5000);
    force.unref();
    // stop() waits for a start() in progress, then tears down
    hub.stop(4000).then(
      () => resolveExit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        resolveExit(1);
      },
    );
  };
  // 'on', not 'once': under npm a Ctrl-C arrives twice (from the terminal and forwarded by npm); the second must not kill
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  onReloadSignal(hub, logger);
  try {
    await hub.start();
  } catch (err) {
    if (stopping) return exited;
    logger.fatal({ err }, 'start failed');
    return 1;
  }
  return exited;
}

/** Run the CLI; resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case 'start':
    case 'check': {
      const args = parseArgs(rest);
      if (typeof args === 'string') {
        process.stderr.write(`${args}\n${USAGE}`);
        return 2;
      }
      if (cmd === 'start') return start(args);
      const config = load(args.config);
      if (typeof config === 'number') return config;
      process.stdout.write(`${args.config}: ok\n`);
      return 0;
    }
    case 'passwd':
      return runPasswdCommand(rest, { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr });
    case 'ctl':
      return (await import('./ctl.js')).runCtl(rest, {
        stdout: process.stdout,
        stderr: process.stderr,
        env: process.env,
      });
    case 'bench':
      return (await import('../bench/command.js')).runBenchCommand(rest); // loaded lazily: `start` never pays for it
    case 'version':
    case '--version':
    case '-v':
      process.stdout.write(`protohub ${version()}\n`);
      return 0;
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return cmd === undefined ? 2 : 0;
    default:
      process.stderr.write(`unknown command ${cmd}\n${USAGE}`);
      return 2;
  }
}
