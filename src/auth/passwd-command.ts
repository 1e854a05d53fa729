/**
 * `protohub passwd [-f FILE] [-b] [-D] <username> [password]`, modelled on mosquitto_passwd:
 *   -f FILE  password file (default config/passwd); created when missing
 *   -b       batch: the password is the next argument
 *   -D       delete the user
 * Without -b the password is read from stdin (up to the first newline). Returns the exit code:
 * 0 done, 1 failed (bad file, unknown user, empty password), 2 usage error.
 */
import { parseCommandLine } from '../cli/args.js';
import { HubError, UsageError } from '../errors.js';
import { removeUser, upsertUser } from './password-file-write.js';

export const DEFAULT_PASSWORD_FILE = 'config/passwd';
const MAX_STDIN_PASSWORD = 65_535; // longest MQTT password [MQTT-3.1.3.5]

export interface PasswdIo {
  stdin: AsyncIterable<string | Buffer> & { isTTY?: boolean };
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
}

const USAGE =
  'usage: protohub passwd [-f FILE] [-b] [-D] <username> [password]\n' +
  '  -f FILE  password file (default config/passwd, created when missing)\n' +
  '  -b       take the password from the command line (batch)\n' +
  '  -D       delete the user\n' +
  'Without -b the password is read from stdin.\n' +
  'Stores an scrypt hash (CONNECT passwords) and SCRAM-SHA-256/512 credentials (MQTT 5 enhanced auth).\n';

interface PasswdArgs {
  file: string;
  batch: boolean;
  remove: boolean;
  username: string;
  password?: string;
}

const PASSWD_OPTIONS = {
  help: { kind: 'boolean', short: 'h' },
  batch: { kind: 'boolean', short: 'b' },
  delete: { kind: 'boolean', short: 'D' },
  file: { kind: 'string', short: 'f' },
} as const;

function parseArgs(argv: readonly string[]): PasswdArgs | 'help' | string {
  let parsed;
  try {
    parsed = parseCommandLine(argv, PASSWD_OPTIONS, { positionals: true });
  } catch (err) {
    if (err instanceof UsageError) return err.message;
    throw err;
  }
  const { values, positionals: positional } = parsed;
  if (values.help) return 'help';
  const file = values.file ?? DEFAULT_PASSWORD_FILE;
  const batch = values.batch ?? false;
  const remove = values.delete ?? false;
  const [username, password, ...extra] = positional;
  if (username === undefined) return 'missing <username>';
  if (extra.length > 0) return `unexpected argument ${extra[0]}`;
  if (remove && password !== undefined) return '-D takes no password';
  if (!remove && batch && password === undefined) return '-b needs the password as the last argument';
  if (!remove && !batch && password !== undefined) return 'a password on the command line needs -b';
  return { file, batch, remove, username, password };
}

/** First line of stdin without its line ending; bounded so a runaway pipe cannot exhaust memory. */
async function readPasswordLine(stdin: PasswdIo['stdin']): Promise<string> {
  let text = '';
  for await (const chunk of stdin) {
    text += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    const nl = text.indexOf('\n');
    if (nl >= 0) return text.slice(0, nl).replace(/\r$/, '');
    if (text.length > MAX_STDIN_PASSWORD) break;
  }
  return text.slice(0, MAX_STDIN_PASSWORD + 1);
}

export async function runPasswdCommand(argv: readonly string[], io: PasswdIo): Promise<number> {
  const args = parseArgs(argv);
  if (args === 'help') {
    io.stdout.write(USAGE);
    return 0;
  }
  if (typeof args === 'string') {
    io.stderr.write(`protohub passwd: ${args}\n${USAGE}`);
    return 2;
  }
  try {
    if (args.remove) {
      if (!(await removeUser(args.file, args.username))) {
        io.stderr.write(`protohub passwd: user "${args.username}" not found in ${args.file}\n`);
        return 1;
      }
      io.stdout.write(`deleted user "${args.username}" from ${args.file}\n`);
      return 0;
    }
    if (!args.batch && io.stdin.isTTY) io.stderr.write('Password: ');
    const password = args.password ?? (await readPasswordLine(io.stdin));
    if (Buffer.byteLength(password, 'utf8') > MAX_STDIN_PASSWORD) {
      io.stderr.write(`protohub passwd: password longer than ${MAX_STDIN_PASSWORD} bytes\n`);
      return 1;
    }
    const outcome = await upsertUser(args.file, args.username, password);
    io.stdout.write(`${outcome} user "${args.username}" in ${args.file}\n`);
    return 0;
  } catch (err) {
    const code = err instanceof HubError ? ` [${err.code}]` : '';
    io.stderr.write(`protohub passwd: ${(err as Error).message}${code}\n`);
    return 1;
  }
}
