/**
 * The native Connext C library (libnddsc) the Connector itself loaded, bound with koffi (the FFI the Connector
 * uses), for what its JavaScript API does not expose. Loaded once per process: koffi type names are global, so a
 * second struct definition of the same name would be refused.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export interface Koffi {
  load(path: string): NativeLib;
  struct(name: string, def: Record<string, unknown>): unknown;
  array(type: string, n: number): unknown;
  out(t: unknown): unknown;
  pointer(t: unknown): unknown;
  opaque(): unknown;
}

export interface NativeLib {
  func(name: string, ret: unknown, args: unknown[]): (...a: unknown[]) => unknown;
  /** The address of an exported variable. */
  symbol(name: string, type: unknown): unknown;
}

const LIB_DIRS: Partial<Record<string, string>> = {
  'linux-x64': 'linux-x64/libnddsc.so',
  'linux-arm64': 'linux-arm64/libnddsc.so',
  'darwin-arm64': 'osx-arm64/libnddsc.dylib',
  'win32-x64': 'win-x64/nddsc.dll',
};

let loaded: { koffi: Koffi; lib: NativeLib } | undefined;

/** Throws on a platform without a known library layout; callers degrade and say so. */
export function nddsc(): { koffi: Koffi; lib: NativeLib } {
  if (loaded) return loaded;
  const req = createRequire(import.meta.url);
  const main = req.resolve('rticonnextdds-connector');
  const koffi = createRequire(main)('koffi') as Koffi;
  const rel = LIB_DIRS[`${process.platform}-${process.arch}`];
  if (!rel) throw new Error(`no Connext C library binding for ${process.platform}-${process.arch}`);
  loaded = { koffi, lib: koffi.load(join(dirname(main), 'rticonnextdds-connector/lib', rel)) };
  return loaded;
}

/** The DDS_DataReader * or DDS_DataWriter * a Connector `Input` or `Output` keeps. */
export function nativeHandle(x: unknown): unknown {
  return (x as { native: unknown }).native;
}
