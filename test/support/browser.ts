/**
 * A real browser for dashboard tests: Debian's chromium driven by playwright-core (no downloaded browser), with
 * a fresh profile per launch and everything that would reach beyond loopback turned off.
 */
import { chromium, type BrowserContext } from 'playwright-core';
import { tempDir } from './tmp.js';

export const CHROMIUM = '/usr/bin/chromium';

export async function launchChromium(): Promise<BrowserContext> {
  return chromium.launchPersistentContext(tempDir('protohub-chromium-'), {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 800 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    timeout: 60_000,
  });
}
