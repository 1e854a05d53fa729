import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config/loader.js';

const repo = (p: string): string => fileURLToPath(new URL(`../../${p}`, import.meta.url));

// The quick-start config in detail; every config/examples/*.conf is loaded by `protohub check` in test/e2e/cli.test.ts.
describe('shipped config files', () => {
  it('config/protohub.conf is the documented quick start', () => {
    const { config } = loadConfig(repo('config/protohub.conf'), { env: {} });
    expect(config.listeners.tcp).toEqual({
      default: { enable: true, bind: { host: '0.0.0.0', port: 1883 }, max_connections: 100000 },
    });
    expect(config.listeners.ssl).toEqual({});
    expect(config.store).toMatchObject({ type: 'sqlite', dir: './data' });
    expect(config.http.bind).toEqual({ host: '127.0.0.1', port: 8081 });
    expect(config.log.level).toBe('info');
    expect(config.auth.allow_anonymous).toBe(true);
  });

  it('config/protohub.conf takes the store dir and log level from the environment when set', () => {
    const { config } = loadConfig(repo('config/protohub.conf'), {
      env: { PROTOHUB_STORE_DIR: '/srv/ph', PROTOHUB_LOG_LEVEL: 'debug' },
    });
    expect([config.store.dir, config.log.level]).toEqual(['/srv/ph', 'debug']);
  });

  it('config/examples/tls.conf adds a TLS listener over the quick start', () => {
    const { config, sources } = loadConfig(repo('config/examples/tls.conf'), { env: {} });
    expect(config.listeners.ssl.default).toMatchObject({
      bind: { host: '0.0.0.0', port: 8883 },
      certfile: 'config/certs/server.crt',
    });
    expect(config.listeners.tcp.default.bind).toEqual({ host: '127.0.0.1', port: 1883 });
    expect(config.auth.allow_anonymous).toBe(false);
    expect(sources.files).toEqual([repo('config/examples/tls.conf'), repo('config/protohub.conf')]);
  });

  it('config/examples/websocket.conf adds ws and (disabled) wss listeners', () => {
    const { config } = loadConfig(repo('config/examples/websocket.conf'), { env: {} });
    expect(config.listeners.ws.default).toMatchObject({ bind: { host: '0.0.0.0', port: 8083 }, path: '/mqtt' });
    expect(config.listeners.wss.default).toMatchObject({ enable: false, bind: { host: '0.0.0.0', port: 8084 } });
  });
});
