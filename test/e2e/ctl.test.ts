/**
 * `protohub ctl` as a child process against a real in-process hub: API key bootstrap offline from the config,
 * then status, clients list/show/kick, subscriptions, publish, gateways, bridges, reload, with --json and as
 * tables, address and key from flags, the config file and the environment.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closed, collect, connectV5, subscribe, closeAllClients } from '../support/clients.js';
import { REPO_ROOT, startHub, stopAllHubs, type StartedHub } from '../support/hub.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';

const CLI = join(REPO_ROOT, 'src/cli/run.ts');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Async (not spawnSync): the hub answering the child runs in this process's event loop. */
function ctl(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', CLI, 'ctl', ...args],
      { cwd: REPO_ROOT, env: { ...process.env, PROTOHUB_API_URL: '', PROTOHUB_API_KEY: '', ...env }, timeout: 60_000 },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('protohub ctl', () => {
  let h: StartedHub;
  let conf: string;
  let key: string;

  beforeAll(async () => {
    const dir = tempDir();
    h = await startHub({ store: { type: 'memory', dir }, http: { enable: true, bind: '127.0.0.1:0' } });
    conf = join(dir, 'hub.conf');
    writeFileSync(conf, `store.dir = "${dir}"\nhttp.bind = "127.0.0.1:${h.hub.address('http').port}"\n`);
    const made = await ctl(['-c', conf, 'api-key', 'create', 'ops', '--json']);
    expect(made.code, made.stderr).toBe(0);
    const k = JSON.parse(made.stdout) as { key: string; secret: string };
    key = `${k.key}:${k.secret}`;
  }, 60_000);

  afterAll(async () => {
    closeAllClients();
    await stopAllHubs();
    removeTempDirs();
  });

  it('refuses without a key, and with a wrong one, naming the error code', async () => {
    const none = await ctl(['-c', conf, 'status']);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/^PH_HTTP_UNAUTHORIZED: /);
    const wrong = await ctl(['-c', conf, '--key', 'ph_0000000000000000:nope', 'status']);
    expect(wrong.stderr).toMatch(/PH_HTTP_UNAUTHORIZED/);
    const usage = await ctl(['-c', conf, 'frobnicate']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('usage: protohub ctl');
  }, 60_000);

  it('shows status and clients (JSON and table), subscriptions, and kicks a client', async () => {
    const c = await connectV5(h.url, { clientId: 'ctl-client', username: 'u1' });
    await subscribe(c, 'ctl/#', { qos: 1 });
    const status = await ctl(['-c', conf, '--key', key, 'status', '--json']);
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ node: 'protohub', live_connections: 1 });
    const list = await ctl(['-c', conf, '--key', key, 'clients', 'list', '--json']);
    expect(JSON.parse(list.stdout)).toMatchObject({ data: [{ clientid: 'ctl-client', username: 'u1' }] });
    const table = await ctl(['clients', 'list', '--username', 'u1'], {
      PROTOHUB_API_URL: `http://127.0.0.1:${h.hub.address('http').port}`,
      PROTOHUB_API_KEY: key,
    });
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/^CLIENTID\s+PROTOCOL\s+USERNAME/);
    expect(table.stdout).toMatch(/\nctl-client\s+mqtt\s+u1\s+127\.0\.0\.1\s+true\s+1\s+0\n/);
    const show = await ctl(['-c', conf, '--key', key, 'clients', 'show', 'ctl-client']);
    expect(show.stdout).toMatch(/^clientid\s+ctl-client$/m);
    const subs = await ctl(['-c', conf, '--key', key, 'subscriptions']);
    expect(subs.stdout).toMatch(/ctl-client\s+ctl\/#\s+1/);
    const gone = closed(c);
    const kick = await ctl(['-c', conf, '--key', key, 'clients', 'kick', 'ctl-client']);
    expect(kick).toMatchObject({ code: 0, stdout: 'kicked ctl-client\n' });
    await gone;
    const again = await ctl(['-c', conf, '--key', key, 'clients', 'kick', 'ctl-client']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^PH_HTTP_NOT_FOUND/);
  }, 90_000);

  it('publishes to a subscriber; lists gateways and bridges; a reload without a config file fails visibly', async () => {
    const c = await connectV5(h.url, { clientId: 'ctl-sub' });
    await subscribe(c, 'ctl/pub', { qos: 1 });
    const got = collect(c, 1);
    const pub = await ctl(['-c', conf, '--key', key, 'publish', 'ctl/pub', 'hello', '--qos', '1']);
    expect(pub).toMatchObject({ code: 0, stdout: 'published to ctl/pub\n' });
    expect((await got)[0].payload.toString()).toBe('hello');
    const gw = await ctl(['-c', conf, '--key', key, 'gateways', 'list', '--json']);
    expect(JSON.parse(gw.stdout)).toEqual([]);
    const br = await ctl(['-c', conf, '--key', key, 'bridges', 'list']);
    expect(br.stdout).toMatch(/^NAME\s+STATE/);
    // this hub was started without a config file: the reload is rejected, and ctl says so with a non-zero exit
    const reload = await ctl(['-c', conf, '--key', key, 'reload']);
    expect(reload.code).not.toBe(0);
    expect(reload.stderr).toMatch(/^PH_RELOAD_NO_FILE/);
    c.end(true);
  }, 90_000);

  it('manages API keys offline and through the API', async () => {
    const remote = await ctl(['-c', conf, '--key', key, 'api-key', 'create', 'ci', '--remote', '--json']);
    expect(remote.code, remote.stderr).toBe(0);
    const ci = JSON.parse(remote.stdout) as { key: string };
    const list = await ctl(['-c', conf, 'api-key', 'list']);
    expect(list.stdout).toMatch(/^KEY\s+NAME\s+CREATED_AT/);
    expect(list.stdout).toContain(ci.key);
    const del = await ctl(['-c', conf, 'api-key', 'delete', 'ci']);
    expect(del).toMatchObject({ code: 0, stdout: 'deleted ci\n' });
    const again = await ctl(['-c', conf, 'api-key', 'delete', 'ci']);
    expect(again.code).toBe(1);
  }, 90_000);
});

describe('protohub ctl gateways', () => {
  it('restarts one gateway instance, lists it running again, and refuses an unknown id', async () => {
    const dir = tempDir();
    const { freePort } = await import('../support/net.js');
    const port = await freePort();
    const g = await startHub({
      store: { type: 'memory', dir },
      http: { enable: true, bind: '127.0.0.1:0' },
      gateways: { zeromq: { t: { sockets: { in: { type: 'pull', bind: [`tcp://127.0.0.1:${port}`] } } } } },
    } as never);
    const file = join(dir, 'hub.conf');
    writeFileSync(file, `store.dir = "${dir}"\nhttp.bind = "127.0.0.1:${g.hub.address('http').port}"\n`);
    const made = await ctl(['-c', file, 'api-key', 'create', 'ops', '--json']);
    const k = JSON.parse(made.stdout) as { key: string; secret: string };
    const key = `${k.key}:${k.secret}`;
    const restart = await ctl(['-c', file, '--key', key, 'gateways', 'restart', 'zeromq.t']);
    expect(restart.code, restart.stderr).toBe(0);
    // the API answers once the supervisor took the restart: the instance may still be on its way up
    expect(restart.stdout).toMatch(/^zeromq\.t: (running|starting|restarting)\n$/);
    const { eventually } = await import('../support/clients.js');
    await eventually(
      async () => {
        const list = await ctl(['-c', file, '--key', key, 'gateways', 'list', '--json']);
        const rows = JSON.parse(list.stdout) as { id: string; state: string }[];
        return rows.length === 1 && rows[0]!.id === 'zeromq.t' && rows[0]!.state === 'running';
      },
      'zeromq.t running again',
      30_000,
    );
    const unknown = await ctl(['-c', file, '--key', key, 'gateways', 'restart', 'zeromq.nope']);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toMatch(/^PH_HTTP_NOT_FOUND/);
  }, 90_000);
});
