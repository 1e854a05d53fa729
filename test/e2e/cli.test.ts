/**
 * The `protohub` command line as a user runs it: check (valid / every problem listed with file:line, exit 2),
 * start refusing a bad config with exit 2, passwd, version, an unknown command.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { removeTempDirs, tempDir } from '../support/tmp.js';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const CLI = join(ROOT, 'src/cli/run.ts');

function protohub(args: string[], input?: string): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', CLI, ...args], {
    cwd: ROOT,
    input,
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

afterAll(() => removeTempDirs());

describe('protohub CLI', () => {
  it('check accepts every shipped config', () => {
    for (const file of [
      'config/protohub.conf',
      'config/examples/zeromq.conf',
      'config/examples/nng.conf',
      'config/examples/bridge.conf',
    ]) {
      const r = protohub(['check', '-c', file]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain(`${file}: ok`);
    }
  });

  it('check lists every problem as file:line path and exits 2; an include is overridden by later keys', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'base.conf'), 'store.dir = "/nonexistent/base"\nmqtt.max_qos_allowed = 7\n');
    writeFileSync(
      join(dir, 'site.conf'),
      'include "base.conf"\nstore.dir = "/var/lib/protohub"\nlisteners.tcp.default.bind = "nowhere"\nbogus = 1\n',
    );
    const r = protohub(['check', '-c', join(dir, 'site.conf')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/base\.conf:2 mqtt\.max_qos_allowed: expected/);
    expect(r.stderr).toMatch(/site\.conf:3 listeners\.tcp\.default\.bind: expected/);
    expect(r.stderr).toMatch(/site\.conf:4 bogus/);
    expect(r.stderr).not.toMatch(/store\.dir/); // overridden after the include, and valid
  });

  it('start refuses an invalid config with exit 2 and a missing file with a clear message', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'bad.conf'), 'mqtt.max_packet_size = "huge"\n');
    const bad = protohub(['start', '-c', join(dir, 'bad.conf')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/bad\.conf:1 mqtt\.max_packet_size/);
    const missing = protohub(['start', '-c', join(dir, 'nope.conf')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/nope\.conf/);
  });

  it('passwd adds (batch and from stdin) and deletes users in a scrypt password file', () => {
    const file = join(tempDir(), 'passwd');
    expect(protohub(['passwd', '-f', file, '-b', 'alice', 's3cret']).code).toBe(0);
    expect(protohub(['passwd', '-f', file, 'bob'], 'from-stdin\n').code).toBe(0);
    const text = readFileSync(file, 'utf8');
    expect(text).toMatch(/^alice:\$scrypt\$[^:\n]+:\$scram-sha-256\$i=4096\$[^:\n]+:\$scram-sha-512\$i=4096\$/m);
    expect(text).toMatch(/^bob:\$scrypt\$/m);
    expect(text).not.toContain('s3cret');
    expect(protohub(['passwd', '-f', file, '-D', 'alice']).code).toBe(0);
    expect(readFileSync(file, 'utf8')).not.toMatch(/^alice:/m);
  });

  it('version prints the package version; an unknown command exits 2 with usage', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(protohub(['version']).stdout.trim()).toBe(`protohub ${pkg.version}`);
    const r = protohub(['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('usage: protohub');
  });
});
