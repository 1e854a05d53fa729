/**
 * The slice of RTI Connector for JavaScript (`rticonnextdds-connector`, CommonJS, no type declarations) the
 * gateway uses, and its loading: the package loads its native library (koffi) when imported, so an
 * unsupported platform fails there, and we turn that into one clear start-up error naming the gateway.
 */
import { GatewayError } from '../../src/gateway/index.js';

export interface RtiSampleInfo {
  get(field: string): unknown;
}

export interface RtiSample {
  readonly validData: boolean;
  readonly info: RtiSampleInfo;
}

export interface RtiInput {
  take(): void;
  readonly samples: { readonly length: number; get(i: number): RtiSample };
  readonly infos: { isValid(i: number): boolean | null };
  readonly matchedPublications: unknown[];
  readonly name: string;
}

export interface RtiOutput {
  readonly instance: { setFromJson(obj: Record<string, unknown>): void };
  clearMembers(): void;
  write(params?: { action?: 'write' | 'dispose' | 'unregister' }): void;
  readonly matchedSubscriptions: unknown[];
}

export interface RtiConnector {
  readonly native: unknown;
  getInput(name: string): RtiInput;
  getOutput(name: string): RtiOutput;
  wait(timeoutMs: number): Promise<void>;
  close(timeoutSeconds?: number): Promise<void>;
}

export interface RtiModule {
  Connector: new (configName: string, url: string) => RtiConnector;
  TimeoutError: new (...args: unknown[]) => Error;
  connectorBinding: {
    RTI_Connector_get_json_sample(native: unknown, input: string, index: number, out: [string | null]): number;
  };
}

/** `specifier` is the package (untyped CommonJS; RtiModule is its typing); tests pass one that cannot load. */
export async function loadConnector(id: string, specifier = 'rticonnextdds-connector'): Promise<RtiModule> {
  try {
    const mod = (await import(specifier)) as { default?: RtiModule } & Partial<RtiModule>;
    return (mod.default ?? mod) as RtiModule;
  } catch (err) {
    throw new GatewayError(
      'PH_DDS_NATIVE',
      `${id}: the RTI Connector native library cannot be loaded on ${process.platform}-${process.arch} ` +
        `(supported: linux-x64, linux-arm64, darwin-arm64, win32-x64): ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }
}
